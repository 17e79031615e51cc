// sif-run with an image reference of each kind the others' tests do not cover: a
// docker-daemon: image, exported through the daemon socket by the sif-pull --sif-path
// that sif-run starts.
#include <runtime/run_fixture.h>

#include <filesystem>
#include <string>

#include "registry/daemon_export_stub.h"
#include "support/scoped_env.h"
#include <catch2/catch.hpp>
#include <support/fixtures.h>

using namespace sifkit::test;

TEST_CASE("sif-run runs a docker-daemon: image exported through the daemon socket",
          "[run][sif-run][docker-daemon][root]") {
  if (!can_run_containers_as_root(
          "the run tests as root need root (the unprivileged case has its own test)")) {
    return;
  }
  if (run_command("command -v skopeo").exit_code != 0) {
    SIFKIT_SKIP(program, "skopeo (to write the image as `docker save` does) is not installed");
    return;
  }
  TempDir dir;
  std::string layout = dir.file("layout");
  make_busybox_layout(layout);
  auto saved = run_command("skopeo copy -q oci:" + layout +
                           ":latest docker-archive:" + dir.file("save.tar") + ":sifkit/busybox:1");
  INFO(saved.err);
  REQUIRE(saved.exit_code == 0);
  DaemonExportStub daemon(dir.file("docker.sock"), "sifkit/busybox:1", dir.file("save.tar"));
  ScopedEnv host("DOCKER_HOST", daemon.docker_host());

  std::string state = dir.file("state");
  auto run = sif_run(state, "--runtime runc --cache " + dir.file("cache") +
                                " exec docker-daemon:sifkit/busybox:1 cat /etc/motd");
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::StartsWith("sifkit busybox"));
  CHECK(daemon.exports() == 1);
  CHECK(std::filesystem::is_empty(dir.file("cache/tmp")));
}
