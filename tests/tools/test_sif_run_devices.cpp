// sif-run with devices, through its binary with real crun and runc: a CDI device written
// by the test (device nodes, env, a mount, hooks) seen from inside the container and its
// hooks' effects on the host; unknown devices; --nv and --rocm on a host without a GPU.
#include <runtime/run_fixture.h>

#include <filesystem>
#include <fstream>

#include "runtime/account_fixture.h"
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <support/fixtures.h>

using namespace sifkit::test;

namespace {

struct DeviceCase : RunCase {
  std::string cdi = dir.file("cdi");
  using RunCase::run;
  // With `env` (VAR=value words) before sif-run.
  CommandResult run(const std::string& runtime, const std::string& args,
                    const std::string& env) const {
    return run_command(env + " SIFKIT_STATE_DIR=" + shell_quote(state) + " " + tool("sif-run") +
                       " --runtime " + runtime + " " + args + " </dev/null");
  }
};

// A spec exposing /dev/null as /dev/cdi-null and /dev/zero, an env var at spec and device
// level, a read-only bind of `share`, and hooks that leave marker files in `markers`.
std::string device_spec(const std::string& share, const std::string& markers) {
  return fmt::format(R"({{
    "cdiVersion": "0.6.0", "kind": "sifkit.test/dev",
    "containerEdits": {{"env": ["CDI_SPEC=spec-level"]}},
    "devices": [{{"name": "null", "containerEdits": {{
      "deviceNodes": [{{"path": "/dev/cdi-null", "hostPath": "/dev/null"}}, {{"path": "/dev/zero"}}],
      "env": ["CDI_VAR=hello"],
      "mounts": [{{"hostPath": "{0}", "containerPath": "/cdi-share", "options": ["ro", "bind"]}}],
      "hooks": [
        {{"hookName": "createRuntime", "path": "/bin/sh",
          "args": ["sh", "-c", "echo created > {1}/created"]}},
        {{"hookName": "poststop", "path": "/bin/sh",
          "args": ["sh", "-c", "echo stopped > {1}/stopped"]}}]}}}}]
  }})",
                     share, markers);
}

} // namespace

TEST_CASE("sif-run --device applies a CDI spec's nodes, env, mounts and hooks",
          "[devices][sif-run][root]") {
  if (!can_run_containers_as_root("the device run tests need root (device nodes and hooks)")) {
    return;
  }
  DeviceCase c;
  std::string share = c.dir.file("share"), markers = c.dir.file("markers");
  std::filesystem::create_directories(share);
  std::filesystem::create_directories(markers);
  std::ofstream(share + "/file") << "shared from host\n";
  std::filesystem::create_directories(c.cdi);
  std::ofstream(c.cdi + "/test.json") << device_spec(share, markers);
  const std::string inside = "ls -l /dev/cdi-null | cut -c1; stat -c '%t,%T' /dev/cdi-null; "
                             "head -c 3 /dev/zero | od -An -tx1; echo $CDI_VAR $CDI_SPEC; "
                             "cat /cdi-share/file";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::filesystem::remove(markers + "/created");
    std::filesystem::remove(markers + "/stopped");
    auto r = c.run(rt, "--device sifkit.test/dev=null --cdi-dirs " + c.cdi + " " + c.sif +
                           " sh -c " + shell_quote(inside));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "c\n1,3\n 00 00 00\nhello spec-level\nshared from host\n");
    CHECK(std::filesystem::exists(markers + "/created"));
    CHECK(file_bytes(markers + "/stopped") == "stopped\n");
  }
  c.check_clean();
}

TEST_CASE("sif-run --device with an unknown or malformed device fails naming it",
          "[devices][sif-run][root]") {
  if (!can_run_containers_as_root("the device run tests need root (device nodes and hooks)")) {
    return;
  }
  DeviceCase c;
  std::filesystem::create_directories(c.cdi);
  std::ofstream(c.cdi + "/test.json") << device_spec(c.dir.file("share"), c.dir.file("m"));
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto unknown = c.run(rt, "--device sifkit.test/dev=null,sifkit.test/dev=nope --cdi-dirs " +
                                 c.cdi + " " + c.sif + " true");
    CHECK(unknown.exit_code == 3);
    CHECK_THAT(unknown.err, Catch::Contains("sifkit.test/dev=nope"));
    CHECK_THAT(unknown.err, Catch::Contains(c.cdi));
    auto malformed = c.run(rt, "--device gpu0 " + c.sif + " true");
    CHECK(malformed.exit_code == 2);
    CHECK_THAT(malformed.err, Catch::Contains("gpu0"));
  }
  c.check_clean();
}

TEST_CASE("sif-run --nv and --rocm without a GPU warn and run, SIFKIT_CONTAINLIBS unchanged",
          "[devices][sif-run][root]") {
  if (!can_run_containers_as_root("the device run tests need root (device nodes and hooks)")) {
    return;
  }
  if (std::filesystem::exists("/dev/nvidia0") || std::filesystem::exists("/dev/kfd")) {
    SIFKIT_SKIP(host, "this host has a GPU");
    return;
  }
  DeviceCase c;
  std::ofstream(c.dir.file("libfake.so.1")) << "fake library\n";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto nv = c.run(rt, "--nv " + c.sif + " echo ran");
    INFO(nv.err);
    CHECK(nv.exit_code == 0);
    CHECK(nv.out == "ran\n");
    CHECK_THAT(nv.err, Catch::Contains("warning: --nv: no NVIDIA GPU"));
    auto rocm = c.run(rt, "--rocm " + c.sif + " echo ran");
    CHECK(rocm.exit_code == 0);
    CHECK_THAT(rocm.err, Catch::Contains("warning: --rocm: no AMD ROCm GPU"));
    auto quiet = c.run(rt, "--nv -q " + c.sif + " true");
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.err == "");
    auto libs = c.run(
        rt, "--nv " + c.sif + " sh -c 'cat /.sifkit.d/libs/libfake.so.1; echo $LD_LIBRARY_PATH'",
        "SIFKIT_CONTAINLIBS=" + shell_quote(c.dir.file("libfake.so.1")));
    INFO(libs.err);
    CHECK(libs.exit_code == 0);
    CHECK(libs.out == "fake library\n/.sifkit.d/libs\n");
  }
  c.check_clean();
}

TEST_CASE("a plain account gets CDI device nodes, env, mounts and hooks in its user namespace",
          "[devices][sif-run][unprivileged][root]") {
  if (!can_run_as_account("sifkit-test")) {
    return;
  }
  AccountRun c(*find_account("sifkit-test"), "{}");
  std::string share = c.dir.file("share"), markers = c.owned_dir("markers");
  std::filesystem::create_directories(share);
  std::ofstream(share + "/file") << "shared from host\n";
  std::string cdi = c.dir.file("cdi");
  std::filesystem::create_directories(cdi);
  std::ofstream(cdi + "/test.json") << device_spec(share, markers);
  const std::string inside = "ls -l /dev/cdi-null | cut -c1; head -c 3 /dev/zero | od -An -tx1; "
                             "echo $CDI_VAR $CDI_SPEC; cat /cdi-share/file";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::filesystem::remove(markers + "/created");
    std::filesystem::remove(markers + "/stopped");
    auto r = c.run(rt, "exec --device sifkit.test/dev=null --cdi-dirs " + cdi + " " + c.sif +
                           " sh -c " + shell_quote(inside));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "c\n 00 00 00\nhello spec-level\nshared from host\n");
    CHECK(std::filesystem::exists(markers + "/created"));
    CHECK(std::filesystem::exists(markers + "/stopped"));
    CHECK(c.leftovers().empty());
  }
}
