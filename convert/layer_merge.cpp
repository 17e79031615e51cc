#include <convert/layer_merge.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace sifkit::convert {

namespace {

constexpr std::string_view k_whiteout_prefix = ".wh.";
constexpr std::string_view k_opaque_marker = ".wh..wh..opq";
constexpr int k_max_link_chain = 64;
constexpr std::int64_t k_progress_step = 4 << 20;

// What a layer said about one path, kept so hardlinks can be resolved after the merge.
struct Record {
  std::uint32_t index = 0; // position of the entry in its layer
  EntryType type = EntryType::file;
  std::string link_target;       // hardlinks
  Inode* inode = nullptr;        // the object the entry stands for, once known
  std::unique_ptr<Entry> hidden; // an entry upper layers hid: its metadata, for links
  bool resolving = false;
};

struct Fetch {
  Inode* inode = nullptr;
  std::int64_t size = 0;
};

struct LayerIndex {
  std::unordered_map<std::string, Record> records;
  std::unordered_set<std::string> whiteouts; // paths this layer whites out
  std::unordered_set<std::string> opaque;    // directories this layer makes opaque
  std::map<std::uint32_t, Fetch> fetch;      // content needed by links, read in a second pass
};

struct PendingLink {
  Node* node = nullptr;
  std::uint32_t serial = 0; // the node's serial when the link defined it
  int layer = 0;
  Record* record = nullptr;
  std::string path;
};

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos < path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    parts.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return parts;
}

void copy_metadata(Inode& inode, const Entry& e) {
  inode.mode = e.mode & 07777;
  inode.uid = e.uid;
  inode.gid = e.gid;
  inode.mtime = e.mtime;
  inode.xattrs = e.xattrs;
}

} // namespace

struct MergeState {
  std::span<const LayerInput> layers;
  std::span<const WhiteoutMode> modes;
  FsTree& tree;
  SquashfsWriter& writer;
  const SquashProgressCallback& progress;
  std::vector<LayerIndex> index;
  std::vector<PendingLink> pending;
  SquashStats stats;
  std::vector<std::unique_ptr<Node>> dropped; // kept alive: pending links may point at them
  std::int64_t last_progress = 0;
  int layer = 0;

  std::unexpected<Error> entry_error(const std::string& path, std::string_view what) {
    return fail(ErrorKind::corrupt_input,
                fmt::format("{}: entry \"{}\" {}", layers[layer].name, path, what));
  }

  void report(bool force = false) {
    if (!progress) return;
    std::int64_t in = writer.bytes_in();
    if (!force && in - last_progress < k_progress_step) return;
    last_progress = in;
    progress({in, writer.bytes_out(), layer, static_cast<int>(layers.size())});
  }

  Node& add_child(Node& parent, std::string_view name, int at_layer) {
    auto node = std::make_unique<Node>();
    node->parent = &parent;
    node->name = std::string(name);
    node->layer = at_layer;
    Node& ref = *node;
    parent.children.emplace(node->name, std::move(node));
    return ref;
  }

  Node& add_implicit_dir(Node& parent, std::string_view name, int at_layer) {
    Node& node = add_child(parent, name, at_layer);
    node.implicit = true;
    node.inode = &tree.new_implicit_dir();
    node.inode->dir = &node;
    return node;
  }

  void make_dir(Node& node, const Entry& e) {
    node.inode = &tree.new_inode(e);
    node.inode->dir = &node;
  }

  static std::string path_of(const Node& node) {
    std::vector<std::string_view> parts;
    for (const Node* n = &node; n->parent != nullptr; n = n->parent) parts.push_back(n->name);
    std::string out;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      if (!out.empty()) out += '/';
      out += *it;
    }
    return out;
  }

  // Moves `from`'s children into `to`; where both have a name, directories merge and
  // otherwise the entry of the upper layer wins.
  void merge_children(Node& from, Node& to) {
    while (!from.children.empty()) {
      auto moved = std::move(from.children.begin()->second);
      if (moved->moved_from.empty()) moved->moved_from = path_of(*moved);
      from.children.erase(from.children.begin());
      auto it = to.children.find(moved->name);
      if (it == to.children.end()) {
        moved->parent = &to;
        to.children.emplace(moved->name, std::move(moved));
        continue;
      }
      Node& there = *it->second;
      if (there.is_dir() && moved->is_dir()) {
        merge_children(*moved, there);
        there.opaque_layer = std::max(there.opaque_layer, moved->opaque_layer);
        dropped.push_back(std::move(moved));
      } else if (moved->layer > there.layer) {
        moved->parent = &to;
        dropped.push_back(std::exchange(it->second, std::move(moved)));
      } else {
        dropped.push_back(std::move(moved));
      }
    }
  }

  // Appends the components of symlink `target` (found at `link_dir`/...) to `out`,
  // lexically, clamped at the root as inside a chroot.
  static void append_link_target(std::vector<std::string>& out, std::string_view target) {
    if (target.starts_with('/')) out.clear();
    for (std::string_view part : split_path(target)) {
      if (part.empty() || part == ".") continue;
      if (part == "..") {
        if (!out.empty()) out.pop_back();
        continue;
      }
      out.emplace_back(part);
    }
  }

  // umoci, like tar, resolves an upper layer's paths through a lower layer's symlink
  // inside the root: what an upper layer put below "lib/" when a lower layer has
  // "lib -> usr/lib" belongs in usr/lib, and the link stays. `dir` is the directory the
  // upper layers implied. Symlinks met on the way are followed (at most 40, as the
  // kernel does); a loop, or a path through something that is not a directory, is
  // corrupt input naming an entry that cannot be placed.
  Result<void> rehome_below_symlink(Node& dir, const Entry& link) {
    constexpr int k_max_symlinks = 40;
    std::string here = path_of(dir);
    auto cannot_place = [&](std::string_view why) {
      const Node* leaf = &dir;
      while (!leaf->children.empty()) leaf = leaf->children.begin()->second.get();
      std::string entry = leaf->moved_from.empty() ? path_of(*leaf) : leaf->moved_from;
      return fail(ErrorKind::corrupt_input,
                  fmt::format("{}: entry \"{}\" lies below \"{}\", which {} makes a symlink to "
                              "\"{}\" {}",
                              layers[leaf->layer].name, entry, here, layers[layer].name,
                              link.link_target, why));
    };
    std::vector<std::string> walk;
    for (std::string_view part : split_path(here)) walk.emplace_back(part);
    walk.pop_back();
    append_link_target(walk, link.link_target);
    // Walk `walk` from the root, substituting symlinks already in the tree.
    std::vector<std::string> resolved;
    Node* dest = &tree.root();
    int followed = 0;
    std::reverse(walk.begin(), walk.end());
    while (!walk.empty()) {
      std::string part = std::move(walk.back());
      walk.pop_back();
      if (dest == &dir) return cannot_place("that leads into itself");
      auto it = dest->children.find(part);
      if (it == dest->children.end()) {
        dest = &add_implicit_dir(*dest, part, dir.layer);
      } else if (Node& next = *it->second; next.is_dir()) {
        dest = &next;
      } else if (next.inode != nullptr && next.inode->type == EntryType::symlink) {
        if (++followed > k_max_symlinks) return cannot_place("that loops");
        std::vector<std::string> rest(walk.rbegin(), walk.rend());
        std::vector<std::string> target = resolved;
        append_link_target(target, next.inode->target);
        target.insert(target.end(), rest.begin(), rest.end());
        walk.assign(target.rbegin(), target.rend());
        resolved.clear();
        dest = &tree.root();
        continue;
      } else {
        return cannot_place("through something that is not a directory");
      }
      resolved.push_back(std::move(part));
    }
    if (dest == &dir) return cannot_place("that leads to itself");
    for (const Node* n = dest; n != nullptr; n = n->parent) {
      if (n == &dir) return cannot_place("that leads into itself");
    }
    merge_children(dir, *dest);
    return {};
  }

  // The directory that holds `parts` minus the last, as layer `layer` sees it: implicit
  // directories are created on the way; nullptr when an upper layer hides the path.
  Result<Node*> walk_to_parent(const std::string& path, std::span<const std::string_view> parts) {
    Node* cur = &tree.root();
    for (std::size_t k = 0; k + 1 < parts.size(); ++k) {
      auto it = cur->children.find(parts[k]);
      if (it == cur->children.end()) {
        if (cur->opaque_layer > layer) return nullptr;
        cur = &add_implicit_dir(*cur, parts[k], layer);
        continue;
      }
      Node& child = *it->second;
      if (child.tombstone) {
        if (child.layer > layer) return nullptr;
        // Whited out and then used by the same layer: it exists, lower layers stay hidden.
        child.tombstone = false;
        child.implicit = true;
        child.inode = &tree.new_implicit_dir();
        child.inode->dir = &child;
        child.opaque_layer = std::max(child.opaque_layer, layer);
      } else if (!child.is_dir()) {
        if (child.layer > layer) return nullptr;
        return entry_error(path, fmt::format("lies below \"{}\", which is not a directory",
                                             fmt::join(parts.subspan(0, k + 1), "/")));
      }
      cur = &child;
    }
    return cur;
  }

  // Places entry `e` (not a whiteout) in the tree; the node to fill, or nullptr when
  // hidden. Directories get their object here; other types get theirs from the caller.
  Result<Node*> place(const Entry& e) {
    auto parts = split_path(e.path);
    auto parent = walk_to_parent(e.path, parts);
    if (!parent || *parent == nullptr) return parent;
    Node& dir = **parent;
    std::string_view name = parts.back();
    bool is_dir = e.type == EntryType::directory;
    auto it = dir.children.find(name);
    if (it == dir.children.end()) {
      if (dir.opaque_layer > layer) return nullptr;
      Node& node = add_child(dir, name, layer);
      if (is_dir) make_dir(node, e);
      return &node;
    }
    Node& node = *it->second;
    if (node.tombstone) {
      if (node.layer > layer) return nullptr;
      node.tombstone = false;
      node.opaque_layer = std::max(node.opaque_layer, layer);
      if (is_dir) make_dir(node, e);
      return &node;
    }
    if (node.layer > layer) {
      if (e.type == EntryType::symlink && node.is_dir() && node.implicit) {
        if (auto moved = rehome_below_symlink(node, e); !moved) return std::unexpected(moved.error());
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
    node.children.clear();
    node.inode = nullptr;
    node.implicit = false;
    if (is_dir) make_dir(node, e);
    return &node;
  }

  Result<void> whiteout(const Entry& e, const std::string& target) {
    index[layer].whiteouts.insert(target);
    auto parts = split_path(target);
    auto parent = walk_to_parent(e.path, parts);
    if (!parent) return std::unexpected(parent.error());
    if (*parent == nullptr) return {};
    Node& dir = **parent;
    auto it = dir.children.find(parts.back());
    if (it == dir.children.end()) {
      if (dir.opaque_layer > layer) return {};
      add_child(dir, parts.back(), layer).tombstone = true;
      return {};
    }
    // The path exists from this layer or an upper one, which wins; a directory there
    // must still not show what layers below this one put in it.
    Node& node = *it->second;
    if (node.is_dir()) node.opaque_layer = std::max(node.opaque_layer, layer);
    return {};
  }

  Result<void> make_opaque(const Entry& e, const std::string& dir_path) {
    index[layer].opaque.insert(dir_path);
    Node* node = &tree.root();
    if (!dir_path.empty()) {
      auto parts = split_path(dir_path);
      auto parent = walk_to_parent(e.path, parts);
      if (!parent) return std::unexpected(parent.error());
      if (*parent == nullptr) return {};
      auto it = (*parent)->children.find(parts.back());
      if (it == (*parent)->children.end()) {
        if ((*parent)->opaque_layer > layer) return {};
        node = &add_implicit_dir(**parent, parts.back(), layer);
      } else {
        node = it->second.get();
      }
    }
    if (node->is_dir()) node->opaque_layer = std::max(node->opaque_layer, layer);
    return {};
  }
};

namespace {

Result<void> handle_entry(MergeState& m, std::uint32_t position, Entry& e, EntryReader& reader) {
  WhiteoutMode mode = m.modes[m.layer];
  std::string_view path = e.path;
  std::size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string dir = slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
  if (mode != WhiteoutMode::literal && name.starts_with(k_whiteout_prefix)) {
    if (name == k_opaque_marker) return m.make_opaque(e, dir);
    std::string_view hidden = name.substr(k_whiteout_prefix.size());
    if (hidden.empty() || hidden == "." || hidden == "..") {
      return m.entry_error(e.path, "is a whiteout without a valid name");
    }
    std::string target = dir.empty() ? std::string(hidden) : dir + "/" + std::string(hidden);
    if (mode == WhiteoutMode::interpret) return m.whiteout(e, target);
    // overlayfs spells a whiteout as a character device 0:0 at the name itself.
    e.path = std::move(target);
    e.type = EntryType::char_device;
    e.rdev_major = 0;
    e.rdev_minor = 0;
    e.size = 0;
    e.xattrs.clear();
  }
  if (e.path.empty()) return {}; // the root keeps 0:0 0755 mtime 0, as SingularityCE's
  Record& record = m.index[m.layer].records[e.path];
  record = Record{position, e.type, e.type == EntryType::hardlink ? e.link_target : std::string(),
                  nullptr, nullptr, false};
  auto placed = m.place(e);
  if (!placed) return std::unexpected(placed.error());
  Node* node = *placed;
  if (node != nullptr) ++node->serial;
  if (node == nullptr) {
    ++m.stats.entries_hidden;
    record.hidden = std::make_unique<Entry>(std::move(e));
    return {};
  }
  if (e.type == EntryType::directory) {
    record.inode = node->inode;
    return {};
  }
  if (e.type == EntryType::hardlink) {
    node->inode = nullptr; // resolved once every layer is read
    m.pending.push_back({node, node->serial, m.layer, &record, e.path});
    return {};
  }
  Inode& inode = m.tree.new_inode(e);
  node->inode = &inode;
  record.inode = &inode;
  if (e.type == EntryType::file) {
    auto added = m.writer.add_file(inode, reader, e.size);
    if (!added) return std::unexpected(std::move(added.error()).with_context(
                    fmt::format("{}: entry \"{}\"", m.layers[m.layer].name, e.path)));
    m.report();
  }
  return {};
}

Result<void> read_layer(MergeState& m) {
  const LayerInput& input = m.layers[m.layer];
  auto reader = input.open();
  if (!reader) return std::unexpected(std::move(reader.error()).with_context(input.name));
  for (std::uint32_t position = 0;; ++position) {
    auto entry = (*reader)->next();
    if (!entry) return std::unexpected(std::move(entry.error()).with_context(input.name));
    if (!*entry) break;
    if (auto r = handle_entry(m, position, **entry, **reader); !r) return r;
  }
  if (m.modes[m.layer] == WhiteoutMode::overlay) {
    // overlayfs marks an opaque directory with this xattr instead of a marker file.
    for (const std::string& dir : m.index[m.layer].opaque) {
      Node* node = &m.tree.root();
      for (std::string_view part : split_path(dir)) {
        auto it = node->children.find(part);
        if (it == node->children.end()) {
          node = &m.add_implicit_dir(*node, part, m.layer);
          node->implicit = false; // the marker must survive pruning
        } else {
          node = it->second.get();
        }
      }
      if (!node->is_dir()) continue;
      auto& xattrs = node->inode->xattrs;
      std::erase_if(xattrs, [](const Xattr& x) { return x.name == "trusted.overlay.opaque"; });
      xattrs.push_back({"trusted.overlay.opaque", "y"});
      std::sort(xattrs.begin(), xattrs.end(),
                [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
    }
  }
  return {};
}

// True when layer `k` hides `path` from the layers below it without naming it: a
// whiteout or opaque marker on an ancestor, or an ancestor that is not a directory.
bool blocks(const LayerIndex& li, const std::string& path) {
  if (li.whiteouts.contains(path)) return true;
  for (std::size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string ancestor = path.substr(0, slash);
    if (li.whiteouts.contains(ancestor) || li.opaque.contains(ancestor)) return true;
    auto it = li.records.find(ancestor);
    if (it != li.records.end() && it->second.type != EntryType::directory) return true;
  }
  return li.opaque.contains("");
}

Result<Inode*> resolve_record(MergeState& m, int layer, Record& record, const std::string& path,
                              int depth);

// The object `target` named when the link at position `before` of layer `layer` was
// made, applying the layers oldest first: this layer's own earlier entry if it has one,
// else the newest lower layer's not hidden on the way.
Result<Inode*> resolve_target(MergeState& m, int layer, std::uint32_t before,
                              const std::string& target, const std::string& link, int depth) {
  for (int k = layer; k >= 0; --k) {
    LayerIndex& li = m.index[k];
    if (auto it = li.records.find(target);
        it != li.records.end() && (k < layer || it->second.index < before)) {
      return resolve_record(m, k, it->second, target, depth);
    }
    if (blocks(li, target)) break;
  }
  return fail(ErrorKind::corrupt_input,
              fmt::format("{}: entry \"{}\" is a hardlink to \"{}\", which no layer up to this "
                          "one provides",
                          m.layers[layer].name, link, target));
}

Result<Inode*> resolve_record(MergeState& m, int layer, Record& record, const std::string& path,
                              int depth) {
  if (record.type == EntryType::directory ||
      (record.inode != nullptr && record.inode->type == EntryType::directory)) {
    return fail(ErrorKind::corrupt_input,
                fmt::format("{}: a hardlink points at directory \"{}\"", m.layers[layer].name, path));
  }
  if (record.inode != nullptr) return record.inode;
  if (record.resolving || depth > k_max_link_chain) {
    return fail(ErrorKind::corrupt_input,
                fmt::format("{}: entry \"{}\" is part of a hardlink loop or a chain longer than {}",
                            m.layers[layer].name, path, k_max_link_chain));
  }
  if (record.type == EntryType::hardlink) {
    record.resolving = true;
    auto inode = resolve_target(m, layer, record.index, record.link_target, path, depth + 1);
    record.resolving = false;
    if (!inode) return inode;
    record.inode = *inode;
    return inode;
  }
  if (!record.hidden) return fail(ErrorKind::internal, "a visible entry without an object: " + path);
  // The target was hidden by an upper layer but a link that survives still needs it:
  // a fresh object, with the content read again from its layer.
  Inode& inode = m.tree.new_inode(*record.hidden);
  if (inode.type == EntryType::file) m.index[layer].fetch[record.index] = {&inode, record.hidden->size};
  record.inode = &inode;
  return &inode;
}

Result<void> fetch_hidden_content(MergeState& m, int layer) {
  auto& fetch = m.index[layer].fetch;
  if (fetch.empty()) return {};
  m.layer = layer;
  auto reader = m.layers[layer].open();
  if (!reader) return std::unexpected(reader.error());
  for (std::uint32_t position = 0; !fetch.empty(); ++position) {
    auto entry = (*reader)->next();
    if (!entry) return std::unexpected(entry.error());
    if (!*entry) {
      return fail(ErrorKind::corrupt_input,
                  fmt::format("{}: changed between two reads", m.layers[layer].name));
    }
    auto it = fetch.find(position);
    if (it == fetch.end()) continue;
    if (auto r = m.writer.add_file(*it->second.inode, **reader, it->second.size); !r) return r;
    fetch.erase(it);
  }
  return {};
}

} // namespace

LayerMerger::LayerMerger(std::span<const LayerInput> layers, std::span<const WhiteoutMode> modes,
                         FsTree& tree, SquashfsWriter& writer,
                         const SquashProgressCallback& progress)
    : m_state(std::make_unique<MergeState>(MergeState{layers, modes, tree, writer, progress, {}, {}, {}, {}, 0, 0})) {
  m_state->index.resize(layers.size());
}

LayerMerger::~LayerMerger() = default;

const SquashStats& LayerMerger::stats() const { return m_state->stats; }

Result<void> LayerMerger::run() {
  MergeState& m = *m_state;
  for (int layer = static_cast<int>(m.layers.size()) - 1; layer >= 0; --layer) {
    m.layer = layer;
    if (auto r = read_layer(m); !r) return r;
    m.report(true);
  }
  for (PendingLink& link : m.pending) {
    m.layer = link.layer;
    auto inode = resolve_record(m, link.layer, *link.record, link.path, 0);
    if (!inode) {
      return std::unexpected(std::move(inode.error())
                                 .with_context(fmt::format("{}: hardlink \"{}\"",
                                                           m.layers[link.layer].name, link.path)));
    }
    // A later entry of the same layer at the same path replaced the link: it wins.
    if (link.node->serial != link.serial) continue;
    link.node->inode = *inode;
    ++m.stats.hardlinks;
  }
  for (int layer = 0; layer < static_cast<int>(m.layers.size()); ++layer) {
    if (auto r = fetch_hidden_content(m, layer); !r) return r;
  }
  return {};
}

} // namespace sifkit::convert
