#pragma once

// The state of one merge (layer_merge.h), shared by its three source files: placing
// entries (layer_merge.cpp), following lower symlinks (merge_symlinks.cpp) and resolving
// hardlinks (merge_links.cpp).
#include <convert/fs_tree.h>
#include <convert/layer_merge.h>
#include <convert/record_table.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sifkit::convert {

struct Fetch {
  Inode* inode = nullptr;
  std::int64_t size = 0;
};

struct LayerIndex {
  RecordTable records;
  // While no hardlink can need this layer's records (none pending from upper layers when
  // the layer starts, none met in it yet) they are not kept: only the object each entry
  // got, by position (null when hidden or when the entry makes no record), to build them
  // from a second read of the layer once a hardlink turns up (build_deferred_records).
  bool records_deferred = false;
  std::deque<Inode*> placed;
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

// What an entry of a layer is once its name is read as the layer's whiteout mode says.
enum class EntryRole {
  opaque_marker, // makes its directory opaque
  whiteout,      // hides a path of lower layers
  bad_whiteout,  // a whiteout without a valid name
  root,          // the root itself: changes nothing
  entry,         // placed in the tree, with a record
};

// The role of `e` in a layer of whiteout mode `mode`; `target` gets the directory an
// opaque marker names or the path a whiteout hides. In overlay mode a whiteout becomes
// the character device 0:0 overlayfs uses, at the path it hides (role entry).
EntryRole entry_role(WhiteoutMode mode, Entry& e, std::string& target);

// The components of normalised `path` ("" has none).
std::vector<std::string_view> split_path(std::string_view path);

struct MergeState {
  std::span<const LayerInput> layers;
  std::span<const WhiteoutMode> modes;
  FsTree& tree;
  SquashfsWriter& writer;
  const SquashProgressCallback& progress;
  std::vector<LayerIndex> index;
  std::vector<PendingLink> pending;
  SquashStats stats;
  // Paths of nodes before a lower layer's symlink moved them (for messages).
  std::unordered_map<const Node*, std::string> moved_from;
  std::int64_t last_progress = 0;
  int layer = 0;

  // corrupt_input: "<layer>: entry \"<path>\" <what>".
  std::unexpected<Error> entry_error(const std::string& path, std::string_view what);
  // Calls the progress callback every few MiB of input (always when `force`).
  void report(bool force = false);
  // A new entry `name` in `parent`, from layer `at_layer`, without an object yet.
  Node& add_child(Node& parent, std::string_view name, int at_layer);
  // A new directory only implied by paths below it.
  Node& add_implicit_dir(Node& parent, std::string_view name, int at_layer);
  // Gives `node` a directory object with the metadata of `e`.
  void make_dir(Node& node, const Entry& e);
  // The path of `node` from the root ("" for the root).
  static std::string path_of(const Node& node);
  // Moves `from`'s children into `to`; where both have a name, directories merge and
  // otherwise the entry of the upper layer wins.
  void merge_children(Node& from, Node& to);
  // Appends the components of symlink `target` (found at `link_dir`/...) to `out`,
  // lexically, clamped at the root as inside a chroot.
  static void append_link_target(std::vector<std::string>& out, std::string_view target);
  // umoci, like tar, resolves an upper layer's paths through a lower layer's symlink
  // inside the root: what an upper layer put below "lib/" when a lower layer has
  // "lib -> usr/lib" belongs in usr/lib, and the link stays. `dir` is the directory the
  // upper layers implied. Symlinks met on the way are followed (at most 40, as the
  // kernel does); a loop, or a path through something that is not a directory, is
  // corrupt input naming an entry that cannot be placed.
  Result<void> rehome_below_symlink(Node& dir, const Entry& link);
  // The directory that holds `parts` minus the last, as layer `layer` sees it: implicit
  // directories are created on the way; nullptr when an upper layer hides the path.
  Result<Node*> walk_to_parent(const std::string& path, std::span<const std::string_view> parts);
  // Places entry `e` (not a whiteout) in the tree; the node to fill, or nullptr when
  // hidden. Directories get their object here; other types get theirs from the caller.
  Result<Node*> place(const Entry& e);
  Result<void> whiteout(const Entry& e, const std::string& target);
  Result<void> make_opaque(const Entry& e, const std::string& dir_path);
};

// Builds the records of the entries before position `end` of the current layer, whose
// records were deferred, from a second read of the layer; the layer keeps its records
// from then on. corrupt_input when the layer reads differently the second time.
Result<void> build_deferred_records(MergeState& m, std::uint32_t end);

// Resolves every hardlink left open by the merge, then reads the content of targets
// upper layers had hidden (merge_links.cpp). Errors name the layer and the link.
Result<void> resolve_links(MergeState& m);

} // namespace sifkit::convert
