// An unprivileged user runs a container: squashfuse mounts the image, the runtime runs
// rootless in a user namespace where the caller is the container's user.
#include <runtime/run_fixture.h>

#include <filesystem>

#include <catch2/catch.hpp>
#include <support/fixtures.h>
#include <unistd.h>

using namespace sifkit::test;

namespace {

constexpr const char* k_as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";

// Why an unprivileged run cannot work on this machine; empty when it can.
std::string unprivileged_blocker() {
  if (::geteuid() != 0) {
    return "the test switches to the nobody user and so must start as root";
  }
  if (run_command("command -v setpriv").exit_code != 0) {
    return "setpriv (util-linux) is missing";
  }
  if (run_command(std::string(k_as_nobody) + "unshare -Ur true").exit_code != 0) {
    return "this kernel does not let unprivileged users create user namespaces";
  }
  if (run_command(std::string(k_as_nobody) + "test -r /dev/fuse -a -w /dev/fuse").exit_code != 0) {
    return "/dev/fuse is not open to unprivileged users here (" +
           run_command("stat -c %A /dev/fuse").out.substr(0, 10) +
           "), so squashfuse cannot mount for them";
  }
  if (!have_static_busybox()) {
    return "/bin/busybox (Debian's busybox-static) is missing";
  }
  return {};
}

} // namespace

TEST_CASE("an unprivileged user runs a container through squashfuse and a user namespace",
          "[run][unprivileged]") {
  if (auto why = unprivileged_blocker(); !why.empty()) {
    WARN("SKIPPED: " << why);
    return;
  }
  TempDir dir;
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
  std::string sif = dir.file("image.sif");
  make_busybox_sif(sif, R"({"User":"app","Cmd":["/bin/sh","-c","id -u; cat /opt/data/file"]})");
  std::string home = dir.file("home");
  std::filesystem::create_directory(home);
  REQUIRE(::chown(home.c_str(), 65534, 65534) == 0);
  std::string state = home + "/state";
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r = run_command("HOME=" + home + " SIFKIT_STATE_DIR=" + state + " " + k_as_nobody +
                         tool("sif-run") + " --runtime " + rt + " " + sif + " </dev/null");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "1000\nimage data\n");
    CHECK(run_leftovers(sif, state).empty());
  }
}
