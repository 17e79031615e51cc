#include <common/text_escape.h>

#include <catch2/catch.hpp>

using namespace sifkit;

TEST_CASE("terminal escape sequences in quoted text become visible escapes", "[common][hostile]") {
  std::string hostile = "denied\x1b]0;pwned\x07 and\x1b[2J cleared";
  std::string escaped = escape_control(hostile);
  CHECK(escaped.find('\x1b') == std::string::npos);
  CHECK(escaped.find('\x07') == std::string::npos);
  CHECK(escaped == "denied\\x1b]0;pwned\\x07 and\\x1b[2J cleared");
}

TEST_CASE("control bytes, DEL, C1 controls and malformed UTF-8 are escaped, text is kept",
          "[common][hostile]") {
  CHECK(escape_control("a\nb\tc\rd\x7f") == "a\\x0ab\\x09c\\x0dd\\x7f");
  CHECK(escape_control("a\nb\tc", KeepLineBreaks::yes) == "a\nb\tc");
  CHECK(escape_control("raw C1 \x9b"
                       "31m") == "raw C1 \\x9b31m");
  CHECK(escape_control("utf-8 C1 \xc2\x9b"
                       "31m") == "utf-8 C1 \\xc2\\x9b31m");
  CHECK(escape_control("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xb3") ==
        "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xb3");
  CHECK(escape_control("cut \xe2\x9c") == "cut \\xe2\\x9c");
  CHECK(escape_control("overlong \xc0\xaf") == "overlong \\xc0\\xaf");
  CHECK(escape_control("back\\slash") == "back\\\\slash");
  CHECK(escape_control(std::string_view("nul\0!", 5)) == "nul\\x00!");
}
