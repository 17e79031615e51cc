#include <common/atomic_file.h>
#include <common/file.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit {

namespace {

// `usage` unless the open descriptor `fd` (known as `path`) is a regular file.
Result<void> check_regular(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return fail_errno("cannot stat " + path, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    return fail(ErrorKind::usage, path + " is a directory");
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(ErrorKind::usage, path + " is not a regular file");
  }
  return {};
}

} // namespace

Result<File> File::open(const std::string& path, OpenMode mode) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. It changes
  // nothing for the regular files that pass the check below.
  int flags = (mode == OpenMode::read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK;
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    return fail_errno("cannot open " + path, errno);
  }
  File file = adopt(fd, path);
  SIFKIT_TRY(check_regular(fd, path));
  return file;
}

Result<File> File::create_exclusive(const std::string& path, unsigned mode) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return fail_errno("cannot create " + path, errno);
  }
  return adopt(fd, path);
}

File File::adopt(int fd, std::string path) {
  File f;
  f.m_fd.reset(fd);
  f.m_path = std::move(path);
  return f;
}

Result<std::int64_t> File::size() const {
  struct stat st {};
  if (::fstat(m_fd.get(), &st) != 0) {
    return fail_errno("cannot stat " + m_path, errno);
  }
  return static_cast<std::int64_t>(st.st_size);
}

Result<void> File::pread_exact(std::span<std::byte> out, std::int64_t offset) const {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(m_fd.get(), out.data() + done, out.size() - done,
                        static_cast<off_t>(offset + static_cast<std::int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail_errno("cannot read " + m_path, errno);
    }
    if (n == 0) {
      return fail(ErrorKind::corrupt_input,
                  m_path + ": unexpected end of file at offset " +
                      std::to_string(offset + static_cast<std::int64_t>(done)));
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> File::pwrite_all(std::span<const std::byte> data, std::int64_t offset) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(m_fd.get(), data.data() + done, data.size() - done,
                         static_cast<off_t>(offset + static_cast<std::int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail_errno("cannot write " + m_path, errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> File::truncate(std::int64_t length) {
  if (::ftruncate(m_fd.get(), static_cast<off_t>(length)) != 0) {
    return fail_errno("cannot truncate " + m_path, errno);
  }
  return {};
}

Result<void> File::sync() {
  if (::fsync(m_fd.get()) != 0) {
    return fail_errno("cannot sync " + m_path, errno);
  }
  return {};
}

Result<void> File::close() {
  if (!m_fd) {
    return {};
  }
  int fd = m_fd.release();
  if (::close(fd) != 0) {
    return fail_errno("cannot close " + m_path, errno);
  }
  return {};
}

Result<std::string> real_path(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) {
    return fail_errno(path, errno);
  }
  std::string text(resolved);
  std::free(resolved);
  return text;
}

Result<UniqueFd> take_ofd_lock(const std::string& path, bool create) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600));
  if (!fd) {
    return fail_errno("opening " + path, errno);
  }
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  if (::fcntl(fd.get(), F_OFD_SETLK, &lock) != 0) {
    int error = errno;
    if (error == EAGAIN || error == EACCES) {
      return fail(ErrorKind::conflict, path + " is locked");
    }
    return fail_errno("locking " + path, error);
  }
  return fd;
}

Result<std::string> read_open_file(const File& file, std::size_t max_bytes) {
  SIFKIT_TRY(check_regular(file.fd(), file.path()));
  SIFKIT_TRY_ASSIGN(auto size, file.size());
  auto too_large = [&] {
    return fail(ErrorKind::capacity, file.path() + " is larger than the " +
                                         std::to_string(max_bytes) + " bytes read from it");
  };
  if (static_cast<std::uint64_t>(size) > max_bytes) {
    return too_large();
  }
  // Read to the end rather than to the stat size: files under /proc and /sys announce 0.
  // One byte past the limit tells a file that grew too long.
  std::string data(std::min(static_cast<std::size_t>(size) + 4096, max_bytes + 1), '\0');
  std::size_t done = 0;
  for (;;) {
    if (done == data.size()) {
      if (done > max_bytes) {
        return too_large();
      }
      data.resize(std::min(data.size() * 2, max_bytes + 1));
    }
    ssize_t n =
        ::pread(file.fd(), data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail_errno("read " + file.path(), errno);
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (done > max_bytes) {
    return too_large();
  }
  data.resize(done);
  return data;
}

Result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
  SIFKIT_TRY_ASSIGN(auto file, File::open(path, OpenMode::read_only));
  return read_open_file(file, max_bytes);
}

Result<void> write_file_atomic(const std::string& path, std::string_view data,
                               Durability durability) {
  SIFKIT_TRY_ASSIGN(auto tmp, AtomicFile::create(path));
  SIFKIT_TRY(tmp.file().pwrite_all(std::as_bytes(std::span(data)), 0));
  return tmp.commit(durability);
}

} // namespace sifkit
