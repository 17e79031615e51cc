#pragma once

// The merged filesystem tree a conversion builds in memory before the squashfs metadata
// is written: directory entries (Node) pointing at filesystem objects (Inode), several
// entries at one object for hardlinks. File content is not held here: it went into the
// squashfs data blocks as it was read, and the Inode keeps libsquashfs's record of where.
#include <common/error.h>
#include <common/text_arena.h>
#include <convert/entry.h>
#include <convert/options.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include <sqfs/predef.h>
}

namespace sifkit::convert {

struct Node;

// What few objects have, kept apart so that directories (most of a hostile tree, and
// most of them only implied) stay small.
struct InodeExtra {
  std::string target;        // symlinks
  std::vector<Xattr> xattrs; // sorted by name, no duplicates
};

struct Inode {
  EntryType type = EntryType::directory; // never EntryType::hardlink
  std::uint16_t mode = 0755;             // permission bits (07777)
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t mtime = 0; // seconds since the epoch, clamped to what squashfs holds
  std::uint32_t rdev = 0;  // devices: the kernel's 32-bit encoding of major and minor
  // Regular files: where the bytes after the last whole block went: a fragment block
  // and offset (0xFFFFFFFF: none), or a hole of `hole_tail` zeros.
  std::uint32_t fragment = 0xFFFFFFFF;
  std::uint32_t fragment_offset = 0xFFFFFFFF;
  std::uint32_t hole_tail = 0;
  // Set when the tree is written.
  std::uint32_t number = 0;
  std::uint32_t links = 0;
  std::uint64_t ref = 0;

  std::uint64_t file_size = 0;       // regular files
  std::unique_ptr<InodeExtra> extra; // null when there is no target and no xattr
  // Regular files with whole blocks: the inode libsquashfs's block processor fills in
  // (malloc'ed, freed by the tree). It keeps writing to it until the processor
  // finishes, so Inodes never move. Null for files smaller than a block.
  sqfs_inode_generic_t* file = nullptr;

  // The symlink target ("" for other types).
  const std::string& target() const;
  // The xattrs, sorted by name.
  std::span<const Xattr> xattrs() const;
  // Replaces the xattrs with `xattrs` (sorted by name, no duplicates).
  void set_xattrs(std::vector<Xattr> xattrs);
  // Sets xattr `name` to `value`, keeping the order.
  void set_xattr(std::string_view name, std::string_view value);
};

// One directory entry; a tombstone when a whiteout removed the path. Implied
// directories make most of a hostile tree, so a node is small: its name lives in the
// tree's text arena, its children are a list (in no order until FsTree::sort) found by
// name through the tree's index, and nodes never move (the tree keeps them all).
struct Node {
  Node* parent = nullptr;
  Node* first_child = nullptr;
  Node* next_sibling = nullptr;
  Node* prev_sibling = nullptr;
  Inode* inode = nullptr;      // null for tombstones and for hardlinks not yet resolved
  const char* name_data = "";  // NUL-terminated, in the tree's arena
  int layer = -1;              // the layer the entry came from
  int opaque_layer = -1;       // directories: entries of layers below this one are hidden
  std::uint32_t serial = 0;    // bumped each time an entry (re)defines the node
  std::uint16_t name_size = 0; // at most a symlink target's 4095 bytes
  bool tombstone = false;      // whited out by layer `layer`: hides the path in lower layers
  bool implicit = false;       // a directory only implied by paths below it (0755 0:0 mtime 0)

  std::string_view name() const { return {name_data, name_size}; }
  bool is_dir() const { return inode != nullptr && inode->type == EntryType::directory; }
  bool has_children() const { return first_child != nullptr; }
};

class FsTree {
public:
  FsTree() : FsTree(TreeLimits{}) {}
  ~FsTree();
  FsTree(const FsTree&) = delete;
  FsTree& operator=(const FsTree&) = delete;

  explicit FsTree(const TreeLimits& limits);

  Node& root() { return *m_root; }
  // A new entry `name` in `parent`, from layer `layer`, without an object yet (counted
  // against the limits; replaces nothing: the caller checked that `name` is free).
  Node& add_node(Node& parent, std::string_view name, int layer);
  // The child `name` of `parent`, or nullptr.
  Node* find_child(const Node& parent, std::string_view name) const;
  // Takes `child` out of its parent (it stays alive, with its own children, and keeps
  // `parent` pointing where it was).
  void detach(Node& child);
  // Takes every child out of `parent` (they stay alive); returns them sorted by name.
  std::vector<Node*> detach_children(Node& parent);
  // Makes detached `child` an entry of `parent` (whose name must be free there).
  void attach(Node& parent, Node& child);
  // The children of `parent` sorted by name.
  static std::vector<Node*> sorted_children(const Node& parent);
  // Orders every directory's children by name (bytewise), as squashfs lists them.
  void sort();
  // Counts `bytes` of layer input (entry headers, names, link targets, xattrs): the tree
  // may grow with them (TreeLimits).
  void add_input(std::int64_t bytes) { m_input_bytes += bytes; }
  // `capacity` when more nodes were made than the limits allow for the input counted so
  // far; the message gives the numbers, the caller names the layer.
  Result<void> check_capacity() const;
  // Nodes made so far (the root included; nodes removed since still count).
  std::int64_t node_count() const { return m_nodes; }
  // The most nodes the input counted so far allows.
  std::int64_t node_limit() const;
  // A new object with the metadata of `entry` (type: file, directory, ...), owned by the tree.
  Inode& new_inode(const Entry& entry);
  // A new implicit directory object (0755, 0:0, mtime 0).
  Inode& new_implicit_dir();
  // Every object ever created, including ones no entry points at any more.
  std::deque<Inode>& inodes() { return m_inodes; }
  // Drops tombstones and implicit directories with nothing real below them.
  void prune();

private:
  TreeLimits m_limits;
  std::int64_t m_nodes = 1;
  std::int64_t m_input_bytes = 0;
  std::deque<Inode> m_inodes;
  std::deque<Node> m_node_store;
  TextArena m_names;
  // Open addressing (linear probing, at most half full) over (parent, name).
  std::vector<Node*> m_index;
  std::size_t m_indexed = 0;
  Node* m_root = nullptr;

  std::size_t slot_of(const Node* parent, std::string_view name) const;
  void index_insert(Node& child);
  void index_erase(const Node& child);
};

// `seconds` since the epoch clamped to 0..2^32-1, as squashfs stores times.
std::uint32_t squashfs_time(std::int64_t seconds);
// The kernel's 32-bit device number of `major`:`minor` (the low half of glibc's dev_t).
std::uint32_t device_number(std::uint32_t major, std::uint32_t minor);

// The type bits (S_IFREG, ...) of `type`.
std::uint32_t type_bits(EntryType type);

} // namespace sifkit::convert
