// Nothing is left behind by a run, however it ends: normal exit, the container killed
// from the host, sif-run itself killed with SIGKILL (the next run or `sif-umount --stale`
// cleans up), several layers, the FUSE method.
#include <runtime/run_fixture.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <support/fixtures.h>
#include <support/processes.h>
#include <unistd.h>

using namespace sifkit::test;

namespace {

bool wait_until_clean(const std::string& sif, const std::string& state) {
  for (int i = 0; i < 50; ++i) {
    if (run_leftovers(sif, state).empty()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

} // namespace

TEST_CASE("a container killed from the host ends sif-run with 137 and leaves nothing mounted",
          "[run][cleanup][root]") {
  if (!can_run_containers_as_root("the clean-up tests need root")) {
    return;
  }
  TempDir dir;
  std::string sif = dir.file("image.sif");
  std::string state = dir.file("state");
  make_busybox_sif(sif);
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string sleep = unique_sleep();
    std::string script = "SIFKIT_STATE_DIR=" + state + " " + tool("sif-run") + " --runtime " + rt +
                         " exec " + sif + " " + sleep +
                         " </dev/null & pid=$!; "
                         "for i in $(seq 100); do pgrep -x -f '" +
                         sleep +
                         "' >/dev/null && break; sleep 0.1; done; "
                         "pkill -KILL -x -f '" +
                         sleep + "'; wait $pid";
    auto r = run_command(script);
    INFO(r.err);
    CHECK(r.exit_code == 137);
    INFO(run_leftovers(sif, state));
    CHECK(run_leftovers(sif, state).empty());
  }
}

TEST_CASE("what a SIGKILLed sif-run left is cleaned by the next run and by sif-umount --stale",
          "[run][cleanup][root]") {
  if (!can_run_containers_as_root("the clean-up tests need root")) {
    return;
  }
  TempDir dir;
  std::string sif = dir.file("image.sif");
  std::string state = dir.file("state");
  make_busybox_sif(sif);
  for (const auto& rt : usable_runtimes()) {
    for (std::string cleaner : {"run", "sif-umount"}) {
      INFO("runtime " << rt << ", cleaned by " << cleaner);
      std::string sleep = unique_sleep();
      auto started =
          run_command("SIFKIT_STATE_DIR=" + state + " setsid " + tool("sif-run") + " --runtime " +
                      rt + " exec " + sif + " " + sleep + " </dev/null >/dev/null 2>&1 & echo $!");
      REQUIRE(started.exit_code == 0);
      int sif_run_pid = std::stoi(started.out);
      int container_pid = wait_for_process(sleep);
      REQUIRE(container_pid != 0);
      ::kill(sif_run_pid, SIGKILL);
      REQUIRE(wait_until_gone(sif_run_pid));
      CHECK(!run_leftovers(sif, state).empty()); // the session is still there
      if (cleaner == "run") {
        auto next = sif_run(state, "--runtime " + rt + " exec " + sif + " true");
        INFO(next.err);
        CHECK(next.exit_code == 0);
      } else {
        auto swept =
            run_command("SIFKIT_STATE_DIR=" + state + " " + tool("sif-umount") + " --stale");
        INFO(swept.err);
        CHECK(swept.exit_code == 0);
      }
      CHECK(wait_until_gone(container_pid));
      INFO(run_leftovers(sif, state));
      CHECK(wait_until_clean(sif, state));
    }
  }
}

TEST_CASE("runs of a several-layer image and runs through squashfuse leave nothing behind",
          "[run][cleanup][root]") {
  if (!can_run_containers_as_root("the clean-up tests need root")) {
    return;
  }
  TempDir dir;
  std::string layered = dir.file("layered.sif");
  std::string state = dir.file("state");
  make_busybox_sif(layered, "{}", 3);
  std::string single = dir.file("single.sif");
  make_busybox_sif(single);
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r = sif_run(state, "--runtime " + rt + " exec " + layered +
                                " sh -c 'cat /opt/data/file; ls /opt'");
    INFO(r.err);
    CHECK(r.out == "image data\ndata\nlayer-3\n");
    CHECK(run_leftovers(layered, state).empty());
    auto fuse =
        sif_run(state, "--runtime " + rt + " --fuse exec " + single + " cat /opt/data/file");
    INFO(fuse.err);
    CHECK(fuse.out == "image data\n");
    CHECK(wait_until_clean(single, state));
  }
}

TEST_CASE("runs of one image started together all succeed and leave nothing behind",
          "[run][cleanup][parallel][root]") {
  if (!can_run_containers_as_root("the clean-up tests need root")) {
    return;
  }
  // Together they race for free loop devices and each sweeps the state directory while
  // the others create their sessions.
  constexpr int k_runs = 40;
  RunCase c;
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string out = c.dir.file("out-" + rt);
    std::filesystem::create_directory(out);
    std::string script = "for i in $(seq " + std::to_string(k_runs) +
                         "); do ( SIFKIT_STATE_DIR=" + shell_quote(c.state) + " " +
                         tool("sif-run") + " --runtime " + rt + " exec " + shell_quote(c.sif) +
                         " true </dev/null >/dev/null 2>" + out + "/err.$i; echo $? >" + out +
                         "/status.$i ) & done; wait; cat " + out + "/status.* | grep -cvx 0; cat " +
                         out + "/err.* | sort | uniq -c";
    auto r = run_command("{ " + script + "; }");
    INFO(r.out);
    CHECK(r.out.starts_with("0\n")); // runs that failed
    c.check_clean();
  }
}

TEST_CASE("the root filesystem is writable through a tmpfs that goes with the run, or read-only",
          "[run][cleanup][root]") {
  if (!can_run_containers_as_root("the clean-up tests need root")) {
    return;
  }
  TempDir dir;
  std::string sif = dir.file("image.sif");
  std::string state = dir.file("state");
  make_busybox_sif(sif);
  auto before = file_bytes(sif);
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto write = sif_run(state, "--runtime " + rt + " exec " + sif +
                                    " sh -c 'echo new > /opt/new; cat /opt/new'");
    INFO(write.err);
    CHECK(write.out == "new\n");
    auto again = sif_run(state, "--runtime " + rt + " exec " + sif +
                                    " sh -c 'test -e /opt/new && echo kept || echo gone'");
    CHECK(again.out == "gone\n");
    auto read_only =
        sif_run(state, "--runtime " + rt + " --read-only exec " + sif +
                           " sh -c 'touch /opt/x 2>/dev/null && echo wrote || echo refused'");
    INFO(read_only.err);
    CHECK(read_only.out == "refused\n");
  }
  CHECK(file_bytes(sif) == before);
  CHECK(run_leftovers(sif, state).empty());
}

TEST_CASE("a root run's mounts and scratch files are never the host's: no mount record, no "
          "layer or overlay directories in the state directory, and nothing left after",
          "[run][cleanup][root]") {
  if (!can_run_containers_as_root("the clean-up tests need root")) {
    return;
  }
  TempDir dir;
  std::string sif = dir.file("image.sif");
  std::string state = dir.file("state");
  make_busybox_sif(sif);
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string sleep = unique_sleep();
    auto started =
        run_command("SIFKIT_STATE_DIR=" + state + " " + tool("sif-run") + " --runtime " + rt +
                    " exec " + sif + " " + sleep + " </dev/null >/dev/null 2>&1 & echo $!");
    REQUIRE(started.exit_code == 0);
    int sif_run_pid = std::stoi(started.out);
    int container_pid = wait_for_process(sleep);
    REQUIRE(container_pid != 0);
    // The session as the host sees it while the container runs.
    check_session_holds_no_scratch(state);
    auto mounted = run_command("grep -c " + shell_quote(state) + " /proc/self/mountinfo");
    CHECK(mounted.out == "0\n");
    ::kill(container_pid, SIGKILL);
    CHECK(wait_until_gone(sif_run_pid));
    INFO(run_leftovers(sif, state));
    CHECK(wait_until_clean(sif, state));
  }
}
