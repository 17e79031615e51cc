// sif-run's syscall filter (--security seccomp:...) and -u/--userns as root, seen from real
// crun and runc containers.
#include <runtime/run_fixture.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <support/fixtures.h>

using namespace sifkit::test;

namespace {

// A profile in the containers format that allows everything but mkdir and mkdirat.
constexpr const char* k_no_mkdir_profile = R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
})";

} // namespace

TEST_CASE("sif-run filters syscalls with the default profile unless told otherwise",
          "[run][sif-run][seccomp][root]") {
  if (!can_run_containers_as_root("the run tests as root need root")) {
    return;
  }
  RunCase c;
  std::string profile = c.dir.file("no-mkdir.json");
  std::ofstream(profile) << k_no_mkdir_profile;
  const std::string seccomp_mode = "exec " + c.sif + " sh -c 'grep ^Seccomp: /proc/self/status'";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    if (std::filesystem::exists("/usr/share/containers/seccomp.json")) {
      auto filtered = c.run(rt, seccomp_mode);
      INFO(filtered.err);
      CHECK(filtered.out == "Seccomp:\t2\n");
    } else {
      SIFKIT_SKIP(program, "the default-profile check needs /usr/share/containers/seccomp.json");
    }
    auto unconfined = c.run(rt, "--security seccomp:unconfined " + seccomp_mode);
    INFO(unconfined.err);
    CHECK(unconfined.out == "Seccomp:\t0\n");

    auto denied = c.run(rt, "--security seccomp:" + profile + " exec " + c.sif +
                                " sh -c 'mkdir /tmp/d 2>&1; echo rc=$?'");
    INFO(denied.err);
    CHECK_THAT(denied.out, Catch::Contains("Operation not permitted"));
    CHECK_THAT(denied.out, Catch::Contains("rc=1"));
    auto allowed = c.run(rt, "--security seccomp:unconfined exec " + c.sif +
                                 " sh -c 'mkdir /tmp/d 2>&1; echo rc=$?'");
    CHECK(allowed.out == "rc=0\n");
  }
  c.check_clean();
}

TEST_CASE("sif-run refuses other --security labels and unreadable profiles",
          "[run][sif-run][seccomp][root]") {
  if (!can_run_containers_as_root("the run tests as root need root")) {
    return;
  }
  RunCase c;
  auto apparmor = c.run("runc", "--security apparmor:unconfined exec " + c.sif + " true");
  CHECK(apparmor.exit_code == 2);
  CHECK_THAT(apparmor.err, Catch::Contains("only seccomp:"));
  auto missing =
      c.run("runc", "--security seccomp:" + c.dir.file("absent.json") + " exec " + c.sif + " true");
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("absent.json"));
  std::string broken = c.dir.file("broken.json");
  std::ofstream(broken) << "{\"defaultAction\": ";
  auto malformed = c.run("runc", "--security seccomp:" + broken + " exec " + c.sif + " true");
  CHECK(malformed.exit_code != 0);
  CHECK_THAT(malformed.err, Catch::Contains("not valid JSON"));
  c.check_clean();
}

TEST_CASE("sif-run -u as root runs in a user namespace that maps every id to itself",
          "[run][sif-run][userns][root]") {
  if (!can_run_containers_as_root("a user namespace owned by root needs root")) {
    return;
  }
  RunCase c(R"({"User":"app"})");
  RunCase root;
  std::string host_ns = std::filesystem::read_symlink("/proc/self/ns/user").string();
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r = c.run(rt, "-u exec " + c.sif +
                           " sh -c 'readlink /proc/self/ns/user; cat /proc/self/uid_map; id'");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, !Catch::Contains(host_ns));
    CHECK_THAT(r.out, Catch::Contains("4294967295"));
    CHECK_THAT(r.out, Catch::Contains("uid=1000(app) gid=1000(app) groups=100(users),1000(app)"));

    auto as_root = root.run(rt, "-u exec " + root.sif +
                                    " sh -c 'id -u; ls /sys/kernel >/dev/null && echo sys'");
    INFO(as_root.err);
    CHECK(as_root.exit_code == 0);
    CHECK(as_root.out == "0\nsys\n");
  }
  c.check_clean();
  root.check_clean();
}
