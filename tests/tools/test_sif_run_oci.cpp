// `sif-run oci ...` through the binary with real conmon, crun and runc: a bundle mounted
// from an OCI-SIF, the container created, started, inspected, attached to, exec'd into,
// paused, killed and deleted, and nothing left behind.
#include <runtime/run_fixture.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <support/fixtures.h>
#include <tools/lifecycle_checks.h>

using namespace sifkit::test;

namespace {

bool can_run_oci() {
  if (!can_run_containers_as_root("the oci commands need root (as in SingularityCE)")) {
    return false;
  }
  if (run_command("command -v conmon").exit_code != 0) {
    SIFKIT_SKIP(program, "conmon (Debian's conmon package) is not installed");
    return false;
  }
  return true;
}

// One image, one bundle and one state directory.
struct OciCase : RunCase {
  std::string bundle = dir.file("bundle");
  // mount's config.json needs a command; each test replaces it.
  OciCase() : RunCase(R"({"Cmd":["/bin/sh"]})") {}

  CommandResult oci(const std::string& args) const { return sif_run(state, "oci " + args); }

  // Mounts the bundle and makes its process `sh -c SCRIPT`.
  void mount(const std::string& script) const {
    auto mounted = oci("mount " + sif + " " + bundle);
    INFO(mounted.err);
    REQUIRE(mounted.exit_code == 0);
    std::string config_path = bundle + "/config.json";
    auto config = nlohmann::json::parse(file_bytes(config_path));
    config["process"]["args"] = {"/bin/sh", "-c", script};
    std::ofstream(config_path) << config.dump(2);
  }

  nlohmann::json state_of(const std::string& id) const {
    auto r = oci("state " + id);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return nlohmann::json::parse(r.out);
  }

  // The status once it is `want`, or the last one seen after a bounded wait.
  std::string wait_status(const std::string& id, const std::string& want) const {
    std::string status;
    for (int i = 0; i < 200; ++i) {
      status = state_of(id).value("status", "");
      if (status == want) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return status;
  }

  // Waits (up to 10 s) until the container's log holds `text`; the log then.
  std::string wait_log(const std::string& id, const std::string& text) const {
    std::string path = state + "/oci/" + id + "/container.log";
    std::string log;
    for (int i = 0; i < 200; ++i) {
      log = std::filesystem::exists(path) ? file_bytes(path) : "";
      if (log.find(text) != std::string::npos) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return log;
  }

  // What the lifecycle left: mounts, loop devices, FUSE daemons, run sessions, conmon
  // processes, container records, the runtimes' own state.
  std::string leftovers() const {
    std::string out = settled_leftovers(sif, state);
    auto conmons = run_command("pgrep -a conmon");
    if (conmons.out.find(state) != std::string::npos) {
      out += "conmon: " + conmons.out;
    }
    for (const char* sub : {"/oci", "/runtime/crun", "/runtime/runc"}) {
      // Not -A: oci/.lock serialises creates and stays.
      auto listed = run_command("ls " + shell_quote(state + sub) + " 2>/dev/null");
      if (!listed.out.empty()) {
        out += state + sub + ": " + listed.out;
      }
    }
    return out;
  }
};

std::string real(const std::string& path) {
  return std::filesystem::canonical(path).string();
}

} // namespace

TEST_CASE("sif-run oci takes a container from created to running to stopped to deleted",
          "[oci][lifecycle][root]") {
  if (!can_run_oci()) {
    return;
  }
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    OciCase c;
    c.mount("trap 'exit 0' TERM; echo ready; while :; do sleep 1 & wait $!; done");
    auto created = c.oci("create --runtime " + rt + " -b " + c.bundle + " life1");
    INFO(created.err);
    REQUIRE(created.exit_code == 0);

    auto state = c.state_of("life1");
    CHECK(state.value("ociVersion", "") != "");
    CHECK(state.value("id", "") == "life1");
    CHECK(state.value("pid", 0) > 0);
    CHECK(state.value("status", "") == "created");
    CHECK(state.value("bundle", "") == real(c.bundle));
    CHECK(state.value("created", "") != "");

    auto started = c.oci("start life1");
    INFO(started.err);
    CHECK(started.exit_code == 0);
    CHECK(c.wait_status("life1", "running") == "running");
    // The shell ignores TERM (as the namespace's init) until its trap is set, before "ready".
    CHECK_THAT(c.wait_log("life1", "stdout F ready"), Catch::Contains("stdout F ready"));

    auto killed = c.oci("kill life1");
    INFO(killed.err);
    CHECK(killed.exit_code == 0);
    CHECK(c.wait_status("life1", "stopped") == "stopped");
    auto again = c.oci("kill life1 KILL");
    CHECK(again.exit_code == 7);
    CHECK_THAT(again.err, Catch::Contains("container life1 is stopped"));
    CHECK_THAT(file_bytes(c.state + "/oci/life1/container.log"), Catch::Contains("stdout F ready"));

    auto deleted = c.oci("delete life1");
    INFO(deleted.err);
    CHECK(deleted.exit_code == 0);
    auto gone = c.oci("state life1");
    CHECK(gone.exit_code == 3);
    CHECK_THAT(gone.err, Catch::Contains("no container life1"));

    auto unmounted = c.oci("umount " + c.bundle);
    INFO(unmounted.err);
    CHECK(unmounted.exit_code == 0);
    CHECK(c.leftovers() == "");
  }
}

TEST_CASE("sif-run oci exec runs a command inside the running container with its exit code",
          "[oci][lifecycle][root]") {
  if (!can_run_oci()) {
    return;
  }
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    OciCase c;
    c.mount("echo exec-target; while :; do sleep 1; done");
    std::string pid_file = c.dir.file("ex1.pid");
    REQUIRE(c.oci("create --runtime " + rt + " --pid-file " + pid_file + " -b " + c.bundle + " ex1")
                .exit_code == 0);
    CHECK(file_bytes(pid_file) == std::to_string(c.state_of("ex1").value("pid", 0)));
    REQUIRE(c.oci("start ex1").exit_code == 0);
    REQUIRE(c.wait_status("ex1", "running") == "running");

    auto inside = c.oci("exec ex1 /bin/cat /etc/hostname-marker /proc/1/cmdline");
    INFO(inside.err);
    CHECK(inside.exit_code == 0);
    CHECK_THAT(inside.out, Catch::StartsWith("image\n"));
    CHECK_THAT(inside.out, Catch::Contains("exec-target")); // pid 1 is the container's
    auto env = c.oci("exec --env EXTRA=yes --cwd /opt ex1 sh -c 'echo $EXTRA; pwd; exit 7'");
    CHECK(env.exit_code == 7);
    CHECK(env.out == "yes\n/opt\n");

    CHECK(c.oci("delete --force ex1").exit_code == 0);
    CHECK(c.oci("umount " + c.bundle).exit_code == 0);
    CHECK(c.leftovers() == "");
  }
}

TEST_CASE("sif-run oci attach passes stdin to the container and its output back",
          "[oci][lifecycle][root]") {
  if (!can_run_oci()) {
    return;
  }
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    OciCase c;
    c.mount("while read l; do echo echo:$l; echo err:$l >&2; [ \"$l\" = quit ] && exit 0; "
            "done");
    std::string log_path = c.dir.file("att1.log");
    REQUIRE(
        c.oci("create --runtime " + rt + " --log-path " + log_path + " -b " + c.bundle + " att1")
            .exit_code == 0);
    REQUIRE(c.oci("start att1").exit_code == 0);

    auto attached =
        run_command("printf 'hello\\nquit\\n' | SIFKIT_STATE_DIR=" + shell_quote(c.state) + " " +
                    tool("sif-run") + " oci attach att1");
    INFO(attached.err);
    CHECK(attached.exit_code == 0);
    CHECK(attached.out == "echo:hello\necho:quit\n");
    CHECK(attached.err == "err:hello\nerr:quit\n");
    CHECK(c.wait_status("att1", "stopped") == "stopped");
    std::string log = file_bytes(log_path);
    CHECK_THAT(log, Catch::Contains("stdout F echo:hello"));
    CHECK_THAT(log, Catch::Contains("stderr F err:quit"));

    auto late = c.oci("attach att1");
    CHECK(late.exit_code == 7);
    CHECK_THAT(late.err, Catch::Contains("no attach socket"));

    CHECK(c.oci("delete att1").exit_code == 0);
    CHECK(c.oci("umount " + c.bundle).exit_code == 0);
    CHECK(c.leftovers() == "");
  }
}

TEST_CASE("sif-run oci attach joins the container's terminal when config.json asks for one",
          "[oci][lifecycle][root]") {
  if (!can_run_oci()) {
    return;
  }
  if (run_command("command -v script").exit_code != 0) {
    SIFKIT_SKIP(program, "script (util-linux) is missing: attach needs a terminal of its own here");
    return;
  }
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    OciCase c;
    c.mount("read l; echo got:$l; tty");
    std::string config_path = c.bundle + "/config.json";
    auto config = nlohmann::json::parse(file_bytes(config_path));
    config["process"]["terminal"] = true;
    std::ofstream(config_path) << config.dump(2);
    REQUIRE(c.oci("create --runtime " + rt + " -b " + c.bundle + " tty1").exit_code == 0);
    REQUIRE(c.oci("start tty1").exit_code == 0);

    // script gives the attach a terminal; the line goes through the container's one.
    std::string attach =
        "SIFKIT_STATE_DIR=" + shell_quote(c.state) + " " + tool("sif-run") + " oci attach tty1";
    auto attached =
        run_command("printf 'hello\\n' | script -qfec " + shell_quote(attach) + " /dev/null");
    INFO(attached.err);
    CHECK(attached.exit_code == 0);
    CHECK_THAT(attached.out, Catch::Contains("got:hello\r\n"));
    CHECK_THAT(attached.out, Catch::Contains("/dev/pts/"));
    CHECK(c.wait_status("tty1", "stopped") == "stopped");

    CHECK(c.oci("delete tty1").exit_code == 0);
    CHECK(c.oci("umount " + c.bundle).exit_code == 0);
    CHECK(c.leftovers() == "");
  }
}

TEST_CASE("sif-run oci pause and resume freeze and thaw the container", "[oci][lifecycle][root]") {
  if (!can_run_oci()) {
    return;
  }
  bool v1_freezer = std::filesystem::exists("/sys/fs/cgroup/freezer/freezer.state") ||
                    std::filesystem::exists("/sys/fs/cgroup/freezer/tasks");
  bool v2_freeze = std::filesystem::exists("/sys/fs/cgroup/cgroup.subtree_control") &&
                   !std::filesystem::exists("/sys/fs/cgroup/freezer");
  if (!v1_freezer && !v2_freeze) {
    SIFKIT_SKIP(host, "no freezer cgroup (v1 freezer or cgroup v2) on this host");
    return;
  }
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    OciCase c;
    c.mount("while :; do sleep 1; done");
    REQUIRE(c.oci("create --runtime " + rt + " -b " + c.bundle + " frz1").exit_code == 0);
    REQUIRE(c.oci("start frz1").exit_code == 0);
    auto paused = c.oci("pause frz1");
    INFO(paused.err);
    CHECK(paused.exit_code == 0);
    // A v1 freezer goes through FREEZING: crun says "running" until it is FROZEN.
    CHECK(c.wait_status("frz1", "paused") == "paused");
    auto resumed = c.oci("resume frz1");
    INFO(resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK(c.wait_status("frz1", "running") == "running");
    CHECK(c.oci("delete --force frz1").exit_code == 0);
    CHECK(c.oci("umount " + c.bundle).exit_code == 0);
    CHECK(c.leftovers() == "");
  }
}

TEST_CASE("sif-run oci reports unknown ids as not found and taken ids or busy bundles as conflicts",
          "[oci][lifecycle][root]") {
  if (!can_run_oci()) {
    return;
  }
  auto runtimes = usable_runtimes();
  if (runtimes.empty()) {
    return;
  }
  OciCase c;
  for (const char* verb : {"state", "start", "kill", "delete", "pause", "attach"}) {
    INFO(verb);
    auto r = c.oci(std::string(verb) + " nosuch");
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("no container nosuch"));
  }
  auto missing = c.oci("create -b " + c.dir.file("nobundle") + " x1");
  CHECK(missing.exit_code == 3);
  CHECK(c.oci("create -b " + c.bundle + " ../escape").exit_code == 2);

  c.mount("while :; do sleep 1; done");
  std::string create = "create --runtime " + runtimes[0] + " -b " + c.bundle + " ";
  REQUIRE(c.oci(create + "err1").exit_code == 0);
  auto taken = c.oci(create + "err1");
  CHECK(taken.exit_code == 7);
  CHECK_THAT(taken.err, Catch::Contains("err1 already exists"));
  auto busy = c.oci(create + "err2");
  CHECK(busy.exit_code == 7);
  CHECK_THAT(busy.err, Catch::Contains("in use by container err1"));
  auto bad_signal = c.oci("kill err1 NOSUCHSIG");
  CHECK(bad_signal.exit_code == 2);
  REQUIRE(c.oci("start err1").exit_code == 0);
  auto running = c.oci("delete err1");
  CHECK(running.exit_code == 7);
  CHECK_THAT(running.err, Catch::Contains("is running"));
  auto in_use = c.oci("umount " + c.bundle);
  CHECK(in_use.exit_code == 7);

  CHECK(c.oci("delete --force err1").exit_code == 0);
  CHECK(c.oci("umount " + c.bundle).exit_code == 0);
  CHECK(c.leftovers() == "");
}
