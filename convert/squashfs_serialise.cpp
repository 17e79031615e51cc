// SquashfsWriter::finish: the inode, directory, fragment, id and xattr tables of a tree
// whose file content is already written.
#include <convert/squashfs_writer.h>
#include <convert/squashfs_writer_state.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace sifkit::convert {

namespace {

struct FreeInode {
  void operator()(sqfs_inode_generic_t* inode) const noexcept { std::free(inode); }
};
using InodePtr = std::unique_ptr<sqfs_inode_generic_t, FreeInode>;

// A name in one of squashfs's namespaces, with a name after the prefix: "user." alone can
// exist on no filesystem, and libsquashfs refuses it.
bool squashfs_can_store(std::string_view xattr_name) {
  for (std::string_view prefix : {"user.", "trusted.", "security."}) {
    if (xattr_name.starts_with(prefix)) {
      return xattr_name.size() > prefix.size();
    }
  }
  return false;
}

// Numbers objects so that every directory comes after everything it lists (its inode
// needs their positions): subdirectories first, then the directory's own entries, the
// root last — the order mksquashfs and tar2sqfs use. Hardlinked objects are numbered
// once, at their first entry.
void number_inodes(Node& dir, std::vector<Node*>& order) {
  for (Node* child = dir.first_child; child != nullptr; child = child->next_sibling) {
    if (child->is_dir())
      number_inodes(*child, order);
  }
  for (Node* child = dir.first_child; child != nullptr; child = child->next_sibling) {
    Inode& inode = *child->inode;
    if (inode.number == 0) {
      order.push_back(child);
      inode.number = static_cast<std::uint32_t>(order.size());
    }
    ++inode.links;
  }
}

InodePtr calloc_inode(std::size_t extra) {
  return InodePtr(
      static_cast<sqfs_inode_generic_t*>(std::calloc(1, sizeof(sqfs_inode_generic_t) + extra)));
}

} // namespace

class TreeSerialiser {
public:
  explicit TreeSerialiser(SquashfsWriterState& s) : m_s(s) {}

  Result<void> write(FsTree& tree) {
    // Each object by the first entry that names it (a directory's only one).
    std::vector<Node*> order;
    Node& root = tree.root();
    number_inodes(root, order);
    order.push_back(&root);
    root.inode->number = static_cast<std::uint32_t>(order.size());
    root.inode->links = 1;

    m_s.super.inode_table_start = m_s.file->get_size(m_s.file.get());
    for (Node* node : order) {
      SIFKIT_TRY(write_inode(*node));
    }
    int rc = sqfs_meta_writer_flush(m_s.inode_meta.get());
    if (rc == 0)
      rc = sqfs_meta_writer_flush(m_s.dir_meta.get());
    if (rc != 0)
      return sqfs_fail(rc, "writing the inode table");
    m_s.super.root_inode_ref = root.inode->ref;
    m_s.super.directory_table_start = m_s.file->get_size(m_s.file.get());
    if ((rc = sqfs_meta_write_write_to_file(m_s.dir_meta.get())) != 0) {
      return sqfs_fail(rc, "writing the directory table");
    }
    m_s.super.inode_count = static_cast<std::uint32_t>(order.size());
    return {};
  }

private:
  Result<InodePtr> make_inode(Node& node) {
    Inode& inode = *node.inode;
    InodePtr out;
    switch (inode.type) {
    case EntryType::directory:
      return make_dir_inode(node);
    case EntryType::file: {
      SIFKIT_TRY_ASSIGN(auto file, make_file_inode(inode));
      if (inode.links > 1) {
        sqfs_inode_make_extended(file.get());
        file->data.file_ext.nlink = inode.links;
      }
      return file;
    }
    case EntryType::symlink:
      out = calloc_inode(inode.target().size());
      if (!out)
        break;
      out->base.type = SQFS_INODE_SLINK;
      out->payload_bytes_available = static_cast<std::uint32_t>(inode.target().size());
      out->payload_bytes_used = out->payload_bytes_available;
      out->data.slink.nlink = inode.links;
      out->data.slink.target_size = static_cast<std::uint32_t>(inode.target().size());
      std::memcpy(out->extra, inode.target().data(), inode.target().size());
      return out;
    case EntryType::char_device:
    case EntryType::block_device:
      out = calloc_inode(0);
      if (!out)
        break;
      out->base.type = inode.type == EntryType::char_device ? SQFS_INODE_CDEV : SQFS_INODE_BDEV;
      out->data.dev.nlink = inode.links;
      // The kernel's 32-bit encoding, which the low half of glibc's dev_t is.
      out->data.dev.devno = inode.rdev;
      return out;
    case EntryType::fifo:
    case EntryType::socket:
      out = calloc_inode(0);
      if (!out)
        break;
      out->base.type = inode.type == EntryType::fifo ? SQFS_INODE_FIFO : SQFS_INODE_SOCKET;
      out->data.ipc.nlink = inode.links;
      return out;
    case EntryType::hardlink:
      return fail(ErrorKind::internal, "an unresolved hardlink object");
    }
    return fail(ErrorKind::capacity, "out of memory building inodes");
  }

  // The record of a file: the block processor's (whole blocks) or a new one, completed
  // with its size and where its tail went, as libsquashfs's processor would have.
  Result<InodePtr> make_file_inode(Inode& inode) {
    InodePtr out(inode.file);
    inode.file = nullptr;
    if (!out) {
      out = calloc_inode(0);
      if (!out)
        return fail(ErrorKind::capacity, "out of memory building inodes");
      out->base.type = SQFS_INODE_FILE;
      sqfs_inode_set_frag_location(out.get(), k_no_fragment, k_no_fragment);
    }
    int rc = sqfs_inode_set_file_size(out.get(), inode.file_size);
    if (rc == 0 && inode.fragment != k_no_fragment)
      rc = sqfs_inode_set_frag_location(out.get(), inode.fragment, inode.fragment_offset);
    if (rc != 0)
      return sqfs_fail(rc, "building a file inode");
    if (inode.hole_tail == 0)
      return out;
    // A tail of zeros is a hole: one more block of size 0, counted as sparse.
    sqfs_inode_make_extended(out.get());
    std::size_t blocks = out->payload_bytes_used / sizeof(sqfs_u32);
    std::size_t bytes = (blocks + 1) * sizeof(sqfs_u32);
    if (out->payload_bytes_available < bytes) {
      auto* grown =
          static_cast<sqfs_inode_generic_t*>(std::realloc(out.get(), sizeof(*out) + bytes));
      if (grown == nullptr)
        return fail(ErrorKind::capacity, "out of memory building inodes");
      (void)out.release();
      out.reset(grown);
      out->payload_bytes_available = static_cast<sqfs_u32>(bytes);
    }
    out->extra[blocks] = 0;
    out->payload_bytes_used = static_cast<sqfs_u32>(bytes);
    out->data.file_ext.sparse += inode.hole_tail;
    return out;
  }

  Result<InodePtr> make_dir_inode(const Node& node) {
    sqfs_dir_writer_t* dw = m_s.dir_writer.get();
    int rc = sqfs_dir_writer_begin(dw, 0);
    std::uint32_t subdirs = 0;
    for (const Node* child = node.first_child; child != nullptr; child = child->next_sibling) {
      if (rc != 0)
        break;
      const Inode& c = *child->inode;
      if (c.type == EntryType::directory)
        ++subdirs;
      rc = sqfs_dir_writer_add_entry(dw, child->name_data, c.number, c.ref,
                                     static_cast<sqfs_u16>(type_bits(c.type) | c.mode));
    }
    if (rc == 0)
      rc = sqfs_dir_writer_end(dw);
    if (rc != 0)
      return sqfs_fail(rc, "writing a directory listing");
    std::uint32_t parent = node.parent ? node.parent->inode->number : 0;
    std::uint32_t links = 2 + subdirs;
    InodePtr out(sqfs_dir_writer_create_inode(dw, links, k_no_xattr, parent));
    if (!out)
      return fail(ErrorKind::capacity, "out of memory building a directory inode");
    if (out->base.type == SQFS_INODE_DIR) {
      out->data.dir.nlink = links;
    } else {
      out->data.dir_ext.nlink = links;
    }
    return out;
  }

  Result<std::uint32_t> xattr_index(const Inode& inode) {
    std::span<const Xattr> xattrs = inode.xattrs();
    bool any = std::any_of(xattrs.begin(), xattrs.end(),
                           [](const Xattr& x) { return squashfs_can_store(x.name); });
    if (!any) {
      m_s.xattrs_dropped += static_cast<std::int64_t>(xattrs.size());
      return k_no_xattr;
    }
    sqfs_xattr_writer_t* xw = m_s.xattr_writer.get();
    int rc = sqfs_xattr_writer_begin(xw, 0);
    for (const Xattr& x : xattrs) {
      if (rc != 0)
        break;
      if (!squashfs_can_store(x.name)) {
        ++m_s.xattrs_dropped;
        continue;
      }
      rc = sqfs_xattr_writer_add(xw, x.name.c_str(), x.value.data(), x.value.size());
    }
    std::uint32_t index = k_no_xattr;
    if (rc == 0)
      rc = sqfs_xattr_writer_end(xw, &index);
    if (rc != 0)
      return sqfs_fail(rc, "recording extended attributes");
    return index;
  }

  Result<void> write_inode(Node& node) {
    Inode& inode = *node.inode;
    SIFKIT_TRY_ASSIGN(auto made, make_inode(node));
    sqfs_inode_generic_t* out = made.get();
    out->base.mode = static_cast<sqfs_u16>(type_bits(inode.type) | inode.mode);
    out->base.mod_time = inode.mtime;
    out->base.inode_number = inode.number;
    int rc = sqfs_id_table_id_to_index(m_s.id_table.get(), inode.uid, &out->base.uid_idx);
    if (rc == 0)
      rc = sqfs_id_table_id_to_index(m_s.id_table.get(), inode.gid, &out->base.gid_idx);
    if (rc != 0)
      return sqfs_fail(rc, "recording owners (more than 65536 distinct ids?)");
    SIFKIT_TRY_ASSIGN(auto xattr, xattr_index(inode));
    if (xattr != k_no_xattr && (rc = sqfs_inode_set_xattr_index(out, xattr)) != 0) {
      return sqfs_fail(rc, "recording extended attributes");
    }
    sqfs_u64 block = 0;
    sqfs_u32 offset = 0;
    sqfs_meta_writer_get_position(m_s.inode_meta.get(), &block, &offset);
    inode.ref = (block << 16) | offset;
    if ((rc = sqfs_meta_writer_write_inode(m_s.inode_meta.get(), out)) != 0) {
      return sqfs_fail(rc, "writing an inode");
    }
    return {};
  }

  SquashfsWriterState& m_s;
};

Result<std::int64_t> SquashfsWriter::finish(FsTree& tree) {
  SquashfsWriterState& s = *m_state;
  if (s.finished)
    return fail(ErrorKind::internal, "squashfs image finished twice");
  // Before `finished`: should it fail, the destructor still finishes the processor.
  SIFKIT_TRY(s.fragments->finish());
  s.finished = true;
  int rc = sqfs_block_processor_finish(s.processor.get());
  if (rc != 0)
    return sqfs_fail(rc, "writing the last data blocks of " + s.path);
  tree.prune();
  tree.sort();
  SIFKIT_TRY(TreeSerialiser(s).write(tree));

  sqfs_file_t* file = s.file.get();
  if ((rc = sqfs_frag_table_write(s.frag_table.get(), file, &s.super, s.cmp.get())) != 0) {
    return sqfs_fail(rc, "writing the fragment table of " + s.path);
  }
  if ((rc = sqfs_id_table_write(s.id_table.get(), file, &s.super, s.cmp.get())) != 0) {
    return sqfs_fail(rc, "writing the id table of " + s.path);
  }
  if ((rc = sqfs_xattr_writer_flush(s.xattr_writer.get(), file, &s.super, s.cmp.get())) != 0) {
    return sqfs_fail(rc, "writing the xattr table of " + s.path);
  }
  s.super.bytes_used = file->get_size(file);
  if ((rc = sqfs_super_write(&s.super, file)) != 0) {
    return sqfs_fail(rc, "writing the super block of " + s.path);
  }
  std::uint64_t size = s.super.bytes_used;
  if (std::uint64_t tail = size % k_device_block; tail != 0) {
    std::vector<std::byte> pad(k_device_block - tail);
    if ((rc = file->write_at(file, size, pad.data(), pad.size())) != 0) {
      return sqfs_fail(rc, "padding " + s.path);
    }
    size += pad.size();
  }
  s.processor.reset();
  return static_cast<std::int64_t>(size);
}

} // namespace sifkit::convert
