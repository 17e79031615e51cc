// `sif-run instance ...` and `sif-run exec instance://NAME` through the binary with real
// crun and runc: background containers that outlive the command that started them, seen
// from inside with exec, their logs, and stopping them without leftovers.
#include <runtime/account_fixture.h>
#include <runtime/run_fixture.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <support/fixtures.h>
#include <support/processes.h>
#include <tools/lifecycle_checks.h>

using namespace sifkit::test;

namespace {

struct InstanceCase : RunCase {
  // `sif-run ARGS` (no --runtime: the instance commands take it where they need it).
  CommandResult run(const std::string& args) const { return sif_run(state, args); }

  // The instance named `name` in `instance list --json`; null when not listed.
  nlohmann::json listed(const std::string& name) const {
    auto r = run("instance list --json");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto list = nlohmann::json::parse(r.out);
    REQUIRE(list.is_array());
    for (const auto& entry : list) {
      if (entry.value("name", "") == name) {
        return entry;
      }
    }
    return nullptr;
  }

  // What stopped instances left (loop devices are released asynchronously).
  std::string leftovers() const { return settled_leftovers(sif, state); }

  std::string log(const std::string& name, const std::string& file) const {
    return file_bytes(state + "/instances/" + name + "/" + file);
  }
};

} // namespace

TEST_CASE("sif-run instance runs a container in the background until it is stopped",
          "[instance][root]") {
  if (!can_run_containers_as_root("the instance tests run as root (as the run tests do)")) {
    return;
  }
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    InstanceCase c;
    // The starting command runs in a shell that exits at once; sif_run's pipes would
    // never close if the instance kept them.
    auto started = c.run("instance start --runtime " + rt + " --hostname inst-host " + c.sif +
                         " web1 sh -c 'echo instance-output; echo instance-error >&2; "
                         "exec sleep 1000'");
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    CHECK(started.out == "web1\n");

    auto entry = c.listed("web1");
    REQUIRE(entry.is_object());
    CHECK(entry.value("status", "") == "running");
    CHECK(entry.value("pid", 0) > 0);
    CHECK(entry.value("image", "") == std::filesystem::canonical(c.sif).string());
    CHECK(entry.value("runtime", "") == rt);
    auto text = c.run("instance list");
    CHECK_THAT(text.out, Catch::Contains("web1"));

    auto inside = c.run("exec instance://web1 sh -c 'hostname; cat /proc/1/cmdline; echo'");
    INFO(inside.err);
    CHECK(inside.exit_code == 0);
    CHECK(inside.out == std::string("inst-host\nsleep") + '\0' + "1000" + '\0' + "\n");
    auto code = c.run("exec --env FROM_EXEC=1 instance://web1 sh -c 'echo $FROM_EXEC; exit 9'");
    CHECK(code.exit_code == 9);
    CHECK(code.out == "1\n");

    CHECK_THAT(c.log("web1", "out.log"), Catch::Contains("instance-output"));
    CHECK_THAT(c.log("web1", "err.log"), Catch::Contains("instance-error"));

    auto stopped = c.run("instance stop -t 1 web1");
    INFO(stopped.err);
    CHECK(stopped.exit_code == 0);
    CHECK(c.listed("web1").is_null());
    CHECK_FALSE(std::filesystem::exists(c.state + "/instances/web1/instance.json"));
    auto after = c.run("exec instance://web1 true");
    CHECK(after.exit_code == 3);
    CHECK(c.leftovers() == "");
  }
}

TEST_CASE("sif-run instance stop --all stops every instance", "[instance][root]") {
  if (!can_run_containers_as_root("the instance tests run as root (as the run tests do)")) {
    return;
  }
  auto runtimes = usable_runtimes();
  if (runtimes.empty()) {
    return;
  }
  InstanceCase c;
  for (const char* name : {"all1", "all2"}) {
    auto started = c.run("instance start --runtime " + runtimes.back() + " " + c.sif + " " + name +
                         " sh -c 'trap \"exit 0\" TERM; while :; do sleep 1; done'");
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
  }
  CHECK(c.listed("all1").is_object());
  CHECK(c.listed("all2").is_object());
  auto stopped = c.run("instance stop --all");
  INFO(stopped.err);
  CHECK(stopped.exit_code == 0);
  auto list = c.run("instance list --json");
  CHECK(nlohmann::json::parse(list.out).empty());
  CHECK(c.leftovers() == "");
}

TEST_CASE("sif-run instance refuses a running name and reports unknown and bad names",
          "[instance][root]") {
  if (!can_run_containers_as_root("the instance tests run as root (as the run tests do)")) {
    return;
  }
  auto runtimes = usable_runtimes();
  if (runtimes.empty()) {
    return;
  }
  InstanceCase c;
  std::string start = "instance start --runtime " + runtimes.back() + " " + c.sif + " ";
  REQUIRE(c.run(start + "dup1 sleep 1000").exit_code == 0);
  auto again = c.run(start + "dup1 sleep 1000");
  CHECK(again.exit_code == 7);
  CHECK_THAT(again.err, Catch::Contains("dup1 is already running"));

  auto unknown = c.run("instance stop nosuch");
  CHECK(unknown.exit_code == 3);
  CHECK_THAT(unknown.err, Catch::Contains("no running instance nosuch"));
  CHECK(c.run("exec instance://nosuch true").exit_code == 3);
  CHECK(c.run(start + "'bad/name' true").exit_code == 2);
  auto failing = c.run(start + "fails1 /no/such/program");
  CHECK(failing.exit_code != 0);
  CHECK_THAT(failing.err, Catch::Contains("/no/such/program"));
  CHECK(c.listed("fails1").is_null());

  CHECK(c.run("instance stop -t 1 dup1").exit_code == 0);
  CHECK(c.leftovers() == "");
}

TEST_CASE("sif-run instance list forgets an instance whose supervisor was killed and cleans up "
          "after it",
          "[instance]") {
  if (!can_run_containers_as_root("the instance tests run as root (as the run tests do)")) {
    return;
  }
  auto runtimes = usable_runtimes();
  if (runtimes.empty()) {
    return;
  }
  InstanceCase c;
  auto started =
      c.run("instance start --runtime " + runtimes.front() + " " + c.sif + " killed1 sleep 1000");
  INFO(started.err);
  REQUIRE(started.exit_code == 0);
  auto entry = c.listed("killed1");
  REQUIRE(entry.is_object());
  int supervisor = entry.value("supervisor_pid", 0);
  REQUIRE(supervisor > 0);
  REQUIRE(::kill(supervisor, SIGKILL) == 0);
  // The supervisor is not our child: its lock goes when it exits, before anyone reaps it.
  REQUIRE(wait_until_gone(supervisor));
  CHECK(c.listed("killed1").is_null());
  CHECK_FALSE(std::filesystem::exists(c.state + "/instances/killed1/instance.json"));
  CHECK(c.leftovers() == "");
  auto again =
      c.run("instance start --runtime " + runtimes.front() + " " + c.sif + " killed1 sleep 1000");
  CHECK(again.exit_code == 0);
  CHECK(c.run("instance stop -t 1 killed1").exit_code == 0);
  CHECK(c.leftovers() == "");
}

TEST_CASE("a plain account runs an instance and execs into it", "[instance][root]") {
  if (!can_run_as_account("sifkit-test")) {
    return;
  }
  AccountRun c(*find_account("sifkit-test"), R"({"Cmd":["/bin/sleep","1000"]})");
  auto as_user = [&c](const std::string& args) {
    return run_command("env -u XDG_RUNTIME_DIR HOME=" + shell_quote(c.home) +
                       " SIFKIT_STATE_DIR=" + shell_quote(c.state) + " " + as_account(c.account) +
                       shell_quote(tool("sif-run")) + " " + args + " </dev/null");
  };
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto started = as_user("instance start --runtime " + rt + " " + c.sif + " user1");
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    // The runtime reaches the container only from the supervisor's user namespace.
    auto inside = as_user("exec instance://user1 sh -c 'id -u; cat /proc/1/cmdline; exit 4'");
    INFO(inside.err);
    CHECK(inside.exit_code == 4);
    CHECK(inside.out == std::to_string(c.account.uid) + "\n/bin/sleep" + '\0' + "1000" + '\0');
    auto stopped = as_user("instance stop -t 1 user1");
    INFO(stopped.err);
    CHECK(stopped.exit_code == 0);
    CHECK(settled_leftovers(c.sif, c.state) == "");
  }
}
