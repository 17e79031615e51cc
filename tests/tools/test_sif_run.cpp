// sif-run through its binary with real crun and runc: what the container sees (user,
// working directory, arguments, environment, mounts, capabilities, namespaces) and how it
// ends (exit codes, signals).
#include <runtime/run_fixture.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <support/fixtures.h>

using namespace sifkit::test;

namespace {

std::string status_field(const std::string& status, const std::string& name) {
  std::istringstream in(status);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(name + ":")) {
      auto value = line.substr(name.size() + 1);
      return value.substr(value.find_first_not_of(" \t"));
    }
  }
  return {};
}

std::uint64_t host_bounding_set() {
  return std::stoull(status_field(file_bytes("/proc/self/status"), "CapBnd"), nullptr, 16);
}

} // namespace

TEST_CASE("sif-run runs as the image's USER in its WORKDIR", "[run][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the run tests as root need root (the unprivileged case has its own test)")) {
    return;
  }
  RunCase c(R"({"User":"app","WorkingDir":"/opt/data","Cmd":["/bin/sh","-c","id; pwd"]})");
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r = c.run(rt, c.sif);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "uid=1000(app) gid=1000(app) groups=100(users),1000(app)\n/opt/data\n");
    auto cwd = c.run(rt, "--cwd /tmp " + c.sif + " pwd");
    CHECK(cwd.out == "/tmp\n");
    auto numeric = c.run(rt, c.sif + " id -u");
    CHECK(numeric.out == "1000\n");
  }
  c.check_clean();
}

TEST_CASE("sif-run puts ENTRYPOINT before CMD, ARGS replace CMD, exec replaces both",
          "[run][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the run tests as root need root (the unprivileged case has its own test)")) {
    return;
  }
  RunCase c(R"({"Entrypoint":["/bin/echo","entry"],"Cmd":["from-cmd"]})");
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto plain = c.run(rt, c.sif);
    INFO(plain.err);
    CHECK(plain.out == "entry from-cmd\n");
    auto args = c.run(rt, c.sif + " one 'two words'");
    CHECK(args.out == "entry one two words\n");
    auto exec = c.run(rt, "exec " + c.sif + " /bin/echo replaced --flag");
    CHECK(exec.out == "replaced --flag\n");
  }
  RunCase empty;
  auto r = empty.run("runc", empty.sif);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("no ENTRYPOINT or CMD"));
}

TEST_CASE("sif-run merges the environment: image, then SIFKIT_ENV_, then --env-file, then --env",
          "[run][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the run tests as root need root (the unprivileged case has its own test)")) {
    return;
  }
  RunCase c(R"({"Env":["PATH=/bin","A=image","B=image","C=image","D=image"]})");
  std::ofstream(c.dir.file("env")) << "# comment\nC=file\nexport D=file\n";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r =
        run_command("SIFKIT_STATE_DIR=" + c.state + " SIFKIT_ENV_B=host SINGULARITYENV_E=compat " +
                    "TERM=xterm-test NOT_PASSED=1 " + tool("sif-run") + " --runtime " + rt +
                    " exec --env-file " + c.dir.file("env") + " --env D=flag " + c.sif +
                    " sh -c 'echo $A $B $C $D $E $TERM ${NOT_PASSED:-unset} $PATH' </dev/null");
    INFO(r.err);
    CHECK(r.out == "image host file flag compat xterm-test unset /bin\n");
    auto clean = run_command("SIFKIT_STATE_DIR=" + c.state + " TERM=xterm-test " + tool("sif-run") +
                             " --runtime " + rt + " exec --cleanenv " + c.sif +
                             " sh -c 'echo ${TERM:-none}' </dev/null");
    CHECK(clean.out == "none\n");
  }
}

TEST_CASE("sif-run binds host directories read-write and read-only", "[run][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the run tests as root need root (the unprivileged case has its own test)")) {
    return;
  }
  RunCase c;
  std::filesystem::create_directory(c.dir.file("rw"));
  std::filesystem::create_directory(c.dir.file("ro"));
  std::ofstream(c.dir.file("ro/in")) << "host file\n";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r = c.run(rt, "exec --bind " + c.dir.file("rw") + ":/out --bind " + c.dir.file("ro") +
                           ":/in:ro " + c.sif + " sh -c 'echo written > /out/f-" + rt +
                           "; cat /in/in; touch /in/x 2>/dev/null || echo ro-refused'");
    INFO(r.err);
    CHECK(r.out == "host file\nro-refused\n");
    CHECK(file_bytes(c.dir.file("rw/f-" + rt)) == "written\n");
    auto mount = c.run(rt, "exec --mount type=bind,source=" + c.dir.file("ro") +
                               ",destination=/m,ro " + c.sif + " cat /m/in");
    CHECK(mount.out == "host file\n");
  }
  auto missing = c.run("runc", "exec --bind /no/such/dir:/x " + c.sif + " true");
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("/no/such/dir"));
  c.check_clean();
}

TEST_CASE("sif-run binds the caller's home when the image has no USER, and obeys --home and "
          "--no-home",
          "[run][sif-run]") {
  if (!can_run_containers_as_root(
          "the run tests as root need root (the unprivileged case has its own test)")) {
    return;
  }
  RunCase c;
  std::string home = c.dir.file("home");
  std::filesystem::create_directory(home);
  std::ofstream(home + "/marker") << "home marker\n";
  std::filesystem::create_directory(c.dir.file("other"));
  std::ofstream(c.dir.file("other/elsewhere")) << "other home\n";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string env = "HOME=" + home + " ";
    auto automatic = run_command(env + "SIFKIT_STATE_DIR=" + c.state + " " + tool("sif-run") +
                                 " --runtime " + rt + " exec " + c.sif +
                                 " sh -c 'echo $HOME; cat $HOME/marker; pwd' </dev/null");
    INFO(automatic.err);
    CHECK(automatic.out == home + "\nhome marker\n" + home + "\n");
    auto bound = c.run(rt, "exec --home " + c.dir.file("other") + ":/home/me " + c.sif +
                               " sh -c 'echo $HOME; cat /home/me/elsewhere'");
    CHECK(bound.out == "/home/me\nother home\n");
    auto tmpfs =
        c.run(rt, "exec --home /scratchhome " + c.sif +
                      " sh -c 'ls -A /scratchhome | wc -l; touch /scratchhome/x && echo ok'");
    CHECK(tmpfs.out == "0\nok\n");
    auto none = run_command(env + "SIFKIT_STATE_DIR=" + c.state + " " + tool("sif-run") +
                            " --runtime " + rt + " exec --no-home " + c.sif + " sh -c 'test -e " +
                            home + "/marker && echo bound || echo absent' </dev/null");
    CHECK(none.out == "absent\n");
  }
}

TEST_CASE("sif-run gives SingularityCE's default capabilities, changed by --add-caps, "
          "--drop-caps and --no-privs",
          "[run][sif-run]") {
  if (!can_run_containers_as_root(
          "the run tests as root need root (the unprivileged case has its own test)")) {
    return;
  }
  RunCase c;
  std::uint64_t bounding = host_bounding_set();
  std::uint64_t expected = default_caps_mask() & bounding;
  auto cap_eff = [&](const std::string& rt, const std::string& flags) {
    auto r = c.run(rt, "exec " + flags + " " + c.sif + " cat /proc/self/status");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return std::pair{std::stoull(status_field(r.out, "CapEff"), nullptr, 16),
                     status_field(r.out, "NoNewPrivs")};
  };
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    CHECK(cap_eff(rt, "").first == expected);
    CHECK(cap_eff(rt, "").second == "0");
    CHECK(cap_eff(rt, "--drop-caps CAP_CHOWN,net_raw").first ==
          (expected & ~((std::uint64_t{1} << 0) | (std::uint64_t{1} << 13))));
    if (bounding & (std::uint64_t{1} << 21)) {
      CHECK(cap_eff(rt, "--add-caps SYS_ADMIN").first == (expected | (std::uint64_t{1} << 21)));
    }
    auto none = cap_eff(rt, "--no-privs");
    CHECK(none.first == 0);
    CHECK(none.second == "1");
  }
}

TEST_CASE("sif-run sets the host name with --hostname and isolates the network with --net",
          "[run][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the run tests as root need root (the unprivileged case has its own test)")) {
    return;
  }
  RunCase c;
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto named = c.run(rt, "exec --hostname box-" + rt + " " + c.sif + " hostname");
    INFO(named.err);
    CHECK(named.out == "box-" + rt + "\n");
    auto net = c.run(rt, "exec --net " + c.sif + " ls /sys/class/net");
    INFO(net.err);
    CHECK(net.out == "lo\n");
    auto shared = c.run(rt, "exec " + c.sif + " ls /sys/class/net");
    CHECK(shared.out != "lo\n");
  }
}

TEST_CASE("sif-run exits with the container's exit code, and 128+N when signal N ended it",
          "[run][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the run tests as root need root (the unprivileged case has its own test)")) {
    return;
  }
  RunCase c;
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    CHECK(c.run(rt, "exec " + c.sif + " sh -c 'exit 7'").exit_code == 7);
    CHECK(c.run(rt, "exec " + c.sif + " true").exit_code == 0);
    // The first process of a PID namespace ignores signals it has no handler for; a
    // child of it does not.
    CHECK(c.run(rt, "exec " + c.sif + " sh -c 'sh -c \"kill -KILL \\$\\$\"; exit $?'").exit_code ==
          137);
    auto missing = c.run(rt, "exec " + c.sif + " /no/such/command");
    CHECK(missing.exit_code != 0);
  }
  c.check_clean();
}

TEST_CASE("sif-run forwards SIGTERM and SIGINT to the container", "[run][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the run tests as root need root (the unprivileged case has its own test)")) {
    return;
  }
  RunCase c;
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    for (std::string sig : {"TERM", "INT"}) {
      INFO("signal " << sig);
      std::string started = c.dir.file("started-" + rt + sig);
      std::filesystem::create_directory(c.dir.file("shared"));
      // The container traps the signal and exits 42; the test signals sif-run once the
      // trap is in place.
      std::string script = "SIFKIT_STATE_DIR=" + c.state + " " + tool("sif-run") + " --runtime " +
                           rt + " exec --bind " + c.dir.file("shared") + ":/shared " + c.sif +
                           " sh -c 'trap \"exit 42\" " + sig + "; touch /shared/ready-" + rt + sig +
                           "; while true; do sleep 0.1; done' </dev/null & pid=$!; "
                           "for i in $(seq 100); do test -e " +
                           c.dir.file("shared/ready-" + rt + sig) +
                           " && break; sleep 0.1; done; kill -" + sig + " $pid; wait $pid";
      auto r = run_command(script);
      INFO(r.err);
      CHECK(r.exit_code == 42);
    }
  }
  c.check_clean();
}

TEST_CASE("sif-run refuses an unknown runtime and a SIF that holds no OCI image",
          "[run][sif-run]") {
  TempDir dir;
  std::string state = dir.file("state");
  auto not_oci = sif_run(state, fixture("sif-upstream/test/images/one-group.sif"));
  CHECK(not_oci.exit_code != 0);
  CHECK_THAT(not_oci.err, Catch::Contains("not an OCI-SIF"));
  if (have_static_busybox()) {
    make_busybox_sif(dir.file("image.sif"));
    auto missing = sif_run(state, "--runtime no-such-runtime " + dir.file("image.sif"));
    CHECK(missing.exit_code != 0);
    CHECK_THAT(missing.err, Catch::Contains("no-such-runtime"));
  } else {
    SIFKIT_SKIP(program, "/bin/busybox (Debian's busybox-static) is missing: the unknown-runtime "
                         "check");
  }
  auto no_file = sif_run(state, "exec /no/such.sif true");
  CHECK(no_file.exit_code != 0);
  CHECK_THAT(no_file.err, Catch::Contains("/no/such.sif"));
  auto usage = sif_run(state, "exec");
  CHECK(usage.exit_code == 2);
  auto help = sif_run(state, "--help");
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("ENTRYPOINT"));
}

TEST_CASE("sif-run shell gives an interactive shell on a terminal, and its exit code",
          "[run][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the run tests as root need root (the unprivileged case has its own test)")) {
    return;
  }
  if (run_command("command -v script").exit_code != 0) {
    SIFKIT_SKIP(program, "script (util-linux) is missing: no pseudo-terminal to test with");
    return;
  }
  RunCase c;
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    // script gives sif-run a pseudo-terminal as stdin; the shell reads the piped lines
    // from it.
    auto r = run_command(
        "printf 'echo in-shell $((6*7)); tty; exit 3\\n' | SIFKIT_STATE_DIR=" + c.state +
        " timeout 60 script -qec " +
        shell_quote(tool("sif-run") + " -q --runtime " + rt + " shell " + c.sif) + " /dev/null");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.out, Catch::Contains("in-shell 42"));
    CHECK_THAT(r.out, Catch::Contains("/dev/pts/0"));
  }
  c.check_clean();
}

TEST_CASE("sif-run takes an image reference, converts it through the cache once and runs it",
          "[run][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the run tests as root need root (the unprivileged case has its own test)")) {
    return;
  }
  TempDir dir;
  std::string layout = dir.file("layout");
  make_busybox_layout(layout);
  std::string state = dir.file("state");
  std::string args = "--runtime runc --cache " + dir.file("cache") + " exec oci:" + layout +
                     ":latest cat /etc/motd";
  auto first = sif_run(state, args);
  INFO(first.err);
  CHECK(first.exit_code == 0);
  CHECK_THAT(first.out, Catch::StartsWith("sifkit busybox"));
  CHECK_THAT(first.err, Catch::Contains("converted"));
  auto second = sif_run(state, args);
  CHECK(second.exit_code == 0);
  CHECK(second.out == first.out);
  CHECK_THAT(second.err, !Catch::Contains("converted"));
  auto missing = sif_run(state, "--cache " + dir.file("cache") + " exec oci:" + dir.file("none") +
                                    ":latest true");
  CHECK(missing.exit_code == 3); // sif-pull's not_found, passed on
  CHECK_THAT(missing.err, Catch::Contains(dir.file("none")));
  auto no_file = sif_run(state, "exec " + dir.file("absent.sif") + " true");
  CHECK(no_file.exit_code == 3);
  CHECK_THAT(no_file.err, Catch::Contains("no such file"));
}
