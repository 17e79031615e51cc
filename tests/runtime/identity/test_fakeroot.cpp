// --fakeroot's plan: subordinate id ranges read as shadow reads /etc/subuid, the maps
// built from them, the single-id fallback and its warning, the user-namespace sysctl
// check, and what --fakeroot changes in the spec (root, /root, no inner user namespace).
#include <runtime/identity/identity.h>

#include "runtime/spec_fixture.h"
#include <nlohmann/json.hpp>

using namespace sifkit;
using namespace sifkit::runtime;
using namespace sifkit::test;
using Ranges = std::vector<IdRange>;
using Map = std::vector<IdMapEntry>;

TEST_CASE("subuid lines are matched by the user's name or by the uid in decimal", "[fakeroot]") {
  std::string text = "alice:100000:65536\n"
                     "bob:165536:65536\n"
                     "1234:300000:1000\n"
                     "alice:400000:10\n";
  CHECK(parse_subid_ranges(text, {"alice", 1234}) ==
        Ranges{{100000, 65536}, {300000, 1000}, {400000, 10}});
  CHECK(parse_subid_ranges(text, {"bob", 1}) == Ranges{{165536, 65536}});
  CHECK(parse_subid_ranges(text, {"", 1234}) == Ranges{{300000, 1000}});
  CHECK(parse_subid_ranges(text, {"carol", 99}).empty());
  CHECK(parse_subid_ranges(text, {"alic", 12}).empty());
}

TEST_CASE("subuid lines that do not parse are skipped as shadow skips them", "[fakeroot]") {
  std::string text = "# alice:1:2\n"
                     "\n"
                     "alice:500000\n"
                     "alice:x:100\n"
                     "alice:100:-5\n"
                     "alice:100:10:extra\n"
                     "alice:200: 10\n"
                     "alice:300:0\n"
                     "alice:4294967295:2\n"
                     "alice:600000:65536";
  CHECK(parse_subid_ranges(text, {"alice", 1000}) == Ranges{{600000, 65536}});
}

TEST_CASE("a missing subid file holds no ranges and an unreadable one is an error", "[fakeroot]") {
  TempDir dir;
  auto none = read_subid_ranges(dir.file("absent"), {"alice", 1000});
  REQUIRE(none);
  CHECK(none->empty());
  auto directory = read_subid_ranges(dir.path().string(), {"alice", 1000});
  REQUIRE_FALSE(directory);
  CHECK(directory.error().kind() != ErrorKind::not_found);
  CHECK_THAT(directory.error().what(), Catch::Contains(dir.path().string()));
}

TEST_CASE("the fakeroot map puts the caller at 0 and the ranges after it from 1", "[fakeroot]") {
  CHECK(fakeroot_map(1001, {}) == Map{{0, 1001, 1}});
  CHECK(fakeroot_map(1001, {{200000, 65536}}) == Map{{0, 1001, 1}, {1, 200000, 65536}});
  CHECK(fakeroot_map(7, {{100, 10}, {500, 5}}) == Map{{0, 7, 1}, {1, 100, 10}, {11, 500, 5}});
  Ranges many(400, IdRange{1000, 1});
  CHECK(fakeroot_map(7, many).size() == 340);
  auto map = fakeroot_map(1001, {{200000, 65536}});
  CHECK(map_text(map) == "0 1001 1\n1 200000 65536\n");
  CHECK(map_arguments(map) == std::vector<std::string>{"0", "1001", "1", "1", "200000", "65536"});
}

TEST_CASE("the container's map inside the caller's namespace makes the caller itself again",
          "[fakeroot]") {
  Map outer = fakeroot_map(1001, {{200000, 65536}});
  CHECK(caller_map_inside(1001, outer) == Map{{0, 1, 1001}, {1001, 0, 1}, {1002, 1002, 64535}});
  CHECK(caller_map_inside(70000, outer) == Map{{0, 1, 65536}, {70000, 0, 1}});
  CHECK(caller_map_inside(0, outer) == Map{{0, 0, 1}, {1, 1, 65536}});
  CHECK(caller_map_inside(1001, fakeroot_map(1001, {})) == Map{{1001, 0, 1}});
}

TEST_CASE("a container in the caller's namespace gets its own user namespace and mapped groups",
          "[fakeroot]") {
  FakerootPlan ranges{fakeroot_map(1001, {{200000, 65536}}), fakeroot_map(1001, {{200000, 65536}}),
                      true, ""};
  nlohmann::json spec = {
      {"process", {{"user", {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {100, 70000}}}}}},
      {"linux", {{"namespaces", {{{"type", "mount"}}}}}}};
  REQUIRE(map_container_to_caller(spec, ranges, 1001, 1001, "runc"));
  CHECK(spec["linux"]["namespaces"].size() == 2);
  CHECK(spec["linux"]["uidMappings"][1] ==
        nlohmann::json({{"containerID", 1001}, {"hostID", 0}, {"size", 1}}));
  CHECK(spec["process"]["user"]["additionalGids"] == nlohmann::json({100}));

  FakerootPlan single{fakeroot_map(1001, {}), fakeroot_map(1001, {}), false, ""};
  nlohmann::json crun_spec = spec;
  REQUIRE(map_container_to_caller(crun_spec, single, 1001, 1001, "crun"));
  CHECK(crun_spec["linux"]["uidMappings"] ==
        nlohmann::json::array({{{"containerID", 1000}, {"hostID", 0}, {"size", 1}}}));
  auto refused = map_container_to_caller(spec, single, 1001, 1001, "runc");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind() == ErrorKind::unsupported);
  CHECK_THAT(refused.error().what(), Catch::Contains("--runtime crun"));
}

TEST_CASE("only the identity map of every id is the initial user namespace's", "[fakeroot]") {
  CHECK(is_initial_uid_map("         0          0 4294967295\n"));
  CHECK_FALSE(is_initial_uid_map("         0       1001          1\n"));
  CHECK_FALSE(is_initial_uid_map("0 1001 1\n1 200000 65536\n"));
  CHECK_FALSE(is_initial_uid_map("0 0 4294967294\n"));
  CHECK_FALSE(is_initial_uid_map(""));
  if (::geteuid() == 0 && is_initial_uid_map(sifkit::test::file_bytes("/proc/self/uid_map"))) {
    CHECK_FALSE(in_user_namespace());
  }
}

TEST_CASE("the fakeroot plan uses newuidmap for the caller's ranges", "[fakeroot]") {
  TempDir dir;
  FakerootSources sources{dir.file("subuid"), dir.file("subgid"), "/usr/bin/newuidmap",
                          "/usr/bin/newgidmap"};
  write_text(sources.subuid, "other:100000:65536\nalice:200000:65536\n");
  write_text(sources.subgid, "alices:300000:1000\n");
  auto plan = plan_fakeroot({"alice", 1001}, 1002, "alices", sources);
  REQUIRE(plan);
  CHECK(plan->use_helpers);
  CHECK(plan->uids == Map{{0, 1001, 1}, {1, 200000, 65536}});
  CHECK(plan->gids == Map{{0, 1002, 1}, {1, 300000, 1000}});
  CHECK(plan->warning.empty());
}

TEST_CASE("without subid ranges the fakeroot plan maps one id and says what to add", "[fakeroot]") {
  TempDir dir;
  FakerootSources sources{dir.file("subuid"), dir.file("subgid"), "/usr/bin/newuidmap",
                          "/usr/bin/newgidmap"};
  write_text(sources.subuid, "other:100000:65536\n");
  auto plan = plan_fakeroot({"alice", 1001}, 1001, "alice", sources);
  REQUIRE(plan);
  CHECK_FALSE(plan->use_helpers);
  CHECK(plan->uids == Map{{0, 1001, 1}});
  CHECK(plan->gids == Map{{0, 1001, 1}});
  CHECK_THAT(plan->warning, Catch::Contains("/etc/subuid and /etc/subgid") &&
                                Catch::Contains("usermod --add-subuids") &&
                                Catch::Contains("alice"));

  write_text(sources.subuid, "alice:100000:65536\n");
  auto only_uids = plan_fakeroot({"alice", 1001}, 1001, "alice", sources);
  REQUIRE(only_uids);
  CHECK(only_uids->use_helpers);
  CHECK(only_uids->gids == Map{{0, 1001, 1}});
  CHECK_THAT(only_uids->warning,
             Catch::Contains("only your own gid") && Catch::Contains("/etc/subgid has no range"));

  sources.newuidmap.clear();
  auto no_helpers = plan_fakeroot({"alice", 1001}, 1001, "alice", sources);
  REQUIRE(no_helpers);
  CHECK_FALSE(no_helpers->use_helpers);
  CHECK(no_helpers->uids == Map{{0, 1001, 1}});
  CHECK_THAT(no_helpers->warning, Catch::Contains("uidmap"));
}

TEST_CASE("the user namespace check names the sysctl that forbids them", "[fakeroot]") {
  TempDir dir;
  UsernsSysctls sysctls{dir.file("max_user_namespaces"), dir.file("unprivileged_userns_clone")};
  CHECK(check_user_namespaces(sysctls, Privilege::unprivileged));

  write_text(sysctls.max_user_namespaces, "15000\n");
  write_text(sysctls.unprivileged_userns_clone, "1\n");
  CHECK(check_user_namespaces(sysctls, Privilege::unprivileged));

  write_text(sysctls.unprivileged_userns_clone, "0\n");
  auto clone_off = check_user_namespaces(sysctls, Privilege::unprivileged);
  REQUIRE_FALSE(clone_off);
  CHECK(clone_off.error().kind() == ErrorKind::unsupported);
  CHECK_THAT(clone_off.error().what(), Catch::Contains(sysctls.unprivileged_userns_clone) &&
                                           Catch::Contains("kernel.unprivileged_userns_clone=1"));
  CHECK(check_user_namespaces(sysctls, Privilege::root));

  write_text(sysctls.max_user_namespaces, "0\n");
  auto max_off = check_user_namespaces(sysctls, Privilege::root);
  REQUIRE_FALSE(max_off);
  CHECK(max_off.error().kind() == ErrorKind::unsupported);
  CHECK_THAT(max_off.error().what(), Catch::Contains(sysctls.max_user_namespaces) &&
                                         Catch::Contains("user.max_user_namespaces"));
}

TEST_CASE("sif-run --fakeroot runs as root with home /root whatever the image's USER says",
          "[fakeroot][spec]") {
  SpecFixture f;
  f.image.config.user = "app";
  f.options.fakeroot = true;
  f.options.user = true;
  auto spec = f.spec();
  CHECK(spec["process"]["user"]["uid"] == 0);
  CHECK(spec["process"]["user"]["gid"] == 0);
  CHECK_FALSE(spec["process"]["user"].contains("additionalGids"));
  CHECK(env_value(spec, "HOME") == "/root");
  auto home = find_mount(spec, "/root");
  REQUIRE_FALSE(home.is_null());
  CHECK(home["type"] == "tmpfs");
  CHECK(find_mount(spec, f.host.home).is_null());
  CHECK(find_mount(spec, "/etc/passwd").is_null());
  auto types = namespace_types(spec);
  CHECK(std::find(types.begin(), types.end(), "user") == types.end());
  CHECK_FALSE(spec["linux"].contains("uidMappings"));
  auto bounding = spec["process"]["capabilities"]["bounding"].get<std::vector<std::string>>();
  CHECK(std::find(bounding.begin(), bounding.end(), "CAP_CHOWN") != bounding.end());
  CHECK(spec["process"]["capabilities"]["effective"] ==
        spec["process"]["capabilities"]["bounding"]);

  f.options.home_mode = HomeMode::bind;
  f.options.home_source = f.host.home;
  f.options.home_destination = "/home/mine";
  f.image.config.user.clear();
  auto bound = f.spec();
  CHECK(env_value(bound, "HOME") == "/home/mine");
  CHECK(find_mount(bound, "/home/mine")["source"] == f.host.home);
}
