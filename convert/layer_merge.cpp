#include <convert/layer_merge.h>
#include <convert/merge_state.h>

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sifkit::convert {

namespace {

constexpr std::string_view k_whiteout_prefix = ".wh.";
constexpr std::string_view k_opaque_marker = ".wh..wh..opq";
constexpr std::int64_t k_progress_step = 4 << 20;

void copy_metadata(Inode& inode, const Entry& e) {
  inode.mode = static_cast<std::uint16_t>(e.mode & 07777);
  inode.uid = e.uid;
  inode.gid = e.gid;
  inode.mtime = squashfs_time(e.mtime);
  inode.set_xattrs(e.xattrs);
}

// Bytes of layer input `e` stands for: a tar header block, its name, link target and
// xattrs (not its content: a sparse file's size costs nothing to declare).
std::int64_t input_bytes(const Entry& e) {
  constexpr std::int64_t k_header_block = 512;
  std::size_t bytes = e.path.size() + e.link_target.size();
  for (const Xattr& x : e.xattrs)
    bytes += x.name.size() + x.value.size();
  return k_header_block + static_cast<std::int64_t>(bytes);
}

} // namespace

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos < path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos)
      end = path.size();
    parts.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return parts;
}

std::unexpected<Error> MergeState::entry_error(const std::string& path, std::string_view what) {
  return fail(ErrorKind::corrupt_input,
              fmt::format("{}: entry \"{}\" {}", layers[layer].name, path, what));
}

void MergeState::report(bool force) {
  if (!progress)
    return;
  std::int64_t in = writer.bytes_in();
  if (!force && in - last_progress < k_progress_step)
    return;
  last_progress = in;
  progress({in, writer.bytes_out(), layer, static_cast<int>(layers.size())});
}

Node& MergeState::add_child(Node& parent, std::string_view name, int at_layer) {
  return tree.add_node(parent, name, at_layer);
}

Node& MergeState::add_implicit_dir(Node& parent, std::string_view name, int at_layer) {
  Node& node = add_child(parent, name, at_layer);
  node.implicit = true;
  node.inode = &tree.new_implicit_dir();
  return node;
}

void MergeState::make_dir(Node& node, const Entry& e) {
  node.inode = &tree.new_inode(e);
}

// The directory that holds `parts` minus the last, as layer `layer` sees it: implicit
// directories are created on the way; nullptr when an upper layer hides the path.
Result<Node*> MergeState::walk_to_parent(const std::string& path,
                                         std::span<const std::string_view> parts) {
  Node* cur = &tree.root();
  for (std::size_t k = 0; k + 1 < parts.size(); ++k) {
    Node* found = tree.find_child(*cur, parts[k]);
    if (found == nullptr) {
      if (cur->opaque_layer > layer)
        return nullptr;
      cur = &add_implicit_dir(*cur, parts[k], layer);
      continue;
    }
    Node& child = *found;
    if (child.tombstone) {
      if (child.layer > layer)
        return nullptr;
      // Whited out and then used by the same layer: it exists, lower layers stay hidden.
      child.tombstone = false;
      child.implicit = true;
      child.inode = &tree.new_implicit_dir();
      child.opaque_layer = std::max(child.opaque_layer, layer);
    } else if (!child.is_dir()) {
      if (child.layer > layer)
        return nullptr;
      return entry_error(path, fmt::format("lies below \"{}\", which is not a directory",
                                           fmt::join(parts.subspan(0, k + 1), "/")));
    }
    cur = &child;
  }
  return cur;
}

// Places entry `e` (not a whiteout) in the tree; the node to fill, or nullptr when
// hidden. Directories get their object here; other types get theirs from the caller.
Result<Node*> MergeState::place(const Entry& e) {
  auto parts = split_path(e.path);
  auto parent = walk_to_parent(e.path, parts);
  if (!parent || *parent == nullptr)
    return parent;
  Node& dir = **parent;
  std::string_view name = parts.back();
  bool is_dir = e.type == EntryType::directory;
  Node* found = tree.find_child(dir, name);
  if (found == nullptr) {
    if (dir.opaque_layer > layer)
      return nullptr;
    Node& node = add_child(dir, name, layer);
    if (is_dir)
      make_dir(node, e);
    return &node;
  }
  Node& node = *found;
  if (node.tombstone) {
    if (node.layer > layer)
      return nullptr;
    node.tombstone = false;
    node.opaque_layer = std::max(node.opaque_layer, layer);
    if (is_dir)
      make_dir(node, e);
    return &node;
  }
  if (node.layer > layer) {
    if (e.type == EntryType::symlink && node.is_dir() && node.implicit) {
      SIFKIT_TRY(rehome_below_symlink(node, e));
      node.inode = nullptr;
      node.implicit = false;
      node.layer = layer;
      return &node;
    }
    // An upper layer has the path: it wins, except that a directory it only implied
    // takes the metadata of the first layer that names it.
    if (is_dir && node.is_dir() && node.implicit) {
      copy_metadata(*node.inode, e);
      node.implicit = false;
      node.layer = layer;
      return &node;
    }
    return nullptr;
  }
  // The same layer names the path again: the last entry wins.
  if (is_dir && node.is_dir()) {
    copy_metadata(*node.inode, e);
    node.implicit = false;
    return &node;
  }
  tree.detach_children(node);
  node.inode = nullptr;
  node.implicit = false;
  if (is_dir)
    make_dir(node, e);
  return &node;
}

Result<void> MergeState::whiteout(const Entry& e, const std::string& target) {
  index[layer].whiteouts.insert(target);
  auto parts = split_path(target);
  SIFKIT_TRY_ASSIGN(auto parent, walk_to_parent(e.path, parts));
  if (parent == nullptr)
    return {};
  Node& dir = *parent;
  Node* found = tree.find_child(dir, parts.back());
  if (found == nullptr) {
    if (dir.opaque_layer > layer)
      return {};
    add_child(dir, parts.back(), layer).tombstone = true;
    return {};
  }
  // The path exists from this layer or an upper one, which wins; a directory there
  // must still not show what layers below this one put in it.
  Node& node = *found;
  if (node.is_dir())
    node.opaque_layer = std::max(node.opaque_layer, layer);
  return {};
}

Result<void> MergeState::make_opaque(const Entry& e, const std::string& dir_path) {
  index[layer].opaque.insert(dir_path);
  Node* node = &tree.root();
  if (!dir_path.empty()) {
    auto parts = split_path(dir_path);
    SIFKIT_TRY_ASSIGN(auto parent, walk_to_parent(e.path, parts));
    if (parent == nullptr)
      return {};
    node = tree.find_child(*parent, parts.back());
    if (node == nullptr) {
      if (parent->opaque_layer > layer)
        return {};
      node = &add_implicit_dir(*parent, parts.back(), layer);
    }
  }
  if (node->is_dir())
    node->opaque_layer = std::max(node->opaque_layer, layer);
  return {};
}

EntryRole entry_role(WhiteoutMode mode, Entry& e, std::string& target) {
  std::string_view path = e.path;
  std::size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string_view dir =
      slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
  if (mode != WhiteoutMode::literal && name.starts_with(k_whiteout_prefix)) {
    if (name == k_opaque_marker) {
      target = dir;
      return EntryRole::opaque_marker;
    }
    std::string_view hidden = name.substr(k_whiteout_prefix.size());
    if (hidden.empty() || hidden == "." || hidden == "..")
      return EntryRole::bad_whiteout;
    target = dir.empty() ? std::string(hidden) : fmt::format("{}/{}", dir, hidden);
    if (mode == WhiteoutMode::interpret)
      return EntryRole::whiteout;
    // overlayfs spells a whiteout as a character device 0:0 at the name itself.
    e.path = std::move(target);
    e.type = EntryType::char_device;
    e.rdev_major = 0;
    e.rdev_minor = 0;
    e.size = 0;
    e.xattrs.clear();
  }
  return e.path.empty() ? EntryRole::root : EntryRole::entry;
}

namespace {

Result<void> handle_entry(MergeState& m, std::uint32_t position, Entry& e, EntryReader& reader) {
  std::string target;
  switch (entry_role(m.modes[m.layer], e, target)) {
  case EntryRole::opaque_marker:
    return m.make_opaque(e, target);
  case EntryRole::whiteout:
    return m.whiteout(e, target);
  case EntryRole::bad_whiteout:
    return m.entry_error(e.path, "is a whiteout without a valid name");
  case EntryRole::root:
    return {}; // the root keeps 0:0 0755 mtime 0, as SingularityCE's
  case EntryRole::entry:
    break;
  }
  LayerIndex& li = m.index[m.layer];
  if (li.records_deferred && e.type == EntryType::hardlink)
    SIFKIT_TRY(build_deferred_records(m, position));
  Record* record = nullptr;
  if (!li.records_deferred) {
    record = &li.records.assign(e.path, position, e.type,
                                e.type == EntryType::hardlink ? std::string_view(e.link_target)
                                                              : std::string_view());
  }
  SIFKIT_TRY_ASSIGN(Node * node, m.place(e));
  if (node == nullptr) {
    ++m.stats.entries_hidden;
    if (record != nullptr)
      li.records.set_hidden(*record, std::make_unique<Entry>(std::move(e)));
    return {}; // a deferred record is built from the entry read again
  }
  ++node->serial;
  if (e.type == EntryType::hardlink) {
    node->inode = nullptr; // resolved once every layer is read
    m.pending.push_back({node, node->serial, m.layer, record, e.path});
    return {};
  }
  if (e.type != EntryType::directory)
    node->inode = &m.tree.new_inode(e);
  Inode& inode = *node->inode;
  if (record != nullptr)
    record->inode = &inode;
  else
    li.placed[position] = &inode;
  if (e.type == EntryType::file) {
    auto added = m.writer.add_file(inode, reader, e.size);
    if (!added)
      return std::unexpected(
          std::move(added.error())
              .with_context(fmt::format("{}: entry \"{}\"", m.layers[m.layer].name, e.path)));
    m.report();
  }
  return {};
}

Result<void> read_layer(MergeState& m) {
  const LayerInput& input = m.layers[m.layer];
  SIFKIT_TRY_ASSIGN(auto reader, with_context(input.open(), input.name));
  LayerIndex& li = m.index[m.layer];
  li.records_deferred = m.pending.empty();
  for (std::uint32_t position = 0;; ++position) {
    // Once per entry: the context line is added on failure only (with_context copies it
    // every time).
    auto entry = reader->next();
    if (!entry)
      return std::unexpected(std::move(entry.error()).with_context(input.name));
    if (!*entry)
      break;
    m.tree.add_input(input_bytes(**entry));
    if (li.records_deferred)
      li.placed.push_back(nullptr);
    SIFKIT_TRY(handle_entry(m, position, **entry, *reader));
    if (auto room = m.tree.check_capacity(); !room)
      return std::unexpected(std::move(room.error()).with_context(input.name));
  }
  li.placed = {}; // no link can name this layer's entries
  if (m.modes[m.layer] == WhiteoutMode::overlay) {
    // overlayfs marks an opaque directory with this xattr instead of a marker file.
    for (const std::string& dir : m.index[m.layer].opaque) {
      Node* node = &m.tree.root();
      for (std::string_view part : split_path(dir)) {
        if (Node* found = m.tree.find_child(*node, part); found != nullptr) {
          node = found;
        } else {
          node = &m.add_implicit_dir(*node, part, m.layer);
          node->implicit = false; // the marker must survive pruning
        }
      }
      if (!node->is_dir())
        continue;
      node->inode->set_xattr("trusted.overlay.opaque", "y");
    }
  }
  return {};
}

} // namespace

LayerMerger::LayerMerger(std::span<const LayerInput> layers, std::span<const WhiteoutMode> modes,
                         FsTree& tree, SquashfsWriter& writer,
                         const SquashProgressCallback& progress)
    : m_state(std::make_unique<MergeState>(
          MergeState{layers, modes, tree, writer, progress, {}, {}, {}, {}, 0, 0})) {
  m_state->index.resize(layers.size());
}

LayerMerger::~LayerMerger() = default;

const SquashStats& LayerMerger::stats() const {
  return m_state->stats;
}

Result<void> LayerMerger::run() {
  MergeState& m = *m_state;
  for (int layer = static_cast<int>(m.layers.size()) - 1; layer >= 0; --layer) {
    m.layer = layer;
    SIFKIT_TRY(read_layer(m));
    m.report(true);
  }
  return resolve_links(m);
}

} // namespace sifkit::convert
