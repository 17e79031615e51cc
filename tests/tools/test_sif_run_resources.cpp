// sif-run's resource limits with real crun and runc: the limits read back inside the
// container (its read-only /sys/fs/cgroup) and from the host while it runs, a pids limit
// that stops forks, --apply-cgroups files in TOML and JSON, and no cgroup left behind.
#include <runtime/cgroup/cgroup.h>
#include <runtime/run_fixture.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "runtime/account_fixture.h"
#include <catch2/catch.hpp>
#include <support/fixtures.h>

using namespace sifkit;
using namespace sifkit::test;

namespace {

runtime::CgroupInfo host_cgroups() {
  auto info = runtime::detect_cgroups();
  REQUIRE(info);
  return *info;
}

// True when the memory controller is a v1 hierarchy here (legacy or hybrid hosts).
bool memory_on_v1(const runtime::CgroupInfo& info) {
  for (const auto& mount : info.v1_mounts) {
    if (std::filesystem::exists(mount + "/memory.limit_in_bytes")) {
      return true;
    }
  }
  return false;
}

// A shell fragment printing the container's own limits in one line, from the v1 files
// (each controller's hierarchy holds the container's cgroup at its root) or the v2 ones.
const std::string k_print_limits =
    "c=/sys/fs/cgroup; if [ -e $c/memory/memory.limit_in_bytes ]; then "
    "echo memory=$(cat $c/memory/memory.limit_in_bytes) pids=$(cat $c/pids/pids.max) "
    "cpu=\"$(cat $c/cpu/cpu.cfs_quota_us) $(cat $c/cpu/cpu.cfs_period_us)\" "
    "shares=$(cat $c/cpu/cpu.shares); else "
    "echo memory=$(cat $c/memory.max) pids=$(cat $c/pids.max) cpu=\"$(cat $c/cpu.max)\" "
    "shares=$(cat $c/cpu.weight); fi; grep Cpus_allowed_list /proc/self/status; "
    "grep memory /proc/self/cgroup || cat /proc/self/cgroup";

// One image, one state directory and a directory shared with the container.
struct ResourceCase : RunCase {
  std::string shared = dir.file("shared");
  ResourceCase() { std::filesystem::create_directory(shared); }
  // The id of the one run in the state directory; empty when there is none.
  std::string running_id() const {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(state + "/runs", ec)) {
      return entry.path().filename().string();
    }
    return "";
  }
  // Runs sif-run as run() does, through `exec` from a shell that first prints its pid:
  // sif-run's pid, which names its container ("sifkit-<pid>-<random>"). The pid is
  // returned in `pid`, and taken off the output.
  CommandResult run_with_pid(const std::string& runtime, const std::string& args,
                             std::string& pid) const {
    auto r = run_command("SIFKIT_STATE_DIR=" + shell_quote(state) +
                         " sh -c 'echo $$; exec \"$0\" \"$@\"' " + tool("sif-run") + " --runtime " +
                         runtime + " " + args + " </dev/null");
    auto newline = r.out.find('\n');
    pid = r.out.substr(0, newline);
    r.out.erase(0, newline == std::string::npos ? r.out.size() : newline + 1);
    return r;
  }
  // Nothing of the runs is left: mounts, loop devices, FUSE daemons, sessions.
  using RunCase::check_clean;
  // That, and no cgroup of a container of sif-run `pid` is left in any hierarchy.
  void check_clean_pid(const std::string& pid) const {
    check_clean();
    REQUIRE_FALSE(pid.empty());
    auto info = host_cgroups();
    std::vector<std::string> mounts = info.v1_mounts;
    if (!info.v2_mount.empty()) {
      mounts.push_back(info.v2_mount);
    }
    for (const auto& mount : mounts) {
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(mount + "/sifkit", ec)) {
        CHECK_FALSE(entry.path().filename().string().starts_with("sifkit-" + pid + "-"));
      }
    }
  }
  // That, and the cgroup of container `id` is gone from every hierarchy.
  void check_clean(const std::string& id) const {
    check_clean();
    REQUIRE_FALSE(id.empty());
    INFO("cgroup " << runtime::container_cgroups_path(id));
    CHECK(
        runtime::existing_cgroup_dirs(host_cgroups(), runtime::container_cgroups_path(id)).empty());
  }
};

// The container id in the "...:/sifkit/<id>" line a container printed from
// /proc/self/cgroup; empty when there is none.
std::string cgroup_id(const std::string& out) {
  auto at = out.find(":/sifkit/");
  if (at == std::string::npos) {
    return "";
  }
  at += std::string(":/sifkit/").size();
  return out.substr(at, out.find('\n', at) - at);
}

// Creates `path` when it goes out of scope, so that a waiting container always ends.
struct ReleaseOnExit {
  std::string path;
  ~ReleaseOnExit() { std::ofstream(path) << "go\n"; }
};

} // namespace

TEST_CASE("sif-run applies --memory --pids-limit --cpus --cpuset-cpus --cpu-shares, seen inside "
          "the container and on the host",
          "[resources][sif-run]") {
  if (!can_run_containers_as_root("limits need root (the unprivileged refusal has its own test)")) {
    return;
  }
  ResourceCase c;
  auto info = host_cgroups();
  bool v1 = memory_on_v1(info);
  std::string flags = "--memory 64M --pids-limit 50 --cpus 0.5 --cpuset-cpus 0 --cpu-shares 512";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string ready = c.shared + "/ready-" + rt;
    std::string go = c.shared + "/go-" + rt;
    // The container says it is up, waits for the host to look, then prints its limits.
    std::string script = "touch /shared/ready-" + rt + "; while [ ! -e /shared/go-" + rt +
                         " ]; do sleep 0.1; done; " + k_print_limits;
    auto run = std::async(std::launch::async, [&] {
      return c.run(rt, "exec " + flags + " --bind " + c.shared + ":/shared " + c.sif + " sh -c " +
                           shell_quote(script));
    });
    std::string id;
    {
      ReleaseOnExit release{go};
      for (int i = 0; i < 600 && !std::filesystem::exists(ready); ++i) {
        if (run.wait_for(std::chrono::milliseconds(100)) == std::future_status::ready) {
          break;
        }
      }
      REQUIRE(std::filesystem::exists(ready));
      id = c.running_id();
      REQUIRE_FALSE(id.empty());
      auto limits = runtime::read_cgroup_limits(info, runtime::container_cgroups_path(id));
      REQUIRE(limits);
      CHECK(limits->memory_limit == 64 << 20);
      CHECK(limits->pids_limit == 50);
      CHECK(limits->cpu_quota == 50000);
      CHECK(limits->cpu_period == 100000);
      CHECK(limits->cpuset_cpus == "0");
      CHECK(limits->cpu_shares == (v1 ? 512 : 20));
    }
    auto r = run.get();
    INFO(r.err);
    CHECK(r.exit_code == 0);
    // cpu.weight on v2 is the runtimes' conversion of the shares.
    CHECK_THAT(r.out, Catch::StartsWith("memory=67108864 pids=50 cpu=50000 100000 shares=" +
                                        std::string(v1 ? "512" : "20") + "\n"));
    CHECK_THAT(r.out, Catch::Contains("Cpus_allowed_list:\t0\n"));
    // The container's cgroup is the one named after the run.
    CHECK_THAT(r.out, Catch::Contains(":/sifkit/" + id + "\n"));
    c.check_clean(id);
  }
}

TEST_CASE("sif-run's pids limit stops the container's forks", "[resources][sif-run][root]") {
  if (!can_run_containers_as_root("limits need root (the unprivileged refusal has its own test)")) {
    return;
  }
  ResourceCase c;
  std::string ten_sleeps =
      " sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1 & done; echo all-started; wait'";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string pid;
    auto limited = c.run_with_pid(rt, "exec --pids-limit 5 " + c.sif + ten_sleeps, pid);
    INFO(limited.err);
    c.check_clean_pid(pid);
    CHECK(limited.exit_code != 0);
    CHECK(limited.out == "");
    CHECK_THAT(limited.err, Catch::Contains("can't fork"));
    auto roomy = c.run(rt, "exec --pids-limit 50 " + c.sif + ten_sleeps);
    INFO(roomy.err);
    CHECK(roomy.exit_code == 0);
    CHECK(roomy.out == "all-started\n");
    auto unlimited =
        c.run(rt, "exec --pids-limit -1 " + c.sif + " cat /sys/fs/cgroup/pids/pids.max");
    INFO(unlimited.err);
    CHECK(unlimited.out == "max\n");
  }
  c.check_clean();
}

TEST_CASE("sif-run's memory limit kills a process that goes over it",
          "[resources][sif-run][root]") {
  if (!can_run_containers_as_root("limits need root (the unprivileged refusal has its own test)")) {
    return;
  }
  ResourceCase c;
  // dd allocates its 64 MiB block at once; swap is capped too so nothing spills there.
  std::string big_block = " sh -c 'dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; "
                          "echo dd=$?; grep pids: /proc/self/cgroup'";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto small = c.run(rt, "exec --memory 16M --memory-swap 16M " + c.sif + big_block);
    INFO(small.err);
    CHECK(small.exit_code == 0);
    CHECK_THAT(small.out, Catch::StartsWith("dd=137\n")); // SIGKILL from the OOM killer
    c.check_clean(cgroup_id(small.out));
    auto large = c.run(rt, "exec --memory 256M --memory-swap 256M " + c.sif + big_block);
    INFO(large.err);
    CHECK_THAT(large.out, Catch::StartsWith("dd=0\n"));
    c.check_clean(cgroup_id(large.out));
  }
}

TEST_CASE("sif-run --apply-cgroups takes SingularityCE's TOML and the OCI JSON",
          "[resources][sif-run][root]") {
  if (!can_run_containers_as_root("limits need root (the unprivileged refusal has its own test)")) {
    return;
  }
  ResourceCase c;
  if (!memory_on_v1(host_cgroups())) {
    SIFKIT_SKIP(host, "the checks read cgroup v1 files; this host's memory controller is on v2");
    return;
  }
  std::ofstream(c.dir.file("limits.toml")) << "[memory]\n    limit = 33554432\n"
                                              "[pids]\n    limit = 40\n"
                                              "[cpu]\n    shares = 256\n";
  std::ofstream(c.dir.file("limits.json"))
      << R"({"memory": {"limit": 50331648, "swap": 50331648}, "cpu": {"quota": 25000,
            "period": 100000}, "pids": {"limit": 30}})";
  std::string show = " sh -c 'cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes pids/pids.max "
                     "cpu/cpu.shares cpu/cpu.cfs_quota_us; grep pids: /proc/self/cgroup'";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto toml = c.run(rt, "exec --apply-cgroups " + c.dir.file("limits.toml") + " " + c.sif + show);
    INFO(toml.err);
    CHECK(toml.exit_code == 0);
    CHECK_THAT(toml.out, Catch::StartsWith("33554432\n40\n256\n-1\n"));
    c.check_clean(cgroup_id(toml.out));
    auto json = c.run(rt, "exec --apply-cgroups " + c.dir.file("limits.json") + " " + c.sif + show);
    INFO(json.err);
    CHECK(json.exit_code == 0);
    CHECK_THAT(json.out, Catch::StartsWith("50331648\n30\n1024\n25000\n"));
    c.check_clean(cgroup_id(json.out));
  }
}

TEST_CASE("the cgroup of a container whose sif-run was killed outright goes with the next run's "
          "sweep",
          "[resources][sif-run]") {
  if (!can_run_containers_as_root("limits need root (the unprivileged refusal has its own test)")) {
    return;
  }
  ResourceCase c;
  auto info = host_cgroups();
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string up = c.shared + "/up-" + rt;
    // In a subshell: run_command redirects the output of the command line's last part only.
    auto killed = run_command(
        "(SIFKIT_STATE_DIR=" + shell_quote(c.state) + " " + tool("sif-run") + " --runtime " + rt +
        " exec --memory 32M --bind " + c.shared + ":/shared " + c.sif +
        " sh -c 'touch /shared/up-" + rt + "; sleep 100' </dev/null >/dev/null 2>&1 & pid=$!; " +
        "for i in $(seq 600); do test -e " + up + " && break; sleep 0.1; done; ls " + c.state +
        "/runs; kill -KILL $pid; wait $pid)");
    INFO("killed run: " << killed.out << killed.err);
    std::string id = killed.out.substr(0, killed.out.find('\n'));
    std::string path = runtime::container_cgroups_path(id);
    // The container outlives its sif-run, in its cgroup, until a later run sweeps it (the
    // sweep runs before any check, so that a failed check leaves no container behind).
    bool had_cgroup = !id.empty() && !runtime::existing_cgroup_dirs(info, path).empty();
    auto next = c.run(rt, "exec " + c.sif + " true");
    INFO(next.err);
    CHECK(next.exit_code == 0);
    REQUIRE_FALSE(id.empty());
    INFO("cgroup " << path);
    CHECK(had_cgroup);
    c.check_clean(id);
  }
}

TEST_CASE("sif-run refuses bad limits with a usage error before starting anything",
          "[resources][sif-run]") {
  TempDir dir;
  std::string state = dir.file("state");
  std::ofstream(dir.file("typo.toml")) << "[memory]\nlimt = 1\n";
  const std::pair<std::string, std::string> cases[] = {
      {"--memory 12Q", "--memory '12Q' is not a size"},
      {"--cpus 0", "--cpus 0 is outside 0.01.."},
      {"--cpus 100000", "is outside 0.01.."},
      {"--blkio-weight 5", "--blkio-weight"},
      {"--blkio-weight-device /dev/null:100", "/dev/null is not a block device"},
      {"--memory-swap 1G", "needs --memory"},
      {"--apply-cgroups " + dir.file("typo.toml"), "unknown key 'memory.limt'"},
      {"--apply-cgroups " + dir.file("missing.toml"), "missing.toml"},
      {"--apply-cgroups " + dir.file("typo.toml") + " --memory 1G", "cannot be combined"},
  };
  for (const auto& [flags, message] : cases) {
    INFO(flags);
    auto r = sif_run(state, "exec " + flags + " /no/such/image.sif true");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(message));
  }
}

TEST_CASE("sif-run's blkio weight reaches the cgroup, or the runtime says why not",
          "[resources][sif-run][root]") {
  if (!can_run_containers_as_root("limits need root (the unprivileged refusal has its own test)")) {
    return;
  }
  ResourceCase c;
  // v1 with CFQ: blkio.weight; v1 with BFQ: blkio.bfq.weight; v2: io.weight / io.bfq.weight.
  std::string show = " sh -c 'cd /sys/fs/cgroup; for f in blkio/blkio.weight "
                     "blkio/blkio.bfq.weight io.weight io.bfq.weight; do "
                     "test -e $f && echo $f $(cat $f) && exit; done; echo none'";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string pid;
    auto r = c.run_with_pid(rt, "exec --blkio-weight 300 " + c.sif + show, pid);
    INFO(r.err);
    // Whether the container ran or the runtime gave up, its cgroup is gone.
    c.check_clean_pid(pid);
    if (r.exit_code != 0 && rt == "crun" && r.err.find("blkio.weight") != std::string::npos) {
      // crun 1.8 writes only blkio.weight, which a kernel with BFQ alone lacks.
      SIFKIT_SKIP(host, "crun cannot set the blkio weight here: /sys/fs/cgroup/blkio/blkio.weight "
                        "is missing (BFQ only, blkio.bfq.weight): "
                            << r.err);
      continue;
    }
    if (r.out == "none\n") {
      SIFKIT_SKIP(host, "the container has no blkio.weight, blkio.bfq.weight or io.weight file");
      continue;
    }
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::EndsWith(" 300\n"));
  }
  c.check_clean();
}

TEST_CASE("sif-run applies --memory-reservation --memory-swap --oom-kill-disable --cpuset-mems, "
          "seen inside the container",
          "[resources][sif-run]") {
  if (!can_run_containers_as_root("limits need root (the unprivileged refusal has its own test)")) {
    return;
  }
  ResourceCase c;
  std::string flags = "--memory 128M --memory-reservation 32M --memory-swap 256M "
                      "--oom-kill-disable --cpuset-mems 0";
  // v1: the soft limit, memory+swap, the OOM killer switch; v2: memory.low and the swap
  // alone (memory-swap minus memory); v2 has no switch for the OOM killer.
  std::string show =
      " sh -c 'c=/sys/fs/cgroup; if [ -e $c/memory/memory.soft_limit_in_bytes ]; then "
      "echo v1 $(cat $c/memory/memory.soft_limit_in_bytes) "
      "$(cat $c/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo no-swap-accounting) "
      "$(grep oom_kill_disable $c/memory/memory.oom_control) $(cat $c/cpuset/cpuset.mems); "
      "else echo v2 $(cat $c/memory.low) $(cat $c/memory.swap.max) $(cat $c/cpuset.mems); fi'";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string pid;
    auto r = c.run_with_pid(rt, "exec " + flags + " " + c.sif + show, pid);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    if (r.out.find("no-swap-accounting") != std::string::npos) {
      SIFKIT_SKIP(host,
                  "the swap limit check (no memory.memsw.limit_in_bytes: swap accounting off)");
      CHECK(r.out == "v1 33554432 no-swap-accounting oom_kill_disable 1 0\n");
    } else if (r.out.starts_with("v1")) {
      CHECK(r.out == "v1 33554432 268435456 oom_kill_disable 1 0\n");
    } else {
      CHECK(r.out == "v2 33554432 134217728 0\n");
    }
    c.check_clean_pid(pid);
  }
}

TEST_CASE("sif-run's blkio weight for a device reaches the cgroup, or the runtime says why not",
          "[resources][sif-run][root]") {
  if (!can_run_containers_as_root("limits need root (the unprivileged refusal has its own test)")) {
    return;
  }
  // A block device of this machine (not a loop device other runs use), and its major:minor.
  std::string device, numbers;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/block", ec)) {
    std::string name = entry.path().filename().string();
    std::string node = "/dev/" + name;
    if (!name.starts_with("loop") && std::filesystem::is_block_file(node)) {
      device = node;
      numbers = run_command("cat " + shell_quote(entry.path().string() + "/dev")).out;
      numbers = numbers.substr(0, numbers.find('\n'));
      break;
    }
  }
  if (device.empty()) {
    SIFKIT_SKIP(host, "no block device under /sys/block with a node in /dev");
    return;
  }
  ResourceCase c;
  std::string show = " sh -c 'cd /sys/fs/cgroup; for f in blkio/blkio.bfq.weight_device "
                     "blkio/blkio.weight_device io.bfq.weight io.weight; do "
                     "test -e $f && cat $f && exit; done; echo none'";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt << ", device " << device << " " << numbers);
    std::string pid;
    auto r =
        c.run_with_pid(rt, "exec --blkio-weight-device " + device + ":300 " + c.sif + show, pid);
    INFO(r.err);
    c.check_clean_pid(pid);
    if (r.exit_code != 0) {
      // The device's I/O scheduler has no per-device weights (BFQ only): the runtime
      // fails writing the file, which shows the weight reached it.
      CHECK(r.exit_code == 5);
      CHECK_THAT(r.err, Catch::Contains("weight_device"));
      SIFKIT_SKIP(host, "the per-device weight is not supported by "
                            << device << "'s I/O scheduler: " << r.err);
      continue;
    }
    CHECK_THAT(r.out, Catch::Contains(numbers + " 300"));
  }
  c.check_clean();
}

TEST_CASE("sif-run from a plain account refuses limits it cannot apply",
          "[resources][sif-run][root]") {
  if (!can_run_as_account("sifkit-test")) {
    return;
  }
  AccountRun c(*find_account("sifkit-test"), "{}");
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r = c.run(rt, "exec --memory 64M " + c.sif + " true");
    CHECK(r.exit_code == 6); // unsupported
    CHECK_THAT(r.err, Catch::Contains("rootless"));
    auto plain = c.run(rt, "exec " + c.sif + " true");
    INFO(plain.err);
    CHECK(plain.exit_code == 0);
    CHECK(c.leftovers().empty());
  }
}
