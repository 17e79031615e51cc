#pragma once

// The merge of image layers into one tree, newest layer first: the first time a path is
// seen wins, whiteouts and opaque markers hide what lower layers hold, and file content
// is streamed into the squashfs writer as soon as an entry is known to be visible.
// Hardlinks whose targets live in lower layers (or were hidden by upper ones) are
// resolved once every layer is read; content that was skipped but turns out to be
// needed by such a link is read in a second pass over its layer.
#include <common/error.h>
#include <convert/fs_tree.h>
#include <convert/squash.h>
#include <convert/squashfs_writer.h>

#include <memory>
#include <span>

namespace sifkit::convert {

struct MergeState;

// How a layer's whiteout names are treated by the merge.
enum class WhiteoutMode {
  interpret, // AUFS whiteouts hide lower layers' entries
  literal,   // ordinary names
  overlay,   // converted to overlayfs form in place (one layer on its own)
};

class LayerMerger {
public:
  // `layers` oldest first; `modes` one per layer.
  LayerMerger(std::span<const LayerInput> layers, std::span<const WhiteoutMode> modes,
              FsTree& tree, SquashfsWriter& writer, const SquashProgressCallback& progress);
  ~LayerMerger();

  // Reads every layer, newest first, then resolves the hardlinks left open. Errors name
  // the layer and the entry.
  Result<void> run();
  // What the merge counted (entries hidden, hardlinks, ...).
  const SquashStats& stats() const;

private:
  std::unique_ptr<MergeState> m_state;
};

} // namespace sifkit::convert
