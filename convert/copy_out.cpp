#include "copy_out.h"

#include <common/atomic_file.h>
#include <common/file.h>

#include <cerrno>
#include <vector>

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace sifkit::convert {

namespace {

// Copies with copy_file_range, falling back to read/write where the kernel or the file
// systems refuse it (EXDEV before 5.3, EINVAL / EOPNOTSUPP on some file systems).
Result<void> copy_range(const File& from, File& to, std::int64_t size) {
  loff_t in_offset = 0;
  loff_t out_offset = 0;
  while (in_offset < size) {
    ssize_t n = ::copy_file_range(from.fd(), &in_offset, to.fd(), &out_offset,
                                  static_cast<std::size_t>(size - in_offset), 0);
    if (n > 0) {
      continue;
    }
    if (n == 0) {
      return fail(ErrorKind::io, from.path() + " shrank while it was copied");
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP && errno != ENOSYS) {
      return fail_errno("copy " + from.path() + " to " + to.path(), errno);
    }
    std::vector<std::byte> buffer(1 << 20);
    while (in_offset < size) {
      auto chunk = std::min<std::int64_t>(size - in_offset, std::ssize(buffer));
      std::span<std::byte> piece(buffer.data(), static_cast<std::size_t>(chunk));
      SIFKIT_TRY(from.pread_exact(piece, in_offset));
      SIFKIT_TRY(to.pwrite_all(piece, out_offset));
      in_offset += chunk;
      out_offset += chunk;
    }
  }
  return {};
}

} // namespace

Result<CopyResult> copy_file_contents(const File& from, File& to, std::int64_t size) {
  CopyResult result{CopyMethod::clone, size};
  if (::ioctl(to.fd(), FICLONE, from.fd()) != 0) {
    result.method = CopyMethod::copy;
    SIFKIT_TRY(copy_range(from, to, size));
  }
  return result;
}

Result<CopyResult> copy_file_atomic(const std::string& from, const std::string& to) {
  SIFKIT_TRY_ASSIGN(auto source,
                    with_context(File::open(from, OpenMode::read_only), "copying " + from));
  SIFKIT_TRY_ASSIGN(auto size, with_context(source.size(), "copying " + from));
  SIFKIT_TRY_ASSIGN(auto target, with_context(AtomicFile::create(to), "copying " + from));
  CopyResult result{CopyMethod::clone, size};
  if (::ioctl(target.file().fd(), FICLONE, source.fd()) != 0) {
    result.method = CopyMethod::copy;
    SIFKIT_TRY(copy_range(source, target.file(), size));
  }
  SIFKIT_TRY(target.commit());
  return result;
}

} // namespace sifkit::convert
