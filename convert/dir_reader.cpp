#include <common/file.h>
#include <convert/dir_reader.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace sifkit::convert {

namespace {

constexpr std::size_t k_read_buffer = 1 << 20;

struct Level {
  std::string path; // relative, "" for the root
  std::vector<std::string> names;
  std::size_t next = 0;
};

class DirReader : public EntryReader {
public:
  explicit DirReader(std::string root) : m_root(std::move(root)), m_buffer(k_read_buffer) {}

  Result<void> start() {
    struct stat st {};
    if (::stat(m_root.c_str(), &st) != 0)
      return fail_errno(m_root, errno);
    if (!S_ISDIR(st.st_mode))
      return fail(ErrorKind::usage, m_root + " is not a directory");
    return push_level("");
  }

  Result<std::optional<Entry>> next() override {
    close_file();
    while (!m_stack.empty()) {
      Level& top = m_stack.back();
      if (top.next == top.names.size()) {
        m_stack.pop_back();
        continue;
      }
      std::string rel =
          top.path.empty() ? top.names[top.next] : top.path + "/" + top.names[top.next];
      ++top.next;
      auto entry = stat_entry(rel);
      if (!entry)
        return std::unexpected(entry.error());
      if (entry->type == EntryType::directory) {
        SIFKIT_TRY(push_level(rel));
      }
      return entry;
    }
    return std::nullopt;
  }

  Result<std::optional<DataPiece>> read_data() override {
    if (!m_fd || m_offset >= m_size)
      return std::nullopt;
    std::size_t want = static_cast<std::size_t>(
        std::min<std::int64_t>(m_size - m_offset, static_cast<std::int64_t>(m_buffer.size())));
    ssize_t got = ::pread(m_fd.get(), m_buffer.data(), want, m_offset);
    if (got < 0)
      return fail_errno("read " + m_current, errno);
    if (got == 0) {
      return fail(ErrorKind::io, fmt::format("{} shrank while it was read ({} of {} bytes)",
                                             m_current, m_offset, m_size));
    }
    DataPiece piece{{m_buffer.data(), static_cast<std::size_t>(got)}, m_offset};
    m_offset += got;
    return piece;
  }

  const std::string& name() const override { return m_root; }

private:
  Result<void> push_level(const std::string& rel) {
    std::string full = absolute(rel);
    DIR* dir = ::opendir(full.c_str());
    if (dir == nullptr)
      return fail_errno("open directory " + full, errno);
    Level level{rel, {}, 0};
    while (dirent* d = ::readdir(dir)) {
      std::string_view n = d->d_name;
      if (n == "." || n == "..")
        continue;
      level.names.emplace_back(n);
    }
    ::closedir(dir);
    std::sort(level.names.begin(), level.names.end());
    m_stack.push_back(std::move(level));
    return {};
  }

  std::string absolute(const std::string& rel) const {
    return rel.empty() ? m_root : m_root + "/" + rel;
  }

  Result<Entry> stat_entry(const std::string& rel) {
    std::string full = absolute(rel);
    struct stat st {};
    if (::lstat(full.c_str(), &st) != 0)
      return fail_errno("stat " + full, errno);
    Entry e;
    e.path = rel;
    e.mode = st.st_mode & 07777;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    e.mtime = st.st_mtim.tv_sec;
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [it, inserted] = m_inodes.try_emplace({st.st_dev, st.st_ino}, rel);
      if (!inserted) {
        e.type = EntryType::hardlink;
        e.link_target = it->second;
        return e;
      }
    }
    switch (st.st_mode & S_IFMT) {
    case S_IFREG:
      e.type = EntryType::file;
      e.size = st.st_size;
      SIFKIT_TRY(open_file(full, st.st_size));
      break;
    case S_IFDIR:
      e.type = EntryType::directory;
      break;
    case S_IFLNK: {
      e.type = EntryType::symlink;
      std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlink(full.c_str(), target.data(), target.size());
      if (n < 0)
        return fail_errno("readlink " + full, errno);
      target.resize(static_cast<std::size_t>(n));
      e.link_target = std::move(target);
      break;
    }
    case S_IFCHR:
    case S_IFBLK:
      e.type = S_ISCHR(st.st_mode) ? EntryType::char_device : EntryType::block_device;
      e.rdev_major = major(st.st_rdev);
      e.rdev_minor = minor(st.st_rdev);
      break;
    case S_IFIFO:
      e.type = EntryType::fifo;
      break;
    case S_IFSOCK:
      e.type = EntryType::socket;
      break;
    default:
      return fail(ErrorKind::unsupported, full + " has an unknown file type");
    }
    SIFKIT_TRY_ASSIGN(auto xattrs, read_xattrs(full));
    e.xattrs = std::move(xattrs);
    return e;
  }

  static Result<std::vector<Xattr>> read_xattrs(const std::string& full) {
    std::vector<Xattr> out;
    ssize_t size = ::llistxattr(full.c_str(), nullptr, 0);
    if (size < 0) {
      if (errno == ENOTSUP)
        return out;
      return fail_errno("list xattrs of " + full, errno);
    }
    std::string names(static_cast<std::size_t>(size), '\0');
    size = ::llistxattr(full.c_str(), names.data(), names.size());
    if (size < 0)
      return fail_errno("list xattrs of " + full, errno);
    names.resize(static_cast<std::size_t>(size));
    for (std::size_t pos = 0; pos < names.size();) {
      std::string name = names.c_str() + pos;
      pos += name.size() + 1;
      ssize_t vsize = ::lgetxattr(full.c_str(), name.c_str(), nullptr, 0);
      if (vsize < 0)
        continue; // removed meanwhile
      std::string value(static_cast<std::size_t>(vsize), '\0');
      vsize = ::lgetxattr(full.c_str(), name.c_str(), value.data(), value.size());
      if (vsize < 0)
        continue;
      value.resize(static_cast<std::size_t>(vsize));
      out.push_back({std::move(name), std::move(value)});
    }
    std::sort(out.begin(), out.end(),
              [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
    return out;
  }

  Result<void> open_file(const std::string& full, std::int64_t size) {
    // O_NONBLOCK and the type check: the entry was a regular file when listed, but may have
    // been swapped for a FIFO since, which would block the open.
    m_fd.reset(::open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!m_fd)
      return fail_errno("open " + full, errno);
    struct stat st {};
    if (::fstat(m_fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      close_file();
      return fail(ErrorKind::corrupt_input,
                  full + " changed to something that is not a regular file");
    }
    m_current = full;
    m_size = size;
    m_offset = 0;
    return {};
  }

  void close_file() { m_fd.reset(); }

  std::string m_root;
  std::vector<std::byte> m_buffer;
  std::vector<Level> m_stack;
  std::map<std::pair<dev_t, ino_t>, std::string> m_inodes;
  UniqueFd m_fd;
  std::string m_current;
  std::int64_t m_size = 0;
  std::int64_t m_offset = 0;
};

} // namespace

Result<std::unique_ptr<EntryReader>> open_directory(const std::string& root) {
  auto reader = std::make_unique<DirReader>(root);
  SIFKIT_TRY(reader->start());
  return std::unique_ptr<EntryReader>(std::move(reader));
}

} // namespace sifkit::convert
