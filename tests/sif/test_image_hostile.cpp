// Image::open refuses corrupted or maliciously manipulated SIF files with the right
// error kind and a message that names the problem (spec §3/§4 offsets are patched
// directly). None of these inputs may crash or make the reader allocate hugely.
#include "support/fixtures.h"

#include <common/bytes.h>
#include <sif/image.h>

#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

using namespace sifkit;
using namespace sifkit::sif;

namespace {

// Header field offsets (spec §3).
constexpr std::size_t k_off_magic = 32;
constexpr std::size_t k_off_version = 42;
constexpr std::size_t k_off_free = 80;
constexpr std::size_t k_off_total = 88;
constexpr std::size_t k_off_table = 96;
constexpr std::size_t k_off_table_size = 104;
constexpr std::size_t k_off_data_offset = 112;
// Descriptor field offsets (spec §4).
constexpr std::size_t k_off_id = 5;
constexpr std::size_t k_off_offset = 17;
constexpr std::size_t k_off_size = 25;
constexpr std::size_t k_off_extra = 201;

constexpr std::int64_t k_int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t k_data_offset = 32176;
constexpr std::int64_t k_partition_offset = 32768;
constexpr std::int64_t k_blob_offset = 36864;

// Bytes of a valid image: capacity 48, table at 4096 (data from 32176); ID 1 generic
// (5 bytes at 32176), ID 2 a 4096-byte partition aligned to 4096 (at 32768), ID 3 a
// 13-byte OCI blob right after it (at 36864; its digest is computed on the way in).
const std::string& base_image() {
  static const std::string bytes = [] {
    test::TempDir dir;
    std::string path = dir.file("base.sif");
    std::vector<ObjectInput> objects(3);
    objects[0].type = DataType::generic;
    objects[0].data = source_from_string("hello");
    objects[1].type = DataType::partition;
    objects[1].data = source_from_string(std::string(4096, 'p'));
    objects[1].extra = partition_extra(FsType::squashfs, PartType::primary_system, "02");
    objects[2].type = DataType::oci_blob;
    objects[2].data = source_from_string("{\"blob\":true}");
    auto image = Image::create(path, CreateOptions::deterministic(), std::move(objects));
    REQUIRE(image);
    return test::file_bytes(path);
  }();
  return bytes;
}

std::size_t slot_offset(std::size_t slot) {
  return static_cast<std::size_t>(k_default_descriptors_offset) + slot * k_descriptor_size;
}

template <typename T>
void patch(std::string& bytes, std::size_t offset, T value) {
  REQUIRE(offset + sizeof(T) <= bytes.size());
  store_le(std::as_writable_bytes(std::span(bytes)), offset, value);
}

template <typename T>
T peek(const std::string& bytes, std::size_t offset) {
  return load_le<T>(std::as_bytes(std::span(bytes)), offset);
}

void patch_slot_i64(std::string& bytes, std::size_t slot, std::size_t field, std::int64_t v) {
  patch(bytes, slot_offset(slot) + field, v);
}

// Writes `bytes` to a file in `dir` and opens it.
Result<Image> open_bytes(const test::TempDir& dir, const std::string& bytes) {
  std::string path = dir.file("hostile.sif");
  std::filesystem::remove(path);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return Image::open(path);
}

// Opening `bytes` fails with `kind` and a message containing every one of `needles`.
void require_rejected(const std::string& bytes, ErrorKind kind,
                      std::initializer_list<std::string> needles) {
  test::TempDir dir;
  auto image = open_bytes(dir, bytes);
  REQUIRE_FALSE(image);
  INFO(image.error().what());
  CHECK(to_string(image.error().kind()) == to_string(kind));
  for (const auto& needle : needles) {
    CHECK_THAT(image.error().what(), Catch::Contains(needle));
  }
}

} // namespace

TEST_CASE("the hand-made base image is valid", "[hostile]") {
  test::TempDir dir;
  auto image = open_bytes(dir, base_image());
  REQUIRE(image);
  auto used = image->descriptors();
  REQUIRE(used.size() == 3);
  CHECK(used[0]->offset == k_data_offset);
  CHECK(used[1]->offset == k_partition_offset);
  CHECK(used[2]->offset == k_blob_offset);
  CHECK(image->file_size() == k_blob_offset + 13);
  CHECK(parse_oci_digest(*used[2]->oci_digest_text()));
}

TEST_CASE("rejects an empty file", "[hostile]") {
  require_rejected("", ErrorKind::corrupt_input, {"truncated header", "0 bytes"});
}

TEST_CASE("rejects a header shorter than 128 bytes", "[hostile]") {
  require_rejected(base_image().substr(0, 100), ErrorKind::corrupt_input,
                   {"truncated header", "100 bytes"});
}

TEST_CASE("rejects a bad magic", "[hostile]") {
  std::string bytes = base_image();
  bytes[k_off_magic + 3] = '-';
  require_rejected(bytes, ErrorKind::corrupt_input, {"invalid SIF magic"});
}

TEST_CASE("rejects a file of zeros as not a SIF", "[hostile]") {
  require_rejected(std::string(4096, '\0'), ErrorKind::corrupt_input, {"invalid SIF magic"});
}

TEST_CASE("reports an unknown SIF version as unsupported", "[hostile]") {
  std::string bytes = base_image();
  bytes[k_off_version + 1] = '2';
  require_rejected(bytes, ErrorKind::unsupported, {"incompatible SIF version"});
  bytes[k_off_version + 1] = '1';
  bytes[k_off_version + 2] = ' ';
  require_rejected(bytes, ErrorKind::unsupported, {"incompatible SIF version"});
}

TEST_CASE("rejects a descriptor table that extends past the end of the file", "[hostile]") {
  std::string bytes = base_image();
  auto size = static_cast<std::int64_t>(bytes.size());
  SECTION("table starts inside the file") {
    patch<std::int64_t>(bytes, k_off_table, size - 100);
    require_rejected(bytes, ErrorKind::corrupt_input, {"descriptor table", "past the end"});
  }
  SECTION("table starts after the end") {
    patch<std::int64_t>(bytes, k_off_table, size + 1);
    require_rejected(bytes, ErrorKind::corrupt_input, {"descriptor table", "past the end"});
  }
  SECTION("table offset is the largest int64") {
    patch<std::int64_t>(bytes, k_off_table, k_int64_max);
    require_rejected(bytes, ErrorKind::corrupt_input, {"descriptor table", "past the end"});
  }
}

TEST_CASE("rejects a descriptor table that overlaps the header", "[hostile]") {
  std::string bytes = base_image();
  patch<std::int64_t>(bytes, k_off_table, 64);
  require_rejected(bytes, ErrorKind::corrupt_input, {"overlaps the header"});
}

TEST_CASE("rejects negative header offsets", "[hostile]") {
  std::string bytes = base_image();
  patch<std::int64_t>(bytes, k_off_table, -4096);
  require_rejected(bytes, ErrorKind::corrupt_input, {"negative offset or size in the header"});
}

TEST_CASE("rejects a descriptor count that does not fit the declared table size", "[hostile]") {
  std::string bytes = base_image();
  patch<std::int64_t>(bytes, k_off_table_size, 585 * 10);
  require_rejected(bytes, ErrorKind::corrupt_input, {"48 records", "declared size 5850"});
}

TEST_CASE("rejects absurd descriptor counts without allocating for them", "[hostile]") {
  std::string bytes = base_image();
  SECTION("2^31 descriptors, declared table size too small") {
    patch<std::int64_t>(bytes, k_off_total, std::int64_t{1} << 31);
    require_rejected(bytes, ErrorKind::corrupt_input, {"2147483648 records"});
  }
  SECTION("2^31 descriptors with a matching table size: table past the end of the file") {
    patch<std::int64_t>(bytes, k_off_total, std::int64_t{1} << 31);
    patch<std::int64_t>(bytes, k_off_table_size, (std::int64_t{1} << 31) * 585);
    require_rejected(bytes, ErrorKind::corrupt_input, {"descriptor table", "past the end"});
  }
  SECTION("2^32-1 descriptors (the format's limit)") {
    patch<std::int64_t>(bytes, k_off_total, 0xFFFFFFFF);
    require_rejected(bytes, ErrorKind::corrupt_input, {"descriptor count 4294967295"});
  }
  SECTION("the largest int64 descriptors") {
    patch<std::int64_t>(bytes, k_off_total, k_int64_max);
    require_rejected(bytes, ErrorKind::corrupt_input, {"descriptor count 9223372036854775807"});
  }
  SECTION("a negative count") {
    patch<std::int64_t>(bytes, k_off_total, -1);
    require_rejected(bytes, ErrorKind::corrupt_input, {"descriptor count -1"});
  }
}

TEST_CASE("reports a descriptor table larger than supported as unsupported", "[hostile]") {
  // A real (sparse) file big enough to hold 2^20+1 descriptors: the count itself is
  // refused before the reader allocates the 585 MiB table.
  constexpr std::int64_t count = (std::int64_t{1} << 20) + 1;
  std::string bytes = base_image();
  patch<std::int64_t>(bytes, k_off_total, count);
  patch<std::int64_t>(bytes, k_off_free, count);
  patch<std::int64_t>(bytes, k_off_table_size, count * 585);
  test::TempDir dir;
  std::string path = dir.file("sparse.sif");
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::error_code ec;
  std::filesystem::resize_file(path, 4096 + static_cast<std::uintmax_t>(count) * 585, ec);
  if (ec) {
    SIFKIT_SKIP(host, "cannot create a sparse file of 614 MB here: " << ec.message());
    return;
  }
  auto image = Image::open(path);
  REQUIRE_FALSE(image);
  CHECK(image.error().kind() == ErrorKind::unsupported);
  CHECK_THAT(image.error().what(), Catch::Contains("exceeds the supported maximum"));
}

TEST_CASE("rejects more free descriptors than descriptors", "[hostile]") {
  std::string bytes = base_image();
  SECTION("free > total") {
    patch<std::int64_t>(bytes, k_off_free, 49);
    require_rejected(bytes, ErrorKind::corrupt_input, {"free descriptor count 49", "0..48"});
  }
  SECTION("free < 0") {
    patch<std::int64_t>(bytes, k_off_free, -1);
    require_rejected(bytes, ErrorKind::corrupt_input, {"free descriptor count -1"});
  }
}

TEST_CASE("rejects an object that extends past the end of the file", "[hostile]") {
  std::string bytes = base_image();
  patch_slot_i64(bytes, 1, k_off_size, static_cast<std::int64_t>(bytes.size()));
  require_rejected(bytes, ErrorKind::corrupt_input,
                   {"descriptor 2 (ID 2, FS)", "extends past the end of the file"});
}

TEST_CASE("rejects an object that starts after the end of the file", "[hostile]") {
  std::string bytes = base_image();
  patch_slot_i64(bytes, 0, k_off_offset, static_cast<std::int64_t>(bytes.size()) + 1);
  patch_slot_i64(bytes, 0, k_off_size, 0);
  require_rejected(bytes, ErrorKind::corrupt_input,
                   {"descriptor 1 (ID 1, Generic/Raw)", "past the end of the file"});
}

TEST_CASE("rejects negative object offsets and sizes", "[hostile]") {
  std::string bytes = base_image();
  SECTION("negative offset") {
    patch_slot_i64(bytes, 0, k_off_offset, -5);
    require_rejected(bytes, ErrorKind::corrupt_input,
                     {"descriptor 1 (ID 1, Generic/Raw)", "negative offset or size"});
  }
  SECTION("negative size") {
    patch_slot_i64(bytes, 2, k_off_size, -1);
    require_rejected(bytes, ErrorKind::corrupt_input,
                     {"descriptor 3 (ID 3, OCI.Blob)", "negative offset or size"});
  }
  SECTION("smallest int64 size") {
    patch_slot_i64(bytes, 2, k_off_size, std::numeric_limits<std::int64_t>::min());
    require_rejected(bytes, ErrorKind::corrupt_input,
                     {"descriptor 3 (ID 3, OCI.Blob)", "negative offset or size"});
  }
}

TEST_CASE("rejects an object whose offset plus size overflows int64", "[hostile]") {
  std::string bytes = base_image();
  SECTION("huge size") {
    patch_slot_i64(bytes, 1, k_off_size, k_int64_max - 10);
    require_rejected(bytes, ErrorKind::corrupt_input, {"descriptor 2 (ID 2, FS)", "past the end"});
  }
  SECTION("huge offset and size") {
    patch_slot_i64(bytes, 1, k_off_offset, k_int64_max);
    patch_slot_i64(bytes, 1, k_off_size, k_int64_max);
    require_rejected(bytes, ErrorKind::corrupt_input, {"descriptor 2 (ID 2, FS)", "past the end"});
  }
}

TEST_CASE("rejects two overlapping objects", "[hostile]") {
  std::string bytes = base_image();
  patch_slot_i64(bytes, 2, k_off_offset, k_partition_offset + 100);
  require_rejected(bytes, ErrorKind::corrupt_input,
                   {"descriptor 3 (ID 3, OCI.Blob) overlaps descriptor 2 (ID 2, FS)"});
}

TEST_CASE("accepts objects that touch end to end", "[hostile]") {
  std::string bytes = base_image();
  // ID 1 (5 bytes) moved to end exactly where ID 2 begins.
  patch_slot_i64(bytes, 0, k_off_offset, k_partition_offset - 5);
  test::TempDir dir;
  CHECK(open_bytes(dir, bytes));
}

TEST_CASE("rejects an object that overlaps the descriptor table or the header", "[hostile]") {
  std::string bytes = base_image();
  SECTION("inside the table") {
    patch_slot_i64(bytes, 0, k_off_offset, static_cast<std::int64_t>(slot_offset(3)));
    require_rejected(bytes, ErrorKind::corrupt_input,
                     {"descriptor 1 (ID 1, Generic/Raw)", "overlaps the header or the descriptor table"});
  }
  SECTION("straddling the end of the table") {
    patch_slot_i64(bytes, 0, k_off_offset, k_data_offset - 2);
    require_rejected(bytes, ErrorKind::corrupt_input,
                     {"descriptor 1 (ID 1, Generic/Raw)", "overlaps the header or the descriptor table"});
  }
  SECTION("inside the header") {
    patch_slot_i64(bytes, 0, k_off_offset, 0);
    require_rejected(bytes, ErrorKind::corrupt_input,
                     {"descriptor 1 (ID 1, Generic/Raw)", "overlaps the header"});
  }
}

TEST_CASE("rejects duplicate and zero object IDs", "[hostile]") {
  std::string bytes = base_image();
  SECTION("two descriptors with ID 1") {
    patch<std::uint32_t>(bytes, slot_offset(2) + k_off_id, 1);
    require_rejected(bytes, ErrorKind::corrupt_input,
                     {"descriptor 3 (ID 1, OCI.Blob)", "ID 1 is also used by descriptor 1"});
  }
  SECTION("ID 0") {
    patch<std::uint32_t>(bytes, slot_offset(1) + k_off_id, 0);
    require_rejected(bytes, ErrorKind::corrupt_input, {"descriptor 2 (ID 0, FS)", "ID 0"});
  }
}

TEST_CASE("rejects a data offset inside the header or the descriptor table", "[hostile]") {
  // Objects are added from the data offset on: one placed there would overwrite the table.
  std::string bytes = base_image();
  SECTION("inside the table") {
    patch<std::int64_t>(bytes, k_off_data_offset, k_data_offset - 585);
    require_rejected(bytes, ErrorKind::corrupt_input,
                     {"data offset 31591", "inside the header or the descriptor table"});
  }
  SECTION("inside the header") {
    patch<std::int64_t>(bytes, k_off_data_offset, 0);
    require_rejected(bytes, ErrorKind::corrupt_input, {"data offset 0"});
  }
}

TEST_CASE("rejects a data offset past the end of the file", "[hostile]") {
  // An object added there would turn the file into a huge sparse one.
  std::string bytes = base_image();
  patch<std::int64_t>(bytes, k_off_data_offset, std::int64_t{1} << 62);
  require_rejected(bytes, ErrorKind::corrupt_input,
                   {"data offset 4611686018427387904 is past the end of the file"});
}

TEST_CASE("rejects an object, even an empty one, before the data section", "[hostile]") {
  std::string bytes = base_image();
  SECTION("empty object at offset 0") {
    patch_slot_i64(bytes, 0, k_off_offset, 0);
    patch_slot_i64(bytes, 0, k_off_size, 0);
    require_rejected(bytes, ErrorKind::corrupt_input,
                     {"descriptor 1 (ID 1, Generic/Raw)", "starts before the data section (32176)"});
  }
  SECTION("object between the table and the data offset") {
    patch<std::int64_t>(bytes, k_off_data_offset, k_data_offset + 8);
    require_rejected(bytes, ErrorKind::corrupt_input,
                     {"descriptor 1 (ID 1, Generic/Raw)", "starts before the data section (32184)"});
  }
}

// Writers keep ID = slot + 1 and an exact free count (spec §8). Reading does not rely on
// that, so read-only opens accept such a file; opening it for writing does not.
TEST_CASE("refuses to modify an image whose IDs or free count break the writers' rules",
          "[hostile]") {
  std::string bytes = base_image();
  std::string needle;
  SECTION("an ID that does not match its slot") {
    patch<std::uint32_t>(bytes, slot_offset(2) + k_off_id, 7);
    needle = "descriptor 3 (ID 7, OCI.Blob): the ID does not match the slot";
  }
  SECTION("a free count that does not match the unused slots") {
    patch<std::int64_t>(bytes, k_off_free, 44);
    needle = "counts 44 free descriptors but 45 slots are unused";
  }
  test::TempDir dir;
  REQUIRE(open_bytes(dir, bytes));
  auto image = Image::open(dir.file("hostile.sif"), OpenMode::read_write);
  REQUIRE_FALSE(image);
  CHECK(image.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(image.error().what(), Catch::Contains(needle));
}

TEST_CASE("rejects a fixture cut short", "[hostile]") {
  std::string whole = test::fixture_bytes("sif-upstream/test/images/one-group.sif");
  SECTION("cut in half: the descriptor table is incomplete") {
    require_rejected(whole.substr(0, whole.size() / 2), ErrorKind::corrupt_input,
                     {"descriptor table", "past the end"});
  }
  SECTION("last byte missing: the last object is incomplete") {
    require_rejected(whole.substr(0, whole.size() - 1), ErrorKind::corrupt_input,
                     {"descriptor 2 (ID 2, FS)", "past the end"});
  }
}

TEST_CASE("an object read after the file shrank fails as corrupt input", "[hostile]") {
  test::TempDir dir;
  auto image = open_bytes(dir, base_image());
  REQUIRE(image);
  std::filesystem::resize_file(dir.file("hostile.sif"), k_blob_offset + 5);
  const Descriptor* blob = image->descriptors()[2];
  auto data = image->read_object(*blob);
  REQUIRE_FALSE(data);
  CHECK(data.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(data.error().what(), Catch::Contains("unexpected end of file"));
  // The stream hands out the 5 bytes that are left, then reports the early end.
  ByteSource source = image->object_source(*blob);
  std::array<std::byte, 64> buf{};
  Result<std::size_t> streamed = std::size_t{0};
  std::size_t total = 0;
  for (int reads = 0; reads < 4 && streamed; ++reads) {
    streamed = source(buf);
    total += streamed.value_or(0);
  }
  CHECK(total == 5);
  REQUIRE_FALSE(streamed);
  CHECK(streamed.error().kind() == ErrorKind::corrupt_input);
}

TEST_CASE("rejects a malformed OCI blob digest when it is read", "[hostile]") {
  std::string bytes = base_image();
  std::size_t extra = slot_offset(2) + k_off_extra;
  std::string digest;
  SECTION("upper-case hex") {
    digest = "sha256:" + std::string(64, 'A');
  }
  SECTION("too short") {
    digest = "sha256:abc";
  }
  SECTION("another algorithm") {
    digest = "sha512:" + std::string(64, 'a');
  }
  SECTION("no NUL terminator in the whole extra area") {
    digest = std::string(k_extra_size, 'x');
  }
  SECTION("empty") {
    digest = "";
  }
  std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(extra), k_extra_size, '\0');
  std::copy(digest.begin(), digest.end(), bytes.begin() + static_cast<std::ptrdiff_t>(extra));
  test::TempDir dir;
  auto image = open_bytes(dir, bytes);
  REQUIRE(image); // the digest is metadata; the layout itself is sound
  auto text = image->descriptors()[2]->oci_digest_text();
  REQUIRE(text);
  CHECK(text->size() == digest.size());
  auto parsed = parse_oci_digest(*text);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(parsed.error().what(), Catch::Contains("invalid digest"));
  CHECK(parsed.error().what().size() < 200); // a hostile digest is not echoed in full
}

TEST_CASE("every upstream test image opens and its objects read back", "[hostile]") {
  std::size_t count = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(test::fixture("sif-upstream/test/images"))) {
    if (entry.path().extension() != ".sif") {
      continue;
    }
    ++count;
    INFO(entry.path().filename().string());
    auto image = Image::open(entry.path().string());
    REQUIRE(image);
    for (const Descriptor* d : image->descriptors()) {
      auto data = image->read_object(*d);
      REQUIRE(data);
      CHECK(static_cast<std::int64_t>(data->size()) == d->size);
    }
  }
  CHECK(count == 21);
}
