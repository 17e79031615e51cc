// A plain account runs a container: sif-run enters a user namespace of the caller's
// (caller → 0, subuid range → 1..N), mounts the image there with squashfuse, and the
// runtime gives the container a user namespace where the caller is the container's user.
#include <algorithm>
#include <csignal>
#include <string>

#include "runtime/account_fixture.h"
#include <catch2/catch.hpp>
#include <support/processes.h>
#include <sys/stat.h>

using namespace sifkit::test;

namespace {

uid_t owner_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_uid;
}

} // namespace

TEST_CASE("a plain account runs a container through squashfuse and a user namespace",
          "[run][unprivileged][root]") {
  if (!can_run_as_account("sifkit-test")) {
    return;
  }
  AccountRun c(*find_account("sifkit-test"),
               R"({"User":"app","Cmd":["/bin/sh","-c","id -u; cat /opt/data/file"]})");
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r = c.run(rt, c.sif);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "1000\nimage data\n");
    CHECK(c.leftovers().empty());
  }
}

TEST_CASE("exec from a plain account runs as the caller, writes as the caller, passes exit codes",
          "[run][unprivileged][root]") {
  if (!can_run_as_account("sifkit-test")) {
    return;
  }
  AccountRun c(*find_account("sifkit-test"), "{}");
  std::string uid = std::to_string(c.account.uid);
  std::string data = c.owned_dir("data");
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto id = c.run(rt, "exec " + c.sif + " id -u");
    INFO(id.err);
    CHECK(id.exit_code == 0);
    CHECK(id.out == uid + "\n");
    // The container's user namespace maps the caller's uid to the outer namespace's 0,
    // which is the caller on the host.
    auto map = c.run(rt, "exec " + c.sif + " cat /proc/self/uid_map");
    CHECK_THAT(squeeze(map.out), Catch::Contains(uid + " 0 1"));
    auto touched = c.run(rt, "--bind " + data + ":/data exec " + c.sif + " touch /data/" + rt);
    CHECK(touched.exit_code == 0);
    CHECK(owner_of(data + "/" + rt) == c.account.uid);
    auto failed = c.run(rt, "exec " + c.sif + " sh -c 'exit 7'");
    CHECK(failed.exit_code == 7);
    CHECK(c.leftovers().empty());
  }
  // Nothing of the account's runs stays: no FUSE daemon of that uid for this case.
  CHECK(c.fuse_daemons().empty());
}

TEST_CASE("a plain account without subid ranges runs as itself with crun and gets runc's limit",
          "[run][unprivileged][root]") {
  if (!can_run_as_account("sifkit-nosubid")) {
    return;
  }
  if (!first_subid_range("/etc/subuid", "sifkit-nosubid").empty()) {
    SIFKIT_SKIP(account, "sifkit-nosubid has a range in /etc/subuid here");
    return;
  }
  AccountRun c(*find_account("sifkit-nosubid"), R"({"User":"app"})");
  std::string data = c.owned_dir("data");
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r = c.run(rt, "--bind " + data + ":/data exec " + c.sif +
                           " sh -c 'id -u; cat /opt/data/file; touch /data/" + rt + "'");
    INFO(r.err);
    if (rt == "runc") {
      CHECK(r.exit_code == 6);
      CHECK_THAT(r.err, Catch::Contains("root mapping") && Catch::Contains("/etc/subuid"));
    } else {
      CHECK(r.exit_code == 0);
      CHECK(r.out == "1000\nimage data\n");
      CHECK(owner_of(data + "/" + rt) == c.account.uid);
    }
    CHECK(c.leftovers().empty());
  }
}

TEST_CASE("a plain account's mounts and scratch files are never the host's: no mount record, "
          "no layer or overlay directories in the state directory, nothing left after, also "
          "when sif-run is killed",
          "[run][unprivileged][cleanup][root]") {
  if (!can_run_as_account("sifkit-test")) {
    return;
  }
  AccountRun c(*find_account("sifkit-test"), "{}");
  for (const auto& rt : usable_runtimes()) {
    for (bool kill_sif_run : {false, true}) {
      INFO("runtime " << rt << (kill_sif_run ? ", sif-run killed" : ", container killed"));
      std::string sleep = unique_sleep();
      auto started = run_command(c.command(rt, "exec " + shell_quote(c.sif) + " " + sleep) +
                                 " >/dev/null 2>&1 & echo $!");
      REQUIRE(started.exit_code == 0);
      int sif_run_pid = std::stoi(started.out);
      int container_pid = wait_for_process(sleep);
      REQUIRE(container_pid != 0);
      // The session as the host sees it while the container runs.
      check_session_holds_no_scratch(c.state);
      if (kill_sif_run) {
        ::kill(sif_run_pid, SIGKILL);
        REQUIRE(wait_until_gone(sif_run_pid));
        // Its FUSE daemons die with it; the next run removes its container and session.
        auto next = c.run(rt, "exec " + shell_quote(c.sif) + " true");
        INFO(next.err);
        CHECK(next.exit_code == 0);
        CHECK(wait_until_gone(container_pid));
      } else {
        ::kill(container_pid, SIGKILL);
        REQUIRE(wait_until_gone(sif_run_pid));
      }
      CHECK(c.fuse_daemons().empty()); // none outlives sif-run
      INFO(c.leftovers());
      CHECK(c.leftovers().empty());
    }
  }
}
