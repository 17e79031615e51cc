#include "support/fixtures.h"
#include "support/skip.h"

#include <catch2/catch.hpp>

#include <filesystem>

// Probes of the skip mechanism, hidden from ordinary runs: the case below runs this binary
// on each and reads its exit status.
TEST_CASE("skip probe: a case that lacks a host property", "[.][skip-probe]") {
  SIFKIT_SKIP(host, "probe of a host skip");
}

TEST_CASE("skip probe: a case that lacks a program setup installs", "[.][skip-probe]") {
  SIFKIT_SKIP(program, "probe of a program skip");
}

namespace {

// Runs this test binary on the case `name` with SIFKIT_STRICT_SKIPS set to `strict` ("" to
// leave it unset) and SIFKIT_SKIP_LOG set to `log`.
sifkit::test::CommandResult run_probe(const std::string& name, const std::string& strict,
                                      const std::string& log) {
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string env = "env -u SIFKIT_STRICT_SKIPS SIFKIT_SKIP_LOG=" + sifkit::test::shell_quote(log);
  if (!strict.empty()) {
    env += " SIFKIT_STRICT_SKIPS=" + strict;
  }
  return sifkit::test::run_command(env + " " + sifkit::test::shell_quote(self) + " " +
                                   sifkit::test::shell_quote(name));
}

} // namespace

TEST_CASE("a skipped case makes the binary exit 77, and a strict run fails all but host skips",
          "[tests]") {
  sifkit::test::TempDir dir;
  const std::string host = "skip probe: a case that lacks a host property";
  const std::string program = "skip probe: a case that lacks a program setup installs";
  {
    auto r = run_probe(host, "", dir.file("host.log"));
    INFO(r.out << r.err);
    CHECK(r.exit_code == sifkit::test::k_skip_exit_code);
    CHECK_THAT(r.out, Catch::Contains("SKIPPED: probe of a host skip"));
    CHECK(sifkit::test::file_bytes(dir.file("host.log")) ==
          host + "\thost\tprobe of a host skip\n");
  }
  {
    auto r = run_probe(program, "", dir.file("program.log"));
    INFO(r.out << r.err);
    CHECK(r.exit_code == sifkit::test::k_skip_exit_code);
    CHECK(sifkit::test::file_bytes(dir.file("program.log")) ==
          program + "\tprogram\tprobe of a program skip\n");
  }
  {
    auto r = run_probe(host, "1", dir.file("strict-host.log"));
    INFO(r.out << r.err);
    CHECK(r.exit_code == sifkit::test::k_skip_exit_code);
  }
  {
    auto r = run_probe(program, "1", dir.file("strict-program.log"));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("SKIPPED in a strict run"));
    CHECK_FALSE(std::filesystem::exists(dir.file("strict-program.log")));
  }
}
