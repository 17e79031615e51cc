#include "state.h"

#include <common/sha256.h>

#include <cerrno>
#include <cstdlib>

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
    root = "/tmp/sifkit-" + std::to_string(uid);
  }
  if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) {
    if (errno != ENOENT) {
      return fail_errno("creating the state directory " + root, errno);
    }
    if (auto made = make_private_dirs(root); !made) {
      return std::unexpected(made.error());
    }
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
