// A layer's records by path: found again after the index grows, reused when a path is
// named twice.
#include <convert/record_table.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace sifkit::test {

TEST_CASE("every record is found by its path after the index has grown many times", "[convert]") {
  convert::RecordTable table;
  constexpr std::uint32_t k_count = 20000;
  for (std::uint32_t i = 0; i < k_count; ++i) {
    std::string path = fmt::format("dir{}/file{}", i % 97, i);
    table.assign(path, i, i % 2 ? convert::EntryType::file : convert::EntryType::hardlink,
                 i % 2 ? "" : fmt::format("target{}", i));
  }
  for (std::uint32_t i = 0; i < k_count; ++i) {
    INFO(i);
    const convert::Record* r = table.find(fmt::format("dir{}/file{}", i % 97, i));
    REQUIRE(r != nullptr);
    CHECK(r->index == i);
    CHECK(r->path() == fmt::format("dir{}/file{}", i % 97, i));
    CHECK(r->link_target() == (i % 2 ? std::string() : fmt::format("target{}", i)));
  }
  CHECK(table.find("dir1/file2") == nullptr);
  CHECK(table.find("") == nullptr);
}

TEST_CASE("a path named again reuses its record, which then says what the later entry said",
          "[convert]") {
  convert::RecordTable table;
  convert::Record& first = table.assign("etc/passwd", 3, convert::EntryType::hardlink, "etc/x");
  convert::Record& again = table.assign("etc/passwd", 9, convert::EntryType::file, "");
  CHECK(&first == &again);
  CHECK(first.index == 9);
  CHECK(first.type == convert::EntryType::file);
  CHECK(first.link_target().empty());
  CHECK(table.find("etc/passwd") == &first);
}

} // namespace sifkit::test
