#include <cache/location.h>

#include <cerrno>
#include <cstdlib>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::cache {

std::optional<std::string> process_environment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') {
    return std::nullopt;
  }
  return std::string(value);
}

Result<std::string> resolve_cache_directory(const std::optional<std::string>& flag,
                                            const EnvironmentLookup& environment) {
  if (flag && !flag->empty()) {
    return *flag;
  }
  if (auto dir = environment("SIFKIT_CACHEDIR")) {
    return *dir;
  }
  if (auto xdg = environment("XDG_CACHE_HOME")) {
    return *xdg + "/sifkit";
  }
  if (auto home = environment("HOME")) {
    return *home + "/.cache/sifkit";
  }
  if (const passwd* entry = ::getpwuid(::geteuid());
      entry != nullptr && entry->pw_dir != nullptr && *entry->pw_dir != '\0') {
    return std::string(entry->pw_dir) + "/.cache/sifkit";
  }
  return fail(ErrorKind::not_found,
              "cannot choose a cache directory: pass --cache DIR or set $SIFKIT_CACHEDIR");
}

namespace {

// mkdir -p with 0700 for every directory it creates; existing parents are left alone.
Result<void> make_directories(const std::string& directory) {
  if (::mkdir(directory.c_str(), 0700) == 0 || errno == EEXIST) {
    return {};
  }
  if (errno != ENOENT) {
    return fail_errno("cannot create cache directory " + directory, errno);
  }
  auto slash = directory.find_last_of('/');
  if (slash == std::string::npos || slash == 0) {
    return fail_errno("cannot create cache directory " + directory, ENOENT);
  }
  SIFKIT_TRY(make_directories(directory.substr(0, slash)));
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail_errno("cannot create cache directory " + directory, errno);
  }
  return {};
}

} // namespace

Result<void> ensure_cache_directory(const std::string& directory) {
  SIFKIT_TRY(make_directories(directory));
  struct stat st {};
  if (::stat(directory.c_str(), &st) != 0) {
    return fail_errno("cannot inspect cache directory " + directory, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return fail(ErrorKind::conflict, "cache directory " + directory + " is not a directory");
  }
  if (st.st_uid != ::geteuid()) {
    return fail(ErrorKind::conflict, "cache directory " + directory + " is owned by uid " +
                                         std::to_string(st.st_uid) + ", not by you (uid " +
                                         std::to_string(::geteuid()) + "); refusing to use it");
  }
  return {};
}

} // namespace sifkit::cache
