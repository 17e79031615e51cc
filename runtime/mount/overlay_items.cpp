#include <common/file.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "mount.h"
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

constexpr std::int64_t k_ext_magic_offset = 1080; // superblock at 1024, s_magic at +56
constexpr std::int64_t k_header_bytes = 1082;

// The first bytes of `path` (fewer when the file is shorter).
Result<std::string> read_header(const std::string& path) {
  // File::open: a regular file only, never waiting on a FIFO swapped in after the stat.
  SIFKIT_TRY_ASSIGN(auto file, with_context(File::open(path, OpenMode::read_only),
                                            "opening the overlay " + path));
  int fd = file.fd();
  std::string bytes(k_header_bytes, '\0');
  std::size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::pread(fd, bytes.data() + got, bytes.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail_errno("reading the overlay " + path, errno);
    }
    if (n == 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  bytes.resize(got);
  return bytes;
}

bool is_ext_image(const std::string& header) {
  return header.size() >= k_header_bytes &&
         static_cast<unsigned char>(header[k_ext_magic_offset]) == 0x53 &&
         static_cast<unsigned char>(header[k_ext_magic_offset + 1]) == 0xEF;
}

bool is_squashfs_image(const std::string& header) {
  return header.starts_with("hsqs");
}

std::string absolute(const std::string& path) {
  std::error_code ec;
  auto made = std::filesystem::absolute(path, ec);
  return ec ? path : made.lexically_normal().string();
}

} // namespace

std::string overlay_kind_name(OverlayKind kind) {
  switch (kind) {
  case OverlayKind::directory:
    return "directory";
  case OverlayKind::ext3:
    return "ext3 image";
  case OverlayKind::squashfs:
    return "squashfs image";
  }
  return "overlay";
}

Result<OverlayKind> detect_overlay_kind(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return fail(ErrorKind::not_found, "the overlay " + path +
                                            " does not exist (create the directory, or an "
                                            "ext3 image with mkfs.ext3 or sif-overlay create)");
    }
    return fail_errno("the overlay " + path, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    return OverlayKind::directory;
  }
  SIFKIT_TRY_ASSIGN(auto header,
                    S_ISREG(st.st_mode) ? read_header(path) : Result<std::string>(std::string()));
  if (is_squashfs_image(header)) {
    return OverlayKind::squashfs;
  }
  if (is_ext_image(header)) {
    return OverlayKind::ext3;
  }
  return fail(ErrorKind::usage,
              "the overlay " + path +
                  " is neither a directory, an ext3 image nor a squashfs image (told by its "
                  "content, not its name)");
}

Result<OverlaySpec> parse_overlay(const std::string& text) {
  std::string path = text;
  std::optional<bool> read_only;
  if (text.ends_with(":ro") || text.ends_with(":rw")) {
    read_only = text.ends_with(":ro");
    path = text.substr(0, text.size() - 3);
  }
  if (path.empty()) {
    return fail(ErrorKind::usage, "--overlay " + text + ": no path (PATH[:ro|:rw])");
  }
  OverlaySpec spec;
  spec.path = absolute(path);
  SIFKIT_TRY_ASSIGN(auto kind, with_context(detect_overlay_kind(spec.path), "--overlay " + text));
  spec.kind = kind;
  if (spec.kind == OverlayKind::squashfs) {
    if (read_only == false) {
      return fail(ErrorKind::usage, "--overlay " + text +
                                        ": a squashfs image is read-only; drop :rw (or use "
                                        "a directory or an ext3 image for a writable overlay)");
    }
    spec.read_only = true;
  } else {
    spec.read_only = read_only.value_or(false);
  }
  return spec;
}

const OverlaySpec* writable_overlay(const std::vector<OverlaySpec>& overlays) {
  for (const auto& overlay : overlays) {
    if (!overlay.read_only) {
      return &overlay;
    }
  }
  return nullptr;
}

Result<void> check_overlays(const std::vector<OverlaySpec>& overlays) {
  const OverlaySpec* first = writable_overlay(overlays);
  for (const auto& overlay : overlays) {
    if (!overlay.read_only && &overlay != first) {
      return fail(ErrorKind::usage,
                  fmt::format("--overlay {} and --overlay {} are both writable; at most one "
                              "overlay may be writable (add :ro to the others)",
                              first->path, overlay.path));
    }
  }
  return {};
}

} // namespace sifkit::runtime
