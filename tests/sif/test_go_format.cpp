#include <sif/go_format.h>
#include <sif/types.h>

#include <limits>

#include <catch2/catch.hpp>

using namespace sifkit::sif;

TEST_CASE("formats times as Go's UTC time.Time.String does", "[inspect]") {
  CHECK(go_utc_time(1593475316) == "2020-06-30 00:01:56 +0000 UTC");
  CHECK(go_utc_time(0) == "1970-01-01 00:00:00 +0000 UTC");
  CHECK(go_utc_time(-1) == "1969-12-31 23:59:59 +0000 UTC");
  CHECK(go_utc_time(951782400) == "2000-02-29 00:00:00 +0000 UTC");
  CHECK(go_utc_time(k_zero_time) == "0001-01-01 00:00:00 +0000 UTC");
  CHECK(go_utc_time(k_zero_time - 366 * 86400) == "0000-01-01 00:00:00 +0000 UTC");
  CHECK(go_utc_time(k_zero_time - 367 * 86400) == "-0001-12-31 00:00:00 +0000 UTC");
  CHECK(go_utc_time(253402300800) == "10000-01-01 00:00:00 +0000 UTC");
}

TEST_CASE("formats times at the ends of the int64 range without overflow", "[inspect]") {
  CHECK_FALSE(go_utc_time(std::numeric_limits<std::int64_t>::max()).empty());
  CHECK_FALSE(go_utc_time(std::numeric_limits<std::int64_t>::min()).empty());
}

TEST_CASE("formats sizes as siftool's readableSize does", "[inspect]") {
  CHECK(go_readable_size(0) == "0 B");
  CHECK(go_readable_size(1023) == "1023 B");
  CHECK(go_readable_size(-1023) == "-1023 B");
  CHECK(go_readable_size(1024) == "1 KiB");
  CHECK(go_readable_size(1535) == "1 KiB");
  CHECK(go_readable_size(1536) == "2 KiB");
  CHECK(go_readable_size(2047) == "2 KiB");
  CHECK(go_readable_size(28080) == "27 KiB");
  CHECK(go_readable_size(1048575) == "1024 KiB");
  CHECK(go_readable_size(1048576) == "1 MiB");
  CHECK(go_readable_size(-2048) == "-2 KiB");
  CHECK(go_readable_size(std::numeric_limits<std::int64_t>::max()) == "8 EiB");
  CHECK(go_readable_size(std::numeric_limits<std::int64_t>::min()) == "-8 EiB");
}

TEST_CASE("counts characters as Go's utf8.RuneCount does", "[inspect]") {
  CHECK(go_rune_count("") == 0);
  CHECK(go_rune_count("abc") == 3);
  CHECK(go_rune_count("h\xC3\xA9") == 2);        // é
  CHECK(go_rune_count("\xF0\x9F\x98\x80") == 1); // emoji
  CHECK(go_rune_count("\xC0\xAF") == 2);         // overlong: two invalid bytes
  CHECK(go_rune_count("\xED\xA0\x80") == 3);     // surrogate
  CHECK(go_rune_count("\xE2\x82") == 2);         // truncated sequence
}

TEST_CASE("aligns tab-separated cells as Go's tabwriter does", "[inspect]") {
  CHECK(go_tabwrite("a:\tx\nlong label:\ty\n", 1) == "a:          x\nlong label: y\n");
  CHECK(go_tabwrite("\ta:\tx\n\tbb:\ty\n", 2) == "  a:   x\n  bb:  y\n");
  // A line without a tab ends the column block: the lines after it align on their own.
  CHECK(go_tabwrite("a:\tx\nplain\nlonger:\ty\n", 1) == "a: x\nplain\nlonger: y\n");
  // '\f' ends the section and is written as a newline.
  CHECK(go_tabwrite("a:\tx\fbbbb:\ty\n", 1) == "a: x\nbbbb: y\n");
  // Text between 0xFF bytes is one cell whose width leaves out the two 0xFF bytes.
  CHECK(go_tabwrite("\xFF"
                    "a\tb\xFF\tx\nccc\ty\n",
                    1) == "\xFF"
                          "a\tb\xFF x\nccc y\n");
  // Width counts characters, not bytes: "é:" is two wide, so it gets two spaces.
  CHECK(go_tabwrite("\xC3\xA9:\tx\nab:\ty\n", 1) == "\xC3\xA9:  x\nab: y\n");
  // A trailing unterminated line is kept as it is.
  CHECK(go_tabwrite("a\tb", 1) == "a b");
  CHECK(go_tabwrite("", 1).empty());
}
