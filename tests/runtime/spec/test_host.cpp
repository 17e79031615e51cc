// probe_host: the caller's ids, environment, capabilities and host name as the process
// sees them.
#include <runtime/spec/capabilities.h>
#include <runtime/spec/spec.h>

#include <cstdlib>

#include <catch2/catch.hpp>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::runtime;

TEST_CASE("probe_host reports the caller's ids, environment and host name", "[spec]") {
  auto host = probe_host();
  REQUIRE(host);
  CHECK(host->uid == getuid());
  CHECK(host->gid == getgid());
  const char* path = std::getenv("PATH");
  REQUIRE(path != nullptr);
  CHECK(host->env.at("PATH") == path);
  if (const char* home = std::getenv("HOME"); home && *home) {
    CHECK(host->home == home);
  }
  CHECK_FALSE(host->hostname.empty());
  CHECK(host->stdin_is_tty == (isatty(0) == 1));
}

TEST_CASE("probe_host decodes the effective capability set to names", "[spec]") {
  auto host = probe_host();
  REQUIRE(host);
  for (const std::string& name : host->effective_caps) {
    CHECK(normalize_capability(name) == name);
  }
  if (geteuid() == 0) {
    CHECK_FALSE(host->effective_caps.empty());
  }
}

TEST_CASE("capability masks decode bit by bit", "[spec]") {
  CHECK(capabilities_from_mask(0).empty());
  CHECK(capabilities_from_mask(1) == std::vector<std::string>{"CAP_CHOWN"});
  CHECK(capabilities_from_mask((std::uint64_t{1} << 21) | (std::uint64_t{1} << 40)) ==
        std::vector<std::string>{"CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE"});
  CHECK(capabilities_from_mask(~std::uint64_t{0}).size() == 41);
}
