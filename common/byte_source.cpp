#include <common/byte_source.h>
#include <common/file.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <unistd.h>

namespace sifkit {

ByteSource source_from_string(std::string data) {
  auto state = std::make_shared<std::pair<std::string, std::size_t>>(std::move(data), 0);
  return [state](std::span<std::byte> buf) -> Result<std::size_t> {
    auto& [bytes, pos] = *state;
    std::size_t n = std::min(buf.size(), bytes.size() - pos);
    std::memcpy(buf.data(), bytes.data() + pos, n);
    pos += n;
    return n;
  };
}

Result<ByteSource> source_from_path(const std::string& path) {
  SIFKIT_TRY_ASSIGN(auto file, File::open(path, OpenMode::read_only));
  auto shared = std::make_shared<File>(std::move(file));
  return ByteSource([shared](std::span<std::byte> buf) -> Result<std::size_t> {
    for (;;) {
      ssize_t n = ::read(shared->fd(), buf.data(), buf.size());
      if (n >= 0) {
        return static_cast<std::size_t>(n);
      }
      if (errno != EINTR) {
        return fail_errno("cannot read " + shared->path(), errno);
      }
    }
  });
}

ByteSource source_from_fd_range(int fd, std::int64_t offset, std::int64_t length,
                                std::string name) {
  auto pos = std::make_shared<std::int64_t>(0);
  return [=](std::span<std::byte> buf) -> Result<std::size_t> {
    auto want = static_cast<std::size_t>(
        std::min<std::int64_t>(static_cast<std::int64_t>(buf.size()), length - *pos));
    if (want == 0) {
      return std::size_t{0};
    }
    for (;;) {
      ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset + *pos));
      if (n > 0) {
        *pos += n;
        return static_cast<std::size_t>(n);
      }
      if (n == 0) {
        return fail(ErrorKind::corrupt_input, name + ": unexpected end of file");
      }
      if (errno != EINTR) {
        return fail_errno("cannot read " + name, errno);
      }
    }
  };
}

} // namespace sifkit
