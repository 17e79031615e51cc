#include <convert/dir_reader.h>
#include <convert/entry.h>
#include <convert/tar_reader.h>

#include <support/fixtures.h>

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

using namespace sifkit;
using namespace sifkit::convert;

namespace {

struct TarItem {
  std::string path;
  int type = AE_IFREG;
  std::string data;
  std::string link; // symlink target, or hardlink target when `hardlink`
  bool hardlink = false;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

// A pax tar of `items` in memory, optionally gzip-compressed.
std::string make_tar(const std::vector<TarItem>& items, bool gzip = false) {
  std::vector<char> buffer(1 << 20);
  size_t used = 0;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  REQUIRE(archive_write_open_memory(a, buffer.data(), buffer.size(), &used) == ARCHIVE_OK);
  for (const TarItem& item : items) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, item.path.c_str());
    archive_entry_set_filetype(e, static_cast<unsigned>(item.type));
    archive_entry_set_perm(e, item.type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_mtime(e, 1700000000, 0);
    if (item.hardlink) {
      archive_entry_set_hardlink(e, item.link.c_str());
    } else if (item.type == AE_IFLNK) {
      archive_entry_set_symlink(e, item.link.c_str());
    }
    if (item.type == AE_IFREG && !item.hardlink) archive_entry_set_size(e, static_cast<la_int64_t>(item.data.size()));
    for (const auto& [name, value] : item.xattrs) {
      archive_entry_xattr_add_entry(e, name.c_str(), value.data(), value.size());
    }
    REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
    if (!item.data.empty()) archive_write_data(a, item.data.data(), item.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buffer.data(), used);
}

std::vector<Entry> read_all(EntryReader& reader, std::vector<std::string>* contents = nullptr) {
  std::vector<Entry> out;
  for (;;) {
    auto entry = reader.next();
    REQUIRE(entry);
    if (!*entry) break;
    std::string data;
    for (;;) {
      auto piece = reader.read_data();
      REQUIRE(piece);
      if (!*piece) break;
      data.append(reinterpret_cast<const char*>((*piece)->bytes.data()), (*piece)->bytes.size());
    }
    if (contents) contents->push_back(data);
    out.push_back(**entry);
  }
  return out;
}

} // namespace

TEST_CASE("entry paths are normalised and escapes are rejected", "[convert]") {
  CHECK(*normalise_entry_path("./usr//bin/./sh", "layer") == "usr/bin/sh");
  CHECK(*normalise_entry_path("/etc/passwd", "layer") == "etc/passwd");
  CHECK(normalise_entry_path("./", "layer").value().empty());
  CHECK(*normalise_entry_path("dir/", "layer") == "dir");
  for (std::string_view bad : {"../etc/passwd", "a/../../x", "a/..", ".."}) {
    auto r = normalise_entry_path(bad, "layer 1");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::corrupt_input);
    CHECK_THAT(r.error().message(), Catch::Contains("layer 1") && Catch::Contains(".."));
  }
  CHECK_FALSE(normalise_entry_path(std::string("a\0b", 3), "layer"));
  CHECK_FALSE(normalise_entry_path(std::string(256, 'n'), "layer"));
  CHECK(normalise_entry_path(std::string(255, 'n'), "layer"));
}

TEST_CASE("a gzip tar layer reads as entries with content, links and xattrs", "[convert]") {
  std::string tar = make_tar({{"./etc/", AE_IFDIR},
                              {"./etc/hosts", AE_IFREG, "127.0.0.1 localhost\n"},
                              {"./etc/alias", AE_IFREG, "", "etc/hosts", true},
                              {"./bin/sh", AE_IFLNK, "", "/bin/busybox"},
                              {"./bin/ping", AE_IFREG, "x", "", false, {{"security.capability", std::string("\x01\x00\x00\x02", 4)}}}},
                             true);
  auto reader = open_tar_stream(source_from_string(tar), "layer 0");
  REQUIRE(reader);
  std::vector<std::string> contents;
  auto entries = read_all(**reader, &contents);
  REQUIRE(entries.size() == 5);
  CHECK(entries[0].path == "etc");
  CHECK(entries[0].type == EntryType::directory);
  CHECK(entries[1].path == "etc/hosts");
  CHECK(entries[1].size == 20);
  CHECK(contents[1] == "127.0.0.1 localhost\n");
  CHECK(entries[1].mtime == 1700000000);
  CHECK(entries[2].type == EntryType::hardlink);
  CHECK(entries[2].link_target == "etc/hosts");
  CHECK(entries[3].type == EntryType::symlink);
  CHECK(entries[3].link_target == "/bin/busybox");
  REQUIRE(entries[4].xattrs.size() == 1);
  CHECK(entries[4].xattrs[0].name == "security.capability");
  CHECK(entries[4].xattrs[0].value.size() == 4);
}

TEST_CASE("a layer that ends right after its last file's content is accepted", "[convert]") {
  // What umoci 0.4's insert writes: no padding, no end-of-archive blocks.
  std::string tar = make_tar({{"etc/release", AE_IFREG, "release 1\n"}});
  std::string cut = tar.substr(0, 512 + 10);
  auto reader = open_tar_stream(source_from_string(cut), "layer 1");
  REQUIRE(reader);
  std::vector<std::string> contents;
  auto entries = read_all(**reader, &contents);
  REQUIRE(entries.size() == 1);
  CHECK(contents[0] == "release 1\n");
}

TEST_CASE("a tar cut inside a file's content is corrupt input naming the layer", "[convert]") {
  std::string tar = make_tar({{"big", AE_IFREG, std::string(5000, 'x')}});
  auto reader = open_tar_stream(source_from_string(tar.substr(0, 512 + 1000)), "layer 2");
  REQUIRE(reader);
  auto entry = (*reader)->next();
  REQUIRE(entry);
  Result<std::optional<DataPiece>> piece = std::optional<DataPiece>{};
  do {
    piece = (*reader)->read_data();
  } while (piece && *piece);
  REQUIRE_FALSE(piece);
  CHECK(piece.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(piece.error().what(), Catch::Contains("layer 2") && Catch::Contains("big"));
}

TEST_CASE("garbage instead of a tar is corrupt input", "[convert]") {
  std::string junk(4096, '\x5a');
  auto reader = open_tar_stream(source_from_string(junk), "layer 3");
  Result<std::optional<Entry>> entry = std::optional<Entry>{};
  if (reader) entry = (*reader)->next();
  bool failed = !reader || !entry;
  REQUIRE(failed);
  const Error& e = reader ? entry.error() : reader.error();
  CHECK(e.kind() == ErrorKind::corrupt_input);
  CHECK_THAT(e.what(), Catch::Contains("layer 3"));
}

TEST_CASE("an entry escaping the root is rejected by the reader", "[convert]") {
  std::string tar = make_tar({{"../../etc/passwd", AE_IFREG, "root::0:0\n"}});
  auto reader = open_tar_stream(source_from_string(tar), "layer 4");
  REQUIRE(reader);
  auto entry = (*reader)->next();
  REQUIRE_FALSE(entry);
  CHECK(entry.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(entry.error().message(), Catch::Contains("layer 4") && Catch::Contains("../../etc/passwd"));
}

TEST_CASE("a host directory reads in sorted order with hardlinks and symlinks", "[convert]") {
  test::TempDir dir;
  std::string root = dir.path().string() + "/root";
  REQUIRE(::mkdir(root.c_str(), 0755) == 0);
  REQUIRE(::mkdir((root + "/b").c_str(), 0700) == 0);
  std::ofstream(root + "/b/file") << "content";
  std::ofstream(root + "/a") << "a";
  REQUIRE(::link((root + "/b/file").c_str(), (root + "/c-link").c_str()) == 0);
  REQUIRE(::symlink("b/file", (root + "/d-sym").c_str()) == 0);
  auto reader = open_directory(root);
  REQUIRE(reader);
  std::vector<std::string> contents;
  auto entries = read_all(**reader, &contents);
  REQUIRE(entries.size() == 5);
  CHECK(entries[0].path == "a");
  CHECK(entries[1].path == "b");
  CHECK(entries[1].mode == 0700);
  CHECK(entries[2].path == "b/file");
  CHECK(contents[2] == "content");
  CHECK(entries[3].path == "c-link");
  CHECK(entries[3].type == EntryType::hardlink);
  CHECK(entries[3].link_target == "b/file");
  CHECK(entries[4].type == EntryType::symlink);
  CHECK(entries[4].link_target == "b/file");
  CHECK_FALSE(open_directory(root + "/a"));
}
