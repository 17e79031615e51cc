#include <common/error.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <set>

using namespace sifkit;

TEST_CASE("an error prints its context chain outermost first", "[common]") {
  Error e(ErrorKind::corrupt_input, "bad magic");
  e.add_context("reading header");
  e.add_context("opening x.sif");
  CHECK(e.what() == "opening x.sif: reading header: bad magic");
  CHECK(e.kind() == ErrorKind::corrupt_input);
}

TEST_CASE("with_context adds a line only to failed results", "[common]") {
  Result<int> ok = 3;
  CHECK(with_context(std::move(ok), "ctx").value() == 3);
  Result<int> bad = fail(ErrorKind::io, "disk full");
  auto wrapped = with_context(std::move(bad), "writing y");
  REQUIRE_FALSE(wrapped.has_value());
  CHECK(wrapped.error().what() == "writing y: disk full");
}

TEST_CASE("every error kind has a distinct non-zero exit code", "[common]") {
  std::set<int> codes;
  for (auto kind : {ErrorKind::usage, ErrorKind::not_found, ErrorKind::corrupt_input,
                    ErrorKind::io, ErrorKind::unsupported, ErrorKind::conflict,
                    ErrorKind::capacity, ErrorKind::auth, ErrorKind::network,
                    ErrorKind::internal}) {
    int code = exit_code(kind);
    CHECK(code != 0);
    CHECK(codes.insert(code).second);
  }
  CHECK(exit_code(ErrorKind::usage) == 2);
  CHECK(exit_code(ErrorKind::not_found) == 3);
  CHECK(exit_code(ErrorKind::corrupt_input) == 4);
  CHECK(exit_code(ErrorKind::io) == 5);
}

TEST_CASE("ENOENT maps to not_found and other errno values to io", "[common]") {
  CHECK(fail_errno("open a", ENOENT).error().kind() == ErrorKind::not_found);
  CHECK(fail_errno("open a", EACCES).error().kind() == ErrorKind::io);
  CHECK(fail_errno("open a", EACCES).error().message().find("Permission denied") !=
        std::string::npos);
}
