#include "convert/tree_snapshot.h"

#include <common/sha256.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <vector>

#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace sifkit::test {

namespace {

char node_type(mode_t mode) {
  if (S_ISREG(mode))
    return 'f';
  if (S_ISDIR(mode))
    return 'd';
  if (S_ISLNK(mode))
    return 'l';
  if (S_ISCHR(mode))
    return 'c';
  if (S_ISBLK(mode))
    return 'b';
  if (S_ISFIFO(mode))
    return 'p';
  if (S_ISSOCK(mode))
    return 's';
  return '?';
}

std::map<std::string, std::string> read_xattrs(const std::string& path) {
  std::map<std::string, std::string> out;
  ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
  if (size <= 0)
    return out;
  std::string names(static_cast<std::size_t>(size), '\0');
  size = ::llistxattr(path.c_str(), names.data(), names.size());
  if (size <= 0)
    return out;
  names.resize(static_cast<std::size_t>(size));
  for (std::size_t pos = 0; pos < names.size();) {
    std::string name = names.c_str() + pos;
    pos += name.size() + 1;
    ssize_t vsize = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    std::string value(vsize > 0 ? static_cast<std::size_t>(vsize) : 0, '\0');
    if (vsize > 0) {
      vsize = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
      value.resize(vsize > 0 ? static_cast<std::size_t>(vsize) : 0);
    }
    out[name] = value;
  }
  return out;
}

struct WalkState {
  Tree tree;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> inode_of; // multi-link only
};

void walk(const std::string& root, const std::string& rel, WalkState& state) {
  std::string full = rel.empty() ? root : root + "/" + rel;
  struct stat st {};
  if (::lstat(full.c_str(), &st) != 0) {
    FAIL("lstat " << full << " failed");
  }
  TreeNode node;
  node.type = node_type(st.st_mode);
  node.mode = st.st_mode & 07777;
  node.uid = st.st_uid;
  node.gid = st.st_gid;
  // A directory's st_size is the file system's business (ext4 blocks, squashfs listing
  // bytes, tmpfs entries), not the image's: it is not compared.
  node.size = node.type == 'd' ? 0 : st.st_size;
  node.mtime = st.st_mtime;
  node.xattrs = read_xattrs(full);
  if (node.type == 'c' || node.type == 'b')
    node.rdev = st.st_rdev;
  if (node.type == 'l') {
    std::string target(4096, '\0');
    ssize_t n = ::readlink(full.c_str(), target.data(), target.size());
    node.link_target = target.substr(0, n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  if (node.type == 'f') {
    std::ifstream in(full, std::ios::binary);
    Sha256 hash;
    std::string buffer(1 << 16, '\0');
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      hash.update(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
    }
    node.sha256 = hash.hex_digest();
  }
  if (node.type != 'd' && st.st_nlink > 1) {
    state.inode_of[rel] = {st.st_dev, st.st_ino};
  }
  state.tree[rel] = node;
  if (node.type != 'd')
    return;
  std::vector<std::string> names;
  DIR* dir = ::opendir(full.c_str());
  if (dir == nullptr) {
    FAIL("opendir " << full << " failed");
  }
  while (struct dirent* ent = ::readdir(dir)) {
    std::string name = ent->d_name;
    if (name != "." && name != "..")
      names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    walk(root, rel.empty() ? name : rel + "/" + name, state);
  }
}

bool same_node(const TreeNode& a, const TreeNode& b, const CompareOptions& options) {
  bool mtime_counts = a.type != 'd' || options.directory_mtimes;
  return a.type == b.type && a.mode == b.mode && a.uid == b.uid && a.gid == b.gid &&
         a.size == b.size && (!mtime_counts || a.mtime == b.mtime) && a.sha256 == b.sha256 &&
         a.link_target == b.link_target && a.rdev == b.rdev && a.xattrs == b.xattrs &&
         a.link_group == b.link_group;
}

} // namespace

Tree snapshot_tree(const std::string& root) {
  WalkState state;
  walk(root, "", state);
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> first_path;
  for (const auto& [path, inode] : state.inode_of) {
    first_path.emplace(inode, path); // map order: the first path in sorted order wins
  }
  for (const auto& [path, inode] : state.inode_of) {
    state.tree[path].link_group = first_path[inode];
  }
  return std::move(state.tree);
}

std::string describe(const TreeNode& node) {
  std::string out = fmt::format("{} {:04o} {}:{}", node.type, node.mode, node.uid, node.gid);
  if (node.type == 'f')
    out += fmt::format(" size={} sha256={}", node.size, node.sha256.substr(0, 12));
  out += fmt::format(" mtime={}", node.mtime);
  if (!node.link_target.empty())
    out += " -> " + node.link_target;
  if (node.rdev != 0)
    out += fmt::format(" rdev={}:{}", major(node.rdev), minor(node.rdev));
  for (const auto& [name, value] : node.xattrs)
    out += fmt::format(" {}({}B)", name, value.size());
  if (!node.link_group.empty())
    out += " linked-with=" + node.link_group;
  return out;
}

std::string diff_trees(const Tree& expected, const Tree& actual, const CompareOptions& options,
                       std::size_t limit) {
  std::set<std::string> paths;
  for (const auto& [path, node] : expected)
    paths.insert(path);
  for (const auto& [path, node] : actual)
    paths.insert(path);
  std::string out;
  std::size_t differing = 0;
  for (const auto& path : paths) {
    if (path.empty() && !options.root_node)
      continue;
    auto e = expected.find(path);
    auto a = actual.find(path);
    if (e != expected.end() && a != actual.end() && same_node(e->second, a->second, options)) {
      continue;
    }
    if (++differing > limit)
      continue;
    out += fmt::format("  /{}\n    expected: {}\n    actual:   {}\n", path,
                       e == expected.end() ? "(absent)" : describe(e->second),
                       a == actual.end() ? "(absent)" : describe(a->second));
  }
  if (differing > limit)
    out += fmt::format("  ... and {} more\n", differing - limit);
  return out;
}

bool have_program(const std::string& program) {
  return run_command("command -v " + program).exit_code == 0;
}

void unsquash(const std::string& image, const std::string& dir) {
  CommandResult r = run_command(fmt::format("unsquashfs -n -st -d '{}' '{}'", dir, image));
  INFO("unsquashfs output: " << r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

} // namespace sifkit::test
