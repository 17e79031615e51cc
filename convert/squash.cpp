#include <convert/fs_tree.h>
#include <convert/layer_merge.h>
#include <convert/squash.h>
#include <convert/squashfs_writer.h>

#include <vector>

namespace sifkit::convert {

namespace {

// Counts each object once: after the tree is written, objects are numbered 1..N.
void count_tree(const Node& dir, SquashStats& stats, std::vector<bool>& seen) {
  for (const Node* child = dir.first_child; child != nullptr; child = child->next_sibling) {
    const Inode* inode = child->inode;
    if (seen[inode->number])
      continue;
    seen[inode->number] = true;
    ++stats.inodes;
    if (inode->type == EntryType::directory) {
      ++stats.directories;
      count_tree(*child, stats, seen);
    } else if (inode->type == EntryType::file) {
      ++stats.files;
    }
  }
}

Result<SquashStats> squash(std::span<const LayerInput> layers, std::span<const WhiteoutMode> modes,
                           const std::string& out_path, const SquashOptions& options,
                           const SquashProgressCallback& progress) {
  // The tree outlives the writer: until the block processor is finished (also when a
  // failure abandons the image) it writes into the tree's file records.
  FsTree tree(options.tree_limits);
  SIFKIT_TRY_ASSIGN(auto writer, SquashfsWriter::create(out_path, options));
  SquashStats stats;
  {
    // Gone before the tree is written: what it kept for hardlinks is no longer needed.
    LayerMerger merger(layers, modes, tree, writer, progress);
    SIFKIT_TRY(merger.run());
    stats = merger.stats();
  }
  SIFKIT_TRY_ASSIGN(auto size, writer.finish(tree));

  stats.bytes_in = writer.bytes_in();
  stats.image_size = size;
  stats.xattrs_dropped = writer.xattrs_dropped();
  stats.tree_nodes = tree.node_count();
  // The root is numbered last.
  std::vector<bool> seen(tree.root().inode->number + 1);
  seen[tree.root().inode->number] = true;
  stats.directories = 1;
  stats.inodes = 1;
  count_tree(tree.root(), stats, seen);
  if (progress) {
    progress({stats.bytes_in, stats.image_size, 0, static_cast<int>(layers.size())});
  }
  return stats;
}

} // namespace

Result<SquashStats> squash_layers(std::span<const LayerInput> layers, const std::string& out_path,
                                  const SquashOptions& options,
                                  const SquashProgressCallback& progress) {
  std::vector<WhiteoutMode> modes;
  for (const LayerInput& layer : layers) {
    modes.push_back(layer.whiteouts == Whiteouts::interpret ? WhiteoutMode::interpret
                                                            : WhiteoutMode::literal);
  }
  return squash(layers, modes, out_path, options, progress);
}

Result<SquashStats> squash_layer_for_overlay(const LayerInput& layer, const std::string& out_path,
                                             const SquashOptions& options,
                                             const SquashProgressCallback& progress) {
  WhiteoutMode mode =
      layer.whiteouts == Whiteouts::interpret ? WhiteoutMode::overlay : WhiteoutMode::literal;
  return squash(std::span(&layer, 1), std::span(&mode, 1), out_path, options, progress);
}

} // namespace sifkit::convert
