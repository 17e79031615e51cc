#pragma once

// Snapshots of directory trees as lstat/readlink/llistxattr see them, compared with a
// readable diff; unsquashfs extraction to get such a tree out of a squashfs file.
#include <cstdint>
#include <map>
#include <string>

namespace sifkit::test {

// One node of a snapshot. `link_group` is the first path (in sorted order) of the set of
// paths sharing the node's inode when it has more than one link, "" otherwise.
struct TreeNode {
  char type = '?'; // f d l c b p s
  std::uint32_t mode = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t size = 0;
  std::int64_t mtime = 0;
  std::string sha256; // regular files
  std::string link_target;
  std::uint64_t rdev = 0;
  std::map<std::string, std::string> xattrs;
  std::string link_group;
};
using Tree = std::map<std::string, TreeNode>; // "" is the root, else "a/b"

// Walks `root` without following symlinks.
Tree snapshot_tree(const std::string& root);

// Which fields a comparison leaves out, and why, is the caller's choice.
struct CompareOptions {
  bool directory_mtimes = false; // extraction touches them after filling a directory
  bool root_node = true;
};
// "" when equal, else a readable diff of at most `limit` differing paths.
std::string diff_trees(const Tree& expected, const Tree& actual, const CompareOptions& options = {},
                       std::size_t limit = 20);
// One line describing `node`, for messages.
std::string describe(const TreeNode& node);

// Whether `program` is found on PATH.
bool have_program(const std::string& program);
// Extracts squashfs `image` into `dir` (which must not exist) with unsquashfs, owners
// and xattrs kept. Fails the test when unsquashfs fails.
void unsquash(const std::string& image, const std::string& dir);

} // namespace sifkit::test
