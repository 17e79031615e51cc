#include "source.h"

#include <array>
#include <string_view>

#include <sys/stat.h>

namespace sifkit::tools {

namespace {

bool is_tar_name(std::string_view path) {
  constexpr std::array<std::string_view, 4> k_suffixes = {".tar", ".tar.gz", ".tgz", ".tar.zst"};
  for (std::string_view suffix : k_suffixes) {
    if (path.ends_with(suffix)) {
      return true;
    }
  }
  return false;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

} // namespace

Result<SquashSource> classify_source(const std::string& text) {
  if (text.starts_with("tar:")) {
    return SquashSource{SourceKind::tar, text.substr(4)};
  }
  struct stat st {};
  if (::stat(text.c_str(), &st) != 0) {
    // Not a path: a reference (oci:DIR, docker://..., a bare registry name).
    return SquashSource{SourceKind::image, text};
  }
  if (S_ISDIR(st.st_mode)) {
    if (exists(text + "/oci-layout")) {
      return SquashSource{SourceKind::image, "oci:" + text};
    }
    return SquashSource{SourceKind::directory, text};
  }
  if (S_ISREG(st.st_mode) && is_tar_name(text)) {
    return SquashSource{SourceKind::tar, text};
  }
  return fail(ErrorKind::usage,
              text +
                  ": not a root filesystem: a file must be a tar (.tar, .tar.gz, .tgz, "
                  ".tar.zst, or tar:FILE); name an archive's format (oci-archive:" +
                  text + ", docker-archive:" + text + ")");
}

} // namespace sifkit::tools
