#include <convert/gzip_source.h>
#include <convert/tar_reader.h>

#include <cstring>
#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>
#include <libdeflate.h>

using namespace sifkit;
using namespace sifkit::convert;

namespace {

// `text` as one gzip member (libdeflate, level 6).
std::string gzip_member(const std::string& text) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(6);
  REQUIRE(c != nullptr);
  std::string out(libdeflate_gzip_compress_bound(c, text.size()), '\0');
  std::size_t n = libdeflate_gzip_compress(c, text.data(), text.size(), out.data(), out.size());
  libdeflate_free_compressor(c);
  REQUIRE(n > 0);
  out.resize(n);
  return out;
}

// Bytes that compress, differ from place to place and are long enough to span many reads.
std::string sample_text(std::size_t size, char seed) {
  std::string text;
  for (std::size_t i = 0; text.size() < size; ++i) {
    text += "line " + std::to_string(i * 7919 % 10007) + " of " + seed + "\n";
  }
  text.resize(size);
  return text;
}

// A source over `data` handing out at most `chunk` bytes per call.
ByteSource chunked(std::string data, std::size_t chunk) {
  auto state = std::make_shared<std::pair<std::string, std::size_t>>(std::move(data), 0);
  return [state, chunk](std::span<std::byte> out) -> Result<std::size_t> {
    auto& [bytes, at] = *state;
    std::size_t n = std::min({out.size(), chunk, bytes.size() - at});
    std::memcpy(out.data(), bytes.data() + at, n);
    at += n;
    return n;
  };
}

Result<std::string> read_all(ByteSource source, std::size_t buffer = 4096) {
  std::string out;
  std::vector<std::byte> buf(buffer);
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto n, source(buf));
    if (n == 0) {
      return out;
    }
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
}

// A pax tar of regular files (name, content), in memory.
std::string make_tar(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<char> buffer(4 << 20);
  size_t used = 0;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  REQUIRE(archive_write_open_memory(a, buffer.data(), buffer.size(), &used) == ARCHIVE_OK);
  for (const auto& [name, data] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buffer.data(), used);
}

// The entries of the tar stream `bytes` as "path=content" lines, or its error.
Result<std::string> tar_listing(std::string bytes) {
  SIFKIT_TRY_ASSIGN(auto reader, open_tar_stream(chunked(std::move(bytes), 100000), "layer 1"));
  std::string listing;
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto entry, reader->next());
    if (!entry) {
      return listing;
    }
    listing += entry->path + "=";
    for (;;) {
      SIFKIT_TRY_ASSIGN(auto piece, reader->read_data());
      if (!piece) {
        break;
      }
      listing.append(reinterpret_cast<const char*>(piece->bytes.data()), piece->bytes.size());
    }
    listing += "\n";
  }
}

} // namespace

TEST_CASE("a gzip stream inflates to the bytes that were compressed, whatever the read sizes",
          "[convert]") {
  std::string text = sample_text(3 << 20, 'a');
  std::string gz = gzip_member(text);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{65536}, gz.size()}) {
    for (std::size_t buffer : {std::size_t{1}, std::size_t{1000}, std::size_t{1} << 20}) {
      if (chunk * buffer == 1) {
        continue; // a byte at a time both ways: correct, but slow under sanitizers
      }
      auto inflated = read_all(inflate_gzip(chunked(gz, chunk), "layer 1"), buffer);
      REQUIRE(inflated);
      CHECK(*inflated == text);
    }
  }
}

TEST_CASE("a gzip stream of several members inflates to all of them in order", "[convert]") {
  std::string a = sample_text(200000, 'a');
  std::string b = sample_text(1, 'b');
  std::string c = sample_text(300000, 'c');
  std::string gz = gzip_member(a) + gzip_member(b) + gzip_member("") + gzip_member(c);
  auto inflated = read_all(inflate_gzip(chunked(gz, 5000), "layer 1"));
  REQUIRE(inflated);
  CHECK(*inflated == a + b + c);
}

TEST_CASE("bytes after the last gzip member that start no member end the stream", "[convert]") {
  std::string text = sample_text(10000, 'a');
  auto inflated =
      read_all(inflate_gzip(chunked(gzip_member(text) + std::string(512, '\0'), 100), "layer 1"));
  REQUIRE(inflated);
  CHECK(*inflated == text);
}

TEST_CASE("a truncated gzip stream is corrupt input naming the stream", "[convert][hostile]") {
  std::string gz = gzip_member(sample_text(100000, 'a'));
  std::string second = gzip_member(sample_text(1000, 'b'));
  for (std::string cut : {gz.substr(0, gz.size() / 2), gz.substr(0, gz.size() - 4), gz.substr(0, 5),
                          gz + second.substr(0, second.size() - 1)}) {
    auto inflated = read_all(inflate_gzip(chunked(cut, 4096), "layer 3"));
    REQUIRE_FALSE(inflated);
    CHECK(inflated.error().kind() == ErrorKind::corrupt_input);
    CHECK_THAT(inflated.error().message(), Catch::Contains("layer 3"));
  }
}

TEST_CASE("a gzip stream with damaged data or a wrong checksum is corrupt input",
          "[convert][hostile]") {
  std::string gz = gzip_member(sample_text(100000, 'a'));
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 6] ^= 0x55; // CRC-32 of the trailer
  std::string bad_size = gz;
  bad_size[bad_size.size() - 2] ^= 0x01; // ISIZE of the trailer
  std::string bad_method = gz;
  bad_method[2] = 7; // compression method: not deflate
  std::string bad_data = gz;
  for (std::size_t i = 20; i < 60; ++i) {
    bad_data[i] = static_cast<char>(0xff);
  }
  int which = 0;
  for (const std::string& bad : {bad_crc, bad_size, bad_method, bad_data}) {
    INFO("damage " << which++);
    auto inflated = read_all(inflate_gzip(chunked(bad, 4096), "layer 2"));
    REQUIRE_FALSE(inflated);
    CHECK(inflated.error().kind() == ErrorKind::corrupt_input);
    CHECK_THAT(inflated.error().message(), Catch::Contains("layer 2"));
  }
}

TEST_CASE("a source error while inflating is passed on with its own kind", "[convert]") {
  std::string gz = gzip_member(sample_text(100000, 'a'));
  auto inner = chunked(gz.substr(0, 1000), 1000);
  ByteSource failing = [inner](std::span<std::byte> out) -> Result<std::size_t> {
    SIFKIT_TRY_ASSIGN(auto n, inner(out));
    if (n == 0) {
      return fail(ErrorKind::io, "the disk went away");
    }
    return n;
  };
  auto inflated = read_all(inflate_gzip(failing, "layer 1"));
  REQUIRE_FALSE(inflated);
  CHECK(inflated.error().kind() == ErrorKind::io);
}

TEST_CASE("a gzip tar layer, one member or several, reads as the same entries as the plain tar",
          "[convert]") {
  std::vector<std::pair<std::string, std::string>> files{
      {"etc/a", sample_text(100, 'a')}, {"usr/big", sample_text(2500000, 'b')}, {"empty", ""}};
  std::string tar = make_tar(files);
  auto plain = tar_listing(tar);
  REQUIRE(plain);
  CHECK_THAT(*plain, Catch::Contains("usr/big=line"));
  auto one = tar_listing(gzip_member(tar));
  REQUIRE(one);
  CHECK(*one == *plain);
  std::size_t half = tar.size() / 2 + 3; // members need not end on a tar block
  auto several = tar_listing(gzip_member(tar.substr(0, half)) + gzip_member(tar.substr(half)));
  REQUIRE(several);
  CHECK(*several == *plain);
}

TEST_CASE("a truncated or corrupt gzip tar layer fails with corrupt_input naming the layer",
          "[convert][hostile]") {
  std::string tar = make_tar({{"usr/big", sample_text(500000, 'b')}});
  std::string gz = gzip_member(tar);
  std::string corrupt = gz;
  corrupt[corrupt.size() - 6] ^= 0x55;
  for (const std::string& bad : {gz.substr(0, gz.size() / 2), corrupt}) {
    auto listing = tar_listing(bad);
    REQUIRE_FALSE(listing);
    CHECK(listing.error().kind() == ErrorKind::corrupt_input);
    CHECK_THAT(listing.error().what(), Catch::Contains("layer 1"));
  }
}
