// sif-run --fakeroot through its binary with real crun and runc: from a plain account with
// subuid ranges (root inside, the caller and the range mapped, files on the host owned by
// the caller or the range), from one without (one id mapped, a warning), as root, and
// after sif-run itself is killed.
#include <chrono>
#include <csignal>
#include <cstdint>
#include <random>
#include <thread>

#include "runtime/account_fixture.h"
#include <catch2/catch.hpp>
#include <support/processes.h>
#include <signal.h>
#include <sys/stat.h>

using namespace sifkit::test;

namespace {

// Whether the account of a --fakeroot case has subuid/subgid ranges.
enum class SubidRanges { present, absent };

// True when --fakeroot from `account` (with or without `ranges`) can be tested here;
// otherwise records a skip naming what is missing and returns false.
bool can_run_fakeroot_as(const std::string& account, SubidRanges ranges) {
  if (!can_run_as_account(account)) {
    return false;
  }
  bool has_range = !first_subid_range("/etc/subuid", account).empty();
  if (ranges == SubidRanges::present && !has_range) {
    SIFKIT_SKIP(account, account << " has no range in /etc/subuid: run scripts/setup.sh");
    return false;
  }
  if (ranges == SubidRanges::present &&
      run_command("command -v newuidmap >/dev/null && command -v newgidmap >/dev/null").exit_code !=
          0) {
    SIFKIT_SKIP(program, "newuidmap/newgidmap (Debian's uidmap) are missing");
    return false;
  }
  if (ranges == SubidRanges::absent && has_range) {
    SIFKIT_SKIP(account,
                account << " has a range in /etc/subuid, so the single-id case cannot be shown");
    return false;
  }
  return true;
}

// SingularityCE's default capability set, as a CapEff mask (hex, as /proc shows it).
std::string default_caps_hex() {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(default_caps_mask()));
  return text;
}

uid_t owner_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_uid;
}

} // namespace

TEST_CASE("sif-run --fakeroot from a plain account is root inside over the caller and its range",
          "[fakeroot][root]") {
  if (!can_run_fakeroot_as("sifkit-test", SubidRanges::present)) {
    return;
  }
  AccountRun c(*find_account("sifkit-test"), R"({"User":"app"})");
  std::string uid = std::to_string(c.account.uid);
  std::string gid = std::to_string(c.account.gid);
  std::string range = first_subid_range("/etc/subuid", "sifkit-test");
  std::string grange = first_subid_range("/etc/subgid", "sifkit-test");
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto id = c.run(rt, "--fakeroot exec " + c.sif + " sh -c 'id -u; id -g; echo $HOME'");
    INFO(id.err);
    CHECK(id.exit_code == 0);
    CHECK(id.out == "0\n0\n/root\n");
    CHECK(id.err.find("warning") == std::string::npos);
    auto maps = c.run(rt, "-f exec " + c.sif + " cat /proc/self/uid_map /proc/self/gid_map");
    CHECK(squeeze(maps.out) == "0 " + uid + " 1 1 " + range + " 0 " + gid + " 1 1 " + grange);
    auto caps = c.run(rt, "-f exec " + c.sif + " grep CapEff /proc/self/status");
    CHECK(squeeze(caps.out) == "CapEff: " + default_caps_hex());
    auto failed = c.run(rt, "-f exec " + c.sif + " sh -c 'exit 9'");
    CHECK(failed.exit_code == 9);
    CHECK(c.leftovers().empty());
  }
  CHECK(c.fuse_daemons().empty());
}

TEST_CASE("files --fakeroot root writes into a bound directory belong to the caller on the host",
          "[fakeroot][root]") {
  if (!can_run_fakeroot_as("sifkit-test", SubidRanges::present)) {
    return;
  }
  AccountRun c(*find_account("sifkit-test"), "{}");
  std::string data = c.owned_dir("data");
  auto range_start =
      static_cast<uid_t>(std::stoul(first_subid_range("/etc/subuid", "sifkit-test").substr(0, 10)));
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string mine = "mine-" + rt, one = "one-" + rt;
    auto r =
        c.run(rt, "--fakeroot --bind " + data + ":/data exec " + c.sif + " sh -c 'touch /data/" +
                      mine + " /data/" + one + " && chown 1:1 /data/" + one +
                      " && stat -c %u /data/" + mine + " /data/" + one + "'");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "0\n1\n");
    CHECK(owner_of(data + "/" + mine) == c.account.uid);
    CHECK(owner_of(data + "/" + one) == range_start);
    CHECK(c.leftovers().empty());
  }
}

TEST_CASE("sif-run --fakeroot without subid ranges maps the caller alone and warns",
          "[fakeroot][root]") {
  if (!can_run_fakeroot_as("sifkit-nosubid", SubidRanges::absent)) {
    return;
  }
  AccountRun c(*find_account("sifkit-nosubid"), "{}");
  std::string uid = std::to_string(c.account.uid);
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r = c.run(rt, "--fakeroot exec " + c.sif + " sh -c 'id -u; cat /proc/self/uid_map'");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(squeeze(r.out) == "0 0 " + uid + " 1");
    CHECK_THAT(r.err, Catch::Contains("warning") && Catch::Contains("/etc/subuid") &&
                          Catch::Contains("sifkit-nosubid"));
    CHECK(c.leftovers().empty());
  }
}

TEST_CASE("sif-run --fakeroot as root runs as root with home /root", "[fakeroot][root]") {
  if (!can_run_containers_as_root("the root case of --fakeroot needs root")) {
    return;
  }
  TempDir dir;
  std::string sif = dir.file("image.sif");
  std::string state = dir.file("state");
  make_busybox_sif(sif, R"({"User":"app"})");
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r = sif_run(state, "--runtime " + rt + " --fakeroot exec " + sif +
                                " sh -c 'id -u; echo $HOME; cat /proc/self/uid_map'");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(squeeze(r.out) == "0 /root 0 0 4294967295");
    CHECK(run_leftovers(sif, state).empty());
  }
}

TEST_CASE("what a SIGKILLed sif-run --fakeroot left dies with it or goes with the next run",
          "[fakeroot][root]") {
  if (!can_run_fakeroot_as("sifkit-test", SubidRanges::present)) {
    return;
  }
  AccountRun c(*find_account("sifkit-test"), "{}");
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string sleep = unique_sleep();
    auto started = run_command("setsid " + c.command(rt, "--fakeroot exec " + c.sif + " " + sleep) +
                               " >/dev/null 2>&1 & echo $!");
    REQUIRE(started.exit_code == 0);
    int sif_run_pid = std::stoi(started.out);
    int container_pid = wait_for_process(sleep);
    REQUIRE(container_pid != 0);
    ::kill(sif_run_pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // The mounts were never the host's; the FUSE daemons died with sif-run.
    auto left = c.leftovers();
    CHECK(left.find("mounts:") == std::string::npos);
    CHECK(left.find("FUSE daemon") == std::string::npos);
    CHECK(left.find("run sessions") != std::string::npos);
    auto next = c.run(rt, "--fakeroot exec " + c.sif + " true");
    INFO(next.err);
    CHECK(next.exit_code == 0);
    CHECK(wait_until_gone(container_pid));
    CHECK(c.leftovers().empty());
  }
}
