#pragma once

// Building tar archives in tests with libarchive: any entry name (hostile ones too),
// regular files and symbolic links, optionally gzip-compressed.
#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

namespace sifkit::test {

struct ArchiveMember {
  std::string name;
  std::string content;     // regular files
  std::string link_target; // non-empty: a symbolic link
};

enum class Gzip { no, yes };

inline void write_tar(const std::string& path, const std::vector<ArchiveMember>& entries,
                      Gzip gzip = Gzip::no) {
  archive* a = archive_write_new();
  REQUIRE(a != nullptr);
  archive_write_set_format_pax_restricted(a);
  if (gzip == Gzip::yes) {
    archive_write_add_filter_gzip(a);
  }
  REQUIRE(archive_write_open_filename(a, path.c_str()) == ARCHIVE_OK);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_mtime(entry, 0, 0);
    if (!e.link_target.empty()) {
      archive_entry_set_filetype(entry, AE_IFLNK);
      archive_entry_set_symlink(entry, e.link_target.c_str());
      archive_entry_set_perm(entry, 0777);
      archive_entry_set_size(entry, 0);
    } else {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_perm(entry, 0644);
      archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
    }
    REQUIRE(archive_write_header(a, entry) == ARCHIVE_OK);
    if (e.link_target.empty() && !e.content.empty()) {
      REQUIRE(archive_write_data(a, e.content.data(), e.content.size()) ==
              static_cast<la_ssize_t>(e.content.size()));
    }
    archive_entry_free(entry);
  }
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
}

} // namespace sifkit::test
