// Entries an upper layer put below a path that a lower layer makes a symlink: moved to
// where the symlink leads, as umoci (like tar) resolves paths through symlinks inside
// the root.
#include <convert/merge_state.h>

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sifkit::convert {

std::string MergeState::path_of(const Node& node) {
  std::vector<std::string_view> parts;
  for (const Node* n = &node; n->parent != nullptr; n = n->parent)
    parts.push_back(n->name());
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!out.empty())
      out += '/';
    out += *it;
  }
  return out;
}

// Moves `from`'s children into `to`; where both have a name, directories merge and
// otherwise the entry of the upper layer wins.
void MergeState::merge_children(Node& from, Node& to) {
  for (Node* moved : FsTree::sorted_children(from)) {
    moved_from.try_emplace(moved, path_of(*moved));
    tree.detach(*moved);
    Node* there = tree.find_child(to, moved->name());
    if (there == nullptr) {
      tree.attach(to, *moved);
      continue;
    }
    if (there->is_dir() && moved->is_dir()) {
      merge_children(*moved, *there);
      there->opaque_layer = std::max(there->opaque_layer, moved->opaque_layer);
    } else if (moved->layer > there->layer) {
      tree.detach(*there);
      tree.attach(to, *moved);
    }
  }
}

// Appends the components of symlink `target` (found at `link_dir`/...) to `out`,
// lexically, clamped at the root as inside a chroot.
void MergeState::append_link_target(std::vector<std::string>& out, std::string_view target) {
  if (target.starts_with('/'))
    out.clear();
  for (std::string_view part : split_path(target)) {
    if (part.empty() || part == ".")
      continue;
    if (part == "..") {
      if (!out.empty())
        out.pop_back();
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
Result<void> MergeState::rehome_below_symlink(Node& dir, const Entry& link) {
  constexpr int k_max_symlinks = 40;
  std::string here = path_of(dir);
  auto cannot_place = [&](std::string_view why) {
    const Node* leaf = &dir;
    while (leaf->has_children())
      leaf = FsTree::sorted_children(*leaf).front();
    auto was = moved_from.find(leaf);
    std::string entry = was == moved_from.end() ? path_of(*leaf) : was->second;
    return fail(ErrorKind::corrupt_input,
                fmt::format("{}: entry \"{}\" lies below \"{}\", which {} makes a symlink to "
                            "\"{}\" {}",
                            layers[leaf->layer].name, entry, here, layers[layer].name,
                            link.link_target, why));
  };
  std::vector<std::string> walk;
  for (std::string_view part : split_path(here))
    walk.emplace_back(part);
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
    if (dest == &dir)
      return cannot_place("that leads into itself");
    Node* found = tree.find_child(*dest, part);
    if (found == nullptr) {
      dest = &add_implicit_dir(*dest, part, dir.layer);
    } else if (Node& next = *found; next.is_dir()) {
      dest = &next;
    } else if (next.inode != nullptr && next.inode->type == EntryType::symlink) {
      if (++followed > k_max_symlinks)
        return cannot_place("that loops");
      std::vector<std::string> rest(walk.rbegin(), walk.rend());
      std::vector<std::string> target = resolved;
      append_link_target(target, next.inode->target());
      target.insert(target.end(), rest.begin(), rest.end());
      walk.assign(target.rbegin(), target.rend());
      resolved.clear();
      dest = &tree.root();
      continue;
    } else {
      return cannot_place("through something that is not a directory");
    }
    resolved.push_back(std::move(part));
    if (resolved.size() > k_max_entry_depth)
      return cannot_place(fmt::format("that leads deeper than {} directories", k_max_entry_depth));
  }
  if (dest == &dir)
    return cannot_place("that leads to itself");
  for (const Node* n = dest; n != nullptr; n = n->parent) {
    if (n == &dir)
      return cannot_place("that leads into itself");
  }
  merge_children(dir, *dest);
  return {};
}

} // namespace sifkit::convert
