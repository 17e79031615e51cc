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

namespace {

Result<int> number_or_error(bool ok) {
  if (!ok) {
    return fail(ErrorKind::not_found, "no number");
  }
  return 42;
}

Result<std::string> doubled(bool ok, int& reached) {
  SIFKIT_TRY_ASSIGN(int number, number_or_error(ok));
  reached = number;
  SIFKIT_TRY(with_context(number_or_error(ok), "the second number"));
  return std::to_string(number * 2);
}

Result<void> passed_on(bool ok) {
  SIFKIT_TRY(doubled(ok, *std::make_unique<int>(0)));
  return {};
}

Result<void> with_a_line(bool ok) {
  SIFKIT_TRY(with_context(number_or_error(ok), "the number"));
  return {};
}

} // namespace

TEST_CASE("SIFKIT_TRY and SIFKIT_TRY_ASSIGN pass errors on and values through", "[error]") {
  int reached = 0;
  auto value = doubled(true, reached);
  REQUIRE(value);
  CHECK(*value == "84");
  CHECK(reached == 42);

  reached = 0;
  auto failed = doubled(false, reached);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().kind() == ErrorKind::not_found);
  CHECK(failed.error().what() == "no number");
  CHECK(reached == 0); // returned before the next statement

  CHECK(passed_on(true));
  auto passed = passed_on(false);
  REQUIRE_FALSE(passed);
  CHECK(passed.error().kind() == ErrorKind::not_found);
  auto with_line = with_a_line(false);
  REQUIRE_FALSE(with_line);
  CHECK(with_line.error().what() == "the number: no number");
}
