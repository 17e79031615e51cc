#include <convert/fs_tree.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace sifkit::convert {

FsTree::FsTree(const TreeLimits& limits) : m_limits(limits), m_root(&m_node_store.emplace_back()) {
  Inode& root = new_implicit_dir();
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
  Node& node = m_node_store.emplace_back();
  node.name_data = m_names.store(name);
  node.name_size = static_cast<std::uint16_t>(name.size());
  node.layer = layer;
  attach(parent, node);
  ++m_nodes;
  return node;
}

namespace {

std::size_t hash_of(const Node* parent, std::string_view name) {
  auto at = static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(parent));
  return std::hash<std::string_view>{}(name) ^ (at * 0x9E3779B97F4A7C15ULL);
}

bool by_name(const Node* a, const Node* b) {
  return a->name() < b->name();
}

} // namespace

std::size_t FsTree::slot_of(const Node* parent, std::string_view name) const {
  std::size_t mask = m_index.size() - 1;
  for (std::size_t at = hash_of(parent, name) & mask;; at = (at + 1) & mask) {
    const Node* n = m_index[at];
    if (n == nullptr || (n->parent == parent && n->name() == name))
      return at;
  }
}

void FsTree::index_insert(Node& child) {
  if ((m_indexed + 1) * 2 > m_index.size()) {
    std::vector<Node*> old(std::max<std::size_t>(m_index.size() * 2, 64), nullptr);
    old.swap(m_index);
    for (Node* n : old) {
      if (n != nullptr)
        m_index[slot_of(n->parent, n->name())] = n;
    }
  }
  m_index[slot_of(child.parent, child.name())] = &child;
  ++m_indexed;
}

void FsTree::index_erase(const Node& child) {
  // Backward-shift deletion keeps every probe sequence unbroken.
  std::size_t mask = m_index.size() - 1;
  std::size_t hole = slot_of(child.parent, child.name());
  m_index[hole] = nullptr;
  --m_indexed;
  for (std::size_t at = (hole + 1) & mask; m_index[at] != nullptr; at = (at + 1) & mask) {
    std::size_t home = hash_of(m_index[at]->parent, m_index[at]->name()) & mask;
    // The entry may move back to the hole unless its home lies cyclically in (hole, at].
    bool stays = hole <= at ? (home > hole && home <= at) : (home > hole || home <= at);
    if (stays)
      continue;
    m_index[hole] = m_index[at];
    m_index[at] = nullptr;
    hole = at;
  }
}

Node* FsTree::find_child(const Node& parent, std::string_view name) const {
  if (m_index.empty())
    return nullptr;
  return m_index[slot_of(&parent, name)];
}

void FsTree::attach(Node& parent, Node& child) {
  child.parent = &parent;
  child.prev_sibling = nullptr;
  child.next_sibling = parent.first_child;
  if (parent.first_child != nullptr)
    parent.first_child->prev_sibling = &child;
  parent.first_child = &child;
  index_insert(child);
}

void FsTree::detach(Node& child) {
  index_erase(child);
  if (child.prev_sibling != nullptr)
    child.prev_sibling->next_sibling = child.next_sibling;
  else
    child.parent->first_child = child.next_sibling;
  if (child.next_sibling != nullptr)
    child.next_sibling->prev_sibling = child.prev_sibling;
  // `parent` stays: messages still name where a detached node came from.
  child.prev_sibling = nullptr;
  child.next_sibling = nullptr;
}

std::vector<Node*> FsTree::detach_children(Node& parent) {
  std::vector<Node*> out = sorted_children(parent);
  for (Node* child : out)
    detach(*child);
  return out;
}

std::vector<Node*> FsTree::sorted_children(const Node& parent) {
  std::vector<Node*> out;
  for (Node* c = parent.first_child; c != nullptr; c = c->next_sibling)
    out.push_back(c);
  std::sort(out.begin(), out.end(), by_name);
  return out;
}

void FsTree::sort() {
  for (Node& node : m_node_store) {
    if (node.first_child == nullptr || node.first_child->next_sibling == nullptr)
      continue;
    std::vector<Node*> order = sorted_children(node);
    Node* prev = nullptr;
    for (Node* c : order) {
      c->prev_sibling = prev;
      c->next_sibling = nullptr;
      if (prev != nullptr)
        prev->next_sibling = c;
      prev = c;
    }
    node.first_child = order.front();
  }
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
  inode.mode = static_cast<std::uint16_t>(entry.mode & 07777);
  inode.uid = entry.uid;
  inode.gid = entry.gid;
  inode.mtime = squashfs_time(entry.mtime);
  inode.set_xattrs(entry.xattrs);
  if (entry.type == EntryType::symlink) {
    if (!inode.extra)
      inode.extra = std::make_unique<InodeExtra>();
    inode.extra->target = entry.link_target;
  }
  if (entry.type == EntryType::char_device || entry.type == EntryType::block_device)
    inode.rdev = device_number(entry.rdev_major, entry.rdev_minor);
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
bool prune_node(FsTree& tree, Node& node) {
  for (Node* child = node.first_child; child != nullptr;) {
    Node* next = child->next_sibling;
    bool keep = !child->tombstone && child->inode != nullptr;
    if (keep && child->is_dir())
      keep = prune_node(tree, *child) || !child->implicit;
    if (!keep)
      tree.detach(*child);
    child = next;
  }
  return node.has_children();
}

} // namespace

void FsTree::prune() {
  prune_node(*this, *m_root);
}

std::uint32_t squashfs_time(std::int64_t seconds) {
  return static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(seconds, 0, std::numeric_limits<std::uint32_t>::max()));
}

std::uint32_t device_number(std::uint32_t major, std::uint32_t minor) {
  return static_cast<std::uint32_t>(makedev(major, minor));
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
