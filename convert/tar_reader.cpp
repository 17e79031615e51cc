#include <convert/gzip_source.h>
#include <convert/tar_reader.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

namespace sifkit::convert {

namespace {

// Larger than any real file in an image, small enough that holes can be filled with
// zeros without running for ever on a hostile size.
constexpr std::int64_t k_max_file_size = std::int64_t{1} << 40;
constexpr std::size_t k_read_buffer = 1 << 20;
constexpr std::size_t k_sniff_size = 3; // gzip's magic and method

struct ArchiveFree {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};

class TarReader : public EntryReader {
public:
  TarReader(std::string name, ByteSource source)
      : m_name(std::move(name)), m_source(std::move(source)), m_buffer(k_read_buffer) {}

  Result<void> open_stream() {
    SIFKIT_TRY(prepare());
    SIFKIT_TRY(inflate_gzip_here());
    int rc = archive_read_open(m_archive.get(), this, nullptr, &TarReader::read_callback, nullptr);
    return check_open(rc);
  }

  Result<void> open_path(const std::string& path) {
    SIFKIT_TRY(prepare());
    int rc = archive_read_open_filename(m_archive.get(), path.c_str(), k_read_buffer);
    return check_open(rc);
  }

  Result<std::optional<Entry>> next() override {
    if (m_ended_after_data)
      return std::nullopt;
    archive_entry* ae = nullptr;
    int rc = archive_read_next_header(m_archive.get(), &ae);
    if (rc == ARCHIVE_EOF)
      return std::nullopt;
    if (rc < ARCHIVE_WARN)
      return archive_error("reading the next entry");
    ++m_index;
    return convert_entry(ae);
  }

  Result<std::optional<DataPiece>> read_data() override {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int rc = archive_read_data_block(m_archive.get(), &buf, &size, &offset);
    if (rc == ARCHIVE_EOF)
      return std::nullopt;
    if (rc < ARCHIVE_WARN) {
      // Some writers (umoci 0.4's insert, for one) end a layer right after the last
      // file's content, without padding or end-of-archive blocks. Go's archive/tar, which
      // docker and umoci use, accepts that; so do we, once the content is complete.
      if (!m_source_error && m_delivered >= m_size) {
        m_ended_after_data = true;
        return std::nullopt;
      }
      return archive_error(fmt::format("reading the data of \"{}\"", m_path));
    }
    m_delivered = std::max<std::int64_t>(m_delivered, offset + static_cast<std::int64_t>(size));
    return DataPiece{{static_cast<const std::byte*>(buf), size}, offset};
  }

  const std::string& name() const override { return m_name; }

private:
  Result<void> prepare() {
    m_archive.reset(archive_read_new());
    if (!m_archive)
      return fail(ErrorKind::internal, "libarchive: out of memory");
    archive_read_support_filter_all(m_archive.get());
    archive_read_support_format_tar(m_archive.get());
    archive_read_support_format_empty(m_archive.get());
    return {};
  }

  // A gzip stream is inflated by ISA-L (convert/gzip_source.h), much faster than the zlib
  // libarchive's filter uses; libarchive then reads a plain tar. Other compressions stay
  // with libarchive's filters.
  Result<void> inflate_gzip_here() {
    std::vector<std::byte> head(k_sniff_size);
    std::size_t got = 0;
    while (got < head.size()) {
      auto n = m_source(std::span(head).subspan(got));
      if (!n) {
        return std::unexpected(std::move(n.error()).with_context(m_name));
      }
      if (*n == 0) {
        break;
      }
      got += *n;
    }
    head.resize(got);
    bool gzip = looks_like_gzip(head);
    m_source = prepend_bytes(std::move(head), std::move(m_source));
    if (gzip) {
      m_source = inflate_gzip(std::move(m_source), m_name);
    }
    return {};
  }

  Result<void> check_open(int rc) {
    if (rc < ARCHIVE_WARN)
      return archive_error("opening the tar stream");
    return {};
  }

  static la_ssize_t read_callback(archive* a, void* self_ptr, const void** out) {
    auto* self = static_cast<TarReader*>(self_ptr);
    auto got = self->m_source(self->m_buffer);
    if (!got) {
      // Kept whole, so the caller sees the source's own kind (a digest mismatch stays
      // corrupt_input, a dropped file stays io).
      self->m_source_error = got.error();
      archive_set_error(a, EIO, "%s", got.error().what().c_str());
      return -1;
    }
    *out = self->m_buffer.data();
    return static_cast<la_ssize_t>(*got);
  }

  std::unexpected<Error> archive_error(std::string_view doing) {
    if (m_source_error) {
      Error e = *m_source_error;
      e.add_context(fmt::format("{}: {}", m_name, doing));
      return std::unexpected(std::move(e));
    }
    const char* msg = archive_error_string(m_archive.get());
    int err = archive_errno(m_archive.get());
    // libarchive reports both damaged archives and failed reads here; only the errno of
    // a failed system call tells them apart.
    ErrorKind kind = ErrorKind::corrupt_input;
    if (err == ENOENT)
      kind = ErrorKind::not_found;
    if (err == EIO || err == EACCES || err == EISDIR || err == ENOSPC || err == EBADF) {
      kind = ErrorKind::io;
    }
    return fail(kind, fmt::format("{}: {}: {}", m_name, doing, msg ? msg : "unknown error"));
  }

  Result<std::optional<Entry>> convert_entry(archive_entry* ae) {
    const char* raw = archive_entry_pathname(ae);
    if (raw == nullptr) {
      return fail(ErrorKind::corrupt_input,
                  fmt::format("{}: entry {} has no name", m_name, m_index));
    }
    m_path = raw;
    SIFKIT_TRY_ASSIGN(auto path, normalise_entry_path(raw, m_name));

    Entry e;
    e.path = std::move(path);
    e.mode = archive_entry_perm(ae) & 07777;
    la_int64_t uid = archive_entry_uid(ae);
    la_int64_t gid = archive_entry_gid(ae);
    constexpr la_int64_t k_max_id = std::numeric_limits<std::uint32_t>::max();
    if (uid < 0 || uid > k_max_id || gid < 0 || gid > k_max_id) {
      return bad_entry(fmt::format("has owner {}:{}, outside 0..{}", uid, gid, k_max_id));
    }
    e.uid = static_cast<std::uint32_t>(uid);
    e.gid = static_cast<std::uint32_t>(gid);
    e.mtime = archive_entry_mtime_is_set(ae) ? archive_entry_mtime(ae) : 0;

    if (const char* hardlink = archive_entry_hardlink(ae); hardlink != nullptr) {
      SIFKIT_TRY_ASSIGN(
          auto target,
          normalise_entry_path(hardlink, fmt::format("{}: hardlink \"{}\"", m_name, raw)));
      if (target.empty())
        return bad_entry("is a hardlink to the root directory");
      e.type = EntryType::hardlink;
      e.link_target = std::move(target);
    } else {
      switch (archive_entry_filetype(ae)) {
      case AE_IFREG:
        e.type = EntryType::file;
        break;
      case AE_IFDIR:
        e.type = EntryType::directory;
        break;
      case AE_IFLNK:
        e.type = EntryType::symlink;
        break;
      case AE_IFCHR:
        e.type = EntryType::char_device;
        break;
      case AE_IFBLK:
        e.type = EntryType::block_device;
        break;
      case AE_IFIFO:
        e.type = EntryType::fifo;
        break;
      case AE_IFSOCK:
        e.type = EntryType::socket;
        break;
      default:
        return bad_entry("has an unknown file type");
      }
    }
    m_size = 0;
    m_delivered = 0;
    if (e.type == EntryType::file) {
      e.size = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : 0;
      m_size = e.size;
      if (e.size < 0 || e.size > k_max_file_size) {
        return bad_entry(
            fmt::format("declares a size of {} bytes (at most {})", e.size, k_max_file_size));
      }
    }
    if (e.type == EntryType::symlink) {
      const char* target = archive_entry_symlink(ae);
      if (target == nullptr || *target == '\0')
        return bad_entry("is a symlink without a target");
      if (std::size_t length = std::strlen(target); length > k_max_symlink_target) {
        return bad_entry(fmt::format("is a symlink with a target of {} bytes (at most {})", length,
                                     k_max_symlink_target));
      }
      e.link_target = target;
    }
    if (e.type == EntryType::char_device || e.type == EntryType::block_device) {
      e.rdev_major = static_cast<std::uint32_t>(archive_entry_rdevmajor(ae));
      e.rdev_minor = static_cast<std::uint32_t>(archive_entry_rdevminor(ae));
    }
    if (archive_entry_xattr_reset(ae) > 0) {
      const char* name = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      while (archive_entry_xattr_next(ae, &name, &value, &size) == ARCHIVE_OK) {
        // In pax an empty value deletes the record (POSIX; Go's archive/tar, which
        // docker and umoci use, drops it too).
        if (size == 0)
          continue;
        e.xattrs.push_back({name, std::string(static_cast<const char*>(value), size)});
      }
      // Sorted and unique so equal sets compare equal; a repeated name keeps its last value.
      std::stable_sort(e.xattrs.begin(), e.xattrs.end(),
                       [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
      auto last = std::unique(e.xattrs.rbegin(), e.xattrs.rend(),
                              [](const Xattr& a, const Xattr& b) { return a.name == b.name; });
      e.xattrs.erase(e.xattrs.begin(), last.base());
    }
    return e;
  }

  std::unexpected<Error> bad_entry(std::string_view what) {
    return fail(ErrorKind::corrupt_input, fmt::format("{}: entry \"{}\" {}", m_name, m_path, what));
  }

  std::string m_name;
  ByteSource m_source;
  std::vector<std::byte> m_buffer;
  std::unique_ptr<archive, ArchiveFree> m_archive;
  std::optional<Error> m_source_error;
  std::string m_path;
  std::int64_t m_index = 0;
  std::int64_t m_size = 0;      // declared content size of the current entry
  std::int64_t m_delivered = 0; // content handed out so far
  bool m_ended_after_data = false;
};

} // namespace

Result<std::unique_ptr<EntryReader>> open_tar_stream(ByteSource source, std::string name) {
  auto reader = std::make_unique<TarReader>(std::move(name), std::move(source));
  SIFKIT_TRY(reader->open_stream());
  return std::unique_ptr<EntryReader>(std::move(reader));
}

Result<std::unique_ptr<EntryReader>> open_tar_file(const std::string& path) {
  auto reader = std::make_unique<TarReader>(path, ByteSource{});
  SIFKIT_TRY(reader->open_path(path));
  return std::unique_ptr<EntryReader>(std::move(reader));
}

} // namespace sifkit::convert
