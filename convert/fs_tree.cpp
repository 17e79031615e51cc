#include <convert/fs_tree.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <sys/stat.h>

namespace sifkit::convert {

FsTree::FsTree(const TreeLimits& limits) : m_limits(limits), m_root(std::make_unique<Node>()) {
  Inode& root = new_implicit_dir();
  root.dir = m_root.get();
  m_root->inode = &root;
  m_root->implicit = true;
}

FsTree::~FsTree() {
  for (Inode& inode : m_inodes)
    std::free(inode.file);
}

const std::string& Inode::target() const {
  static const std::string k_none;
  return extra ? extra->target : k_none;
}

std::span<const Xattr> Inode::xattrs() const {
  return extra ? std::span<const Xattr>(extra->xattrs) : std::span<const Xattr>();
}

void Inode::set_xattrs(std::vector<Xattr> xattrs) {
  if (xattrs.empty() && !extra)
    return;
  if (!extra)
    extra = std::make_unique<InodeExtra>();
  extra->xattrs = std::move(xattrs);
}

void Inode::set_xattr(std::string_view name, std::string_view value) {
  if (!extra)
    extra = std::make_unique<InodeExtra>();
  auto& list = extra->xattrs;
  auto at = std::lower_bound(list.begin(), list.end(), name,
                             [](const Xattr& x, std::string_view n) { return x.name < n; });
  if (at != list.end() && at->name == name)
    at->value = std::string(value);
  else
    list.insert(at, Xattr{std::string(name), std::string(value)});
}

Node& FsTree::add_node(Node& parent, std::string_view name, int layer) {
  auto node = std::make_unique<Node>();
  node->parent = &parent;
  node->name = std::string(name);
  node->layer = layer;
  Node& ref = *node;
  parent.children.emplace(ref.name, std::move(node));
  ++m_nodes;
  return ref;
}

std::int64_t FsTree::node_limit() const {
  std::int64_t per_input = m_input_bytes / std::max<std::int64_t>(m_limits.input_bytes_per_node, 1);
  return std::min(m_limits.max_nodes, m_limits.base_nodes + per_input);
}

Result<void> FsTree::check_capacity() const {
  std::int64_t limit = node_limit();
  if (m_nodes <= limit)
    return {};
  return fail(ErrorKind::capacity,
              fmt::format("the merged tree has {} entries, more than the {} allowed for the {} "
                          "bytes of entry headers and names read so far ({} plus one per {} "
                          "bytes, at most {}); its entries imply too many directories",
                          m_nodes, limit, m_input_bytes, m_limits.base_nodes,
                          m_limits.input_bytes_per_node, m_limits.max_nodes));
}

Inode& FsTree::new_inode(const Entry& entry) {
  Inode& inode = m_inodes.emplace_back();
  inode.type = entry.type;
  inode.mode = entry.mode & 07777;
  inode.uid = entry.uid;
  inode.gid = entry.gid;
  inode.mtime = entry.mtime;
  inode.set_xattrs(entry.xattrs);
  if (entry.type == EntryType::symlink) {
    if (!inode.extra)
      inode.extra = std::make_unique<InodeExtra>();
    inode.extra->target = entry.link_target;
  }
  inode.rdev_major = entry.rdev_major;
  inode.rdev_minor = entry.rdev_minor;
  return inode;
}

Inode& FsTree::new_implicit_dir() {
  Inode& inode = m_inodes.emplace_back();
  inode.type = EntryType::directory;
  inode.mode = 0755;
  return inode;
}

namespace {

// True when `node` holds anything that is written (after pruning its children).
bool prune_node(Node& node) {
  for (auto it = node.children.begin(); it != node.children.end();) {
    Node& child = *it->second;
    bool keep = !child.tombstone && child.inode != nullptr;
    if (keep && child.is_dir())
      keep = prune_node(child) || !child.implicit;
    it = keep ? std::next(it) : node.children.erase(it);
  }
  return !node.children.empty();
}

} // namespace

void FsTree::prune() {
  prune_node(*m_root);
}

std::uint32_t type_bits(EntryType type) {
  switch (type) {
  case EntryType::file:
    return S_IFREG;
  case EntryType::directory:
    return S_IFDIR;
  case EntryType::symlink:
    return S_IFLNK;
  case EntryType::char_device:
    return S_IFCHR;
  case EntryType::block_device:
    return S_IFBLK;
  case EntryType::fifo:
    return S_IFIFO;
  case EntryType::socket:
    return S_IFSOCK;
  case EntryType::hardlink:
    break;
  }
  return S_IFREG;
}

} // namespace sifkit::convert
