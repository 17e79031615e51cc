// The texts of sif-run's flags: --bind, --mount, --home, capability lists, --no-mount.
#include <runtime/spec/spec.h>

#include <filesystem>

#include <catch2/catch.hpp>

using namespace sifkit;
using namespace sifkit::runtime;

namespace {

template <typename T>
void require_usage(const Result<T>& result, const std::string& fragment) {
  REQUIRE_FALSE(result);
  CHECK(result.error().kind() == ErrorKind::usage);
  CHECK_THAT(result.error().message(), Catch::Contains(fragment));
}

} // namespace

TEST_CASE("bind lists give source, destination and read-only flags", "[spec]") {
  auto binds = parse_binds("/a,/b:/c,/d:/e:ro,/f:/g:rw");
  REQUIRE(binds);
  REQUIRE(binds->size() == 4);
  CHECK((*binds)[0].source == "/a");
  CHECK((*binds)[0].destination == "/a");
  CHECK_FALSE((*binds)[0].read_only);
  CHECK((*binds)[1].destination == "/c");
  CHECK((*binds)[2].read_only);
  CHECK_FALSE((*binds)[3].read_only);
}

TEST_CASE("a relative bind source is made absolute against the current directory", "[spec]") {
  std::string cwd = std::filesystem::current_path().string();
  auto binds = parse_binds("data:/data,./x");
  REQUIRE(binds);
  CHECK((*binds)[0].source == cwd + "/data");
  CHECK((*binds)[1].source == cwd + "/x");
  CHECK((*binds)[1].destination == cwd + "/x");
}

TEST_CASE("malformed bind texts are usage errors", "[spec]") {
  require_usage(parse_binds(""), "src[:dst");
  require_usage(parse_binds("/a,,/b"), "src[:dst");
  require_usage(parse_binds("/a:/b:rx"), "rx");
  require_usage(parse_binds("/a:/b:ro:x"), "src[:dst");
  require_usage(parse_binds("/a:rel"), "absolute");
  require_usage(parse_binds(":/b"), "src[:dst");
}

TEST_CASE("mount texts accept docker's field names", "[spec]") {
  auto mount = parse_mount("type=bind,source=/a,destination=/b");
  REQUIRE(mount);
  CHECK(mount->source == "/a");
  CHECK(mount->destination == "/b");
  CHECK_FALSE(mount->read_only);
  mount = parse_mount("type=bind,src=/a,dst=/b,ro");
  REQUIRE(mount);
  CHECK(mount->read_only);
  mount = parse_mount("src=/a,target=/c,readonly=true");
  REQUIRE(mount);
  CHECK(mount->destination == "/c");
  CHECK(mount->read_only);
  mount = parse_mount("type=bind,src=/a,dst=/b,readonly=false");
  REQUIRE(mount);
  CHECK_FALSE(mount->read_only);
}

TEST_CASE("malformed mount texts are usage errors", "[spec]") {
  require_usage(parse_mount("type=volume,src=/a,dst=/b"), "type=bind");
  require_usage(parse_mount("type=bind,src=/a"), "destination");
  require_usage(parse_mount("type=bind,dst=/b"), "source");
  require_usage(parse_mount("type=bind,src=/a,dst=/b,color=red"), "color");
  require_usage(parse_mount("type=bind,src=/a,dst=b"), "absolute");
  require_usage(parse_mount("src=/a,dst=/b,ro=maybe"), "maybe");
}

TEST_CASE("home texts choose a bind or a tmpfs", "[spec]") {
  RunOptions options;
  REQUIRE(parse_home("/host/me:/home/me", options));
  CHECK(options.home_mode == HomeMode::bind);
  CHECK(options.home_source == "/host/me");
  CHECK(options.home_destination == "/home/me");
  REQUIRE(parse_home("/scratchhome", options));
  CHECK(options.home_mode == HomeMode::tmpfs);
  CHECK(options.home_destination == "/scratchhome");
  CHECK(options.home_source.empty());
  REQUIRE(parse_home("rel:/home/me", options));
  CHECK(options.home_source == std::filesystem::current_path().string() + "/rel");
}

TEST_CASE("malformed home texts are usage errors", "[spec]") {
  RunOptions options;
  require_usage(parse_home("", options), "host:container");
  require_usage(parse_home("relative", options), "absolute");
  require_usage(parse_home("/a:rel", options), "absolute");
  require_usage(parse_home("/a:/b:/c", options), "host:container");
}

TEST_CASE("capability lists accept any case with or without CAP_ and all", "[spec]") {
  auto caps = parse_caps("net_raw,CAP_SYS_ADMIN,Cap_Chown,sys_admin");
  REQUIRE(caps);
  CHECK(*caps == std::vector<std::string>{"CAP_NET_RAW", "CAP_SYS_ADMIN", "CAP_CHOWN"});
  caps = parse_caps("ALL");
  REQUIRE(caps);
  CHECK(caps->size() == 41);
  caps = parse_caps("");
  REQUIRE(caps);
  CHECK(caps->empty());
}

TEST_CASE("unknown capabilities are a usage error naming each of them", "[spec]") {
  auto caps = parse_caps("chown,cap_flying,teleport");
  require_usage(caps, "cap_flying");
  CHECK_THAT(caps.error().message(), Catch::Contains("teleport"));
}

TEST_CASE("no-mount texts name the mounts to leave out", "[spec]") {
  auto names = parse_no_mount("proc,sys,devpts,tmp,home");
  REQUIRE(names);
  CHECK(names->size() == 5);
  names = parse_no_mount("tmp");
  REQUIRE(names);
  CHECK(*names == std::set<std::string>{"tmp"});
}

TEST_CASE("no-mount refuses dev and unknown names listing the valid ones", "[spec]") {
  require_usage(parse_no_mount("dev"), "dev cannot be disabled");
  auto names = parse_no_mount("proc,cwd");
  require_usage(names, "cwd");
  CHECK_THAT(names.error().message(), Catch::Contains("proc, sys, devpts, tmp, home"));
  require_usage(parse_no_mount(""), "unknown");
}
