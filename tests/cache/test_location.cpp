#include <cache/location.h>

#include <map>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::cache;

namespace {

EnvironmentLookup fake(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto found = values.find(name);
    return found == values.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
}

} // namespace

TEST_CASE("the cache directory comes from --cache, then the environment, then HOME", "[cache]") {
  auto all = fake({{"SIFKIT_CACHEDIR", "/s"}, {"XDG_CACHE_HOME", "/x"}, {"HOME", "/h"}});
  CHECK(resolve_cache_directory(std::string("/flag"), all) == "/flag");
  CHECK(resolve_cache_directory(std::nullopt, all) == "/s");
  CHECK(resolve_cache_directory(std::nullopt, fake({{"XDG_CACHE_HOME", "/x"}, {"HOME", "/h"}})) ==
        "/x/sifkit");
  CHECK(resolve_cache_directory(std::nullopt, fake({{"HOME", "/h"}})) == "/h/.cache/sifkit");
  // Without HOME the password database answers.
  auto fallback = resolve_cache_directory(std::nullopt, fake({}));
  REQUIRE(fallback.has_value());
  CHECK_THAT(*fallback, Catch::EndsWith("/.cache/sifkit"));
}

TEST_CASE("a missing cache directory is created with mode 0700, parents included", "[cache]") {
  test::TempDir dir;
  std::string root = dir.file("a/b/cache");
  REQUIRE(ensure_cache_directory(root).has_value());
  struct stat st {};
  REQUIRE(::stat(root.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat(dir.file("a").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  CHECK(ensure_cache_directory(root).has_value()); // existing is fine
}

TEST_CASE("a cache directory owned by another user is refused as a conflict", "[cache]") {
  test::TempDir dir;
  std::string root = dir.file("theirs");
  REQUIRE(::mkdir(root.c_str(), 0700) == 0);
  if (::geteuid() == 0) {
    REQUIRE(::chown(root.c_str(), 65534, 65534) == 0);
  } else {
    root = "/"; // owned by root, and we are not root
  }
  auto ready = ensure_cache_directory(root);
  REQUIRE_FALSE(ready.has_value());
  CHECK(ready.error().kind() == ErrorKind::conflict);
  CHECK_THAT(ready.error().what(), Catch::Contains("owned by uid"));
}

TEST_CASE("a file where the cache directory should be is refused", "[cache]") {
  test::TempDir dir;
  REQUIRE(write_file_atomic(dir.file("file"), "x").has_value());
  auto ready = ensure_cache_directory(dir.file("file"));
  REQUIRE_FALSE(ready.has_value());
  CHECK(ready.error().kind() == ErrorKind::conflict);
}
