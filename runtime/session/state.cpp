#include <common/sha256.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "session.h"
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::runtime {

Result<void> make_private_dirs(const std::string& path) {
  for (std::size_t at = 1; at <= path.size(); ++at) {
    if (at != path.size() && path[at] != '/') {
      continue;
    }
    std::string prefix = path.substr(0, at);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return fail_errno("creating " + prefix, errno);
    }
  }
  return {};
}

namespace {

// A directory (not a link) of `uid`'s alone.
bool is_private_directory(const std::string& path, uid_t uid) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid &&
         (st.st_mode & 077) == 0;
}

// The first by name of `base`/`prefix`XXXXXX that is_private_directory; empty when none.
std::string find_private_directory(const std::string& base, const std::string& prefix, uid_t uid) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() == prefix.size() + 6 && name.starts_with(prefix)) {
      names.push_back(std::move(name));
    }
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    if (is_private_directory(base + "/" + name, uid)) {
      return base + "/" + name;
    }
  }
  return {};
}

} // namespace

Result<std::string> private_state_dir(const std::string& base, uid_t uid) {
  std::string usual = base + "/sifkit-" + std::to_string(uid);
  if (::mkdir(usual.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail_errno("creating the state directory " + usual, errno);
  }
  if (is_private_directory(usual, uid)) {
    return usual;
  }
  // Someone else made the usual name (anyone can in /tmp): a name only we can have made.
  std::string prefix = "sifkit-" + std::to_string(uid) + "-";
  if (std::string found = find_private_directory(base, prefix, uid); !found.empty()) {
    return found;
  }
  std::string pattern = base + "/" + prefix + "XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    return fail_errno("creating a state directory in " + base + " (" + usual +
                          " belongs to another user)",
                      errno);
  }
  std::string made(buffer.data());
  // Two first runs may both have made one: all use the first by name from now on.
  std::string first = find_private_directory(base, prefix, uid);
  if (!first.empty() && first != made) {
    ::rmdir(made.c_str());
    return first;
  }
  return made;
}

Result<std::string> state_root() {
  std::string root;
  uid_t uid = ::geteuid();
  if (const char* own = std::getenv("SIFKIT_STATE_DIR"); own != nullptr && *own == '/') {
    root = own;
  } else if (uid == 0) {
    root = "/run/sifkit";
  } else if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg == '/') {
    root = std::string(xdg) + "/sifkit";
  } else {
    return private_state_dir("/tmp", uid);
  }
  if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) {
    if (errno != ENOENT) {
      return fail_errno("creating the state directory " + root, errno);
    }
    SIFKIT_TRY(make_private_dirs(root));
  }
  struct stat st {};
  if (::lstat(root.c_str(), &st) != 0) {
    return fail_errno("state directory " + root, errno);
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != uid) {
    return fail(ErrorKind::conflict, "the state directory " + root +
                                         " is not a directory owned by uid " + std::to_string(uid));
  }
  return root;
}

std::string mount_session_dir(const std::string& root, const std::string& target) {
  std::string hex = sha256_hex(target);
  return root + "/mounts/" + hex.substr(0, 16);
}

std::string run_session_dir(const std::string& root, const std::string& id) {
  return root + "/runs/" + id;
}

std::string runtime_state_dir(const std::string& root, const std::string& runtime_name) {
  return root + "/runtime/" + runtime_name;
}

} // namespace sifkit::runtime
