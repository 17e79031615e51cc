#include <registry/archive_reader.h>

#include <vector>

#include <archive.h>
#include <archive_entry.h>

namespace sifkit::registry {

struct ArchiveReader::State {
  std::string path;
  archive* handle = nullptr;
  ~State() {
    if (handle != nullptr) {
      archive_read_free(handle);
    }
  }
};

ArchiveReader::ArchiveReader(std::unique_ptr<State> state) : m_state(std::move(state)) {}
ArchiveReader::ArchiveReader(ArchiveReader&&) noexcept = default;
ArchiveReader& ArchiveReader::operator=(ArchiveReader&&) noexcept = default;
ArchiveReader::~ArchiveReader() = default;

Result<ArchiveReader> ArchiveReader::open(const std::string& path) {
  auto state = std::make_unique<State>();
  state->path = path;
  state->handle = archive_read_new();
  if (state->handle == nullptr) {
    return fail(ErrorKind::internal, "archive_read_new failed");
  }
  archive_read_support_filter_all(state->handle);
  archive_read_support_format_tar(state->handle);
  if (archive_read_open_filename(state->handle, path.c_str(), 1 << 16) != ARCHIVE_OK) {
    int err = archive_errno(state->handle);
    if (err == ENOENT) {
      return fail(ErrorKind::not_found, path + ": no such file");
    }
    return fail(err > 0 && err != EINVAL && err != EILSEQ ? ErrorKind::io
                                                          : ErrorKind::corrupt_input,
                path + ": " +
                    (archive_error_string(state->handle) ? archive_error_string(state->handle)
                                                         : "cannot open"));
  }
  return ArchiveReader(std::move(state));
}

Result<std::string> normalize_entry_name(std::string_view name, const std::string& archive) {
  auto unsafe = [&](const char* why) {
    return fail(ErrorKind::corrupt_input,
                archive + ": entry \"" + std::string(name.substr(0, 200)) + "\" " + why);
  };
  if (name.empty()) {
    return unsafe("has an empty name");
  }
  if (name.front() == '/') {
    return unsafe("is an absolute path");
  }
  std::string out;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    std::string_view part = name.substr(start, slash == name.npos ? name.npos : slash - start);
    if (part == "..") {
      return unsafe("climbs out of the archive with \"..\"");
    }
    if (!part.empty() && part != ".") {
      out += (out.empty() ? "" : "/") + std::string(part);
    }
    if (slash == name.npos) {
      break;
    }
    start = slash + 1;
  }
  if (out.empty()) {
    return std::string(".");
  }
  return out;
}

Result<std::optional<ArchiveEntry>> ArchiveReader::next() {
  archive_entry* entry = nullptr;
  int r = archive_read_next_header(m_state->handle, &entry);
  if (r == ARCHIVE_EOF) {
    return std::optional<ArchiveEntry>();
  }
  if (r < ARCHIVE_WARN) {
    const char* why = archive_error_string(m_state->handle);
    return fail(ErrorKind::corrupt_input, m_state->path + ": " + (why ? why : "damaged archive"));
  }
  const char* raw = archive_entry_pathname(entry);
  SIFKIT_TRY_ASSIGN(auto name, normalize_entry_name(raw ? raw : "", m_state->path));
  ArchiveEntry out;
  out.name = std::move(name);
  out.size = archive_entry_size(entry);
  if (const char* hard = archive_entry_hardlink(entry)) {
    out.type = EntryType::hardlink;
    out.link_target = hard;
  } else {
    switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
      out.type = EntryType::regular;
      break;
    case AE_IFDIR:
      out.type = EntryType::directory;
      break;
    case AE_IFLNK:
      out.type = EntryType::symlink;
      out.link_target = archive_entry_symlink(entry) ? archive_entry_symlink(entry) : "";
      break;
    default:
      out.type = EntryType::other;
      break;
    }
  }
  return std::optional<ArchiveEntry>(std::move(out));
}

Result<std::size_t> ArchiveReader::read(std::span<std::byte> buffer) {
  la_ssize_t got = archive_read_data(m_state->handle, buffer.data(), buffer.size());
  if (got < 0) {
    const char* why = archive_error_string(m_state->handle);
    return fail(ErrorKind::corrupt_input, m_state->path + ": " + (why ? why : "damaged archive"));
  }
  return static_cast<std::size_t>(got);
}

Result<void> stream_entry(const std::string& archive, const std::string& name,
                          const std::function<Result<void>(std::span<const std::byte>)>& sink) {
  SIFKIT_TRY_ASSIGN(auto reader, ArchiveReader::open(archive));
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto entry, reader.next());
    if (!entry) {
      return fail(ErrorKind::not_found, archive + " has no file " + name);
    }
    if (entry->name != name || entry->type != EntryType::regular) {
      continue;
    }
    std::vector<std::byte> buffer(1 << 20);
    for (;;) {
      SIFKIT_TRY_ASSIGN(auto got, reader.read(buffer));
      if (got == 0) {
        return {};
      }
      SIFKIT_TRY(sink(std::span<const std::byte>(buffer.data(), got)));
    }
  }
}

Result<std::string> read_entry(const std::string& archive, const std::string& name,
                               std::int64_t max_bytes) {
  std::string out;
  SIFKIT_TRY(stream_entry(archive, name, [&](std::span<const std::byte> chunk) -> Result<void> {
    if (static_cast<std::int64_t>(out.size() + chunk.size()) > max_bytes) {
      return fail(ErrorKind::corrupt_input, archive + ": " + name + " is larger than " +
                                                std::to_string(max_bytes) + " bytes");
    }
    out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    return {};
  }));
  return out;
}

Result<void> stream_entry_to_blob(const std::string& archive, const std::string& name,
                                  cache::BlobWriter& writer, const BlobProgress& progress) {
  std::int64_t skip = writer.bytes_written();
  std::int64_t done = 0;
  return stream_entry(archive, name, [&](std::span<const std::byte> chunk) -> Result<void> {
    std::size_t drop = static_cast<std::size_t>(
        std::min<std::int64_t>(skip, static_cast<std::int64_t>(chunk.size())));
    skip -= static_cast<std::int64_t>(drop);
    done += static_cast<std::int64_t>(chunk.size());
    if (drop < chunk.size()) {
      SIFKIT_TRY(writer.write(chunk.subspan(drop)));
    }
    if (progress) {
      progress(done);
    }
    return {};
  });
}

} // namespace sifkit::registry
