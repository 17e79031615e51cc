// Real root runs of hostile images: links in the image that point at host files or
// directories never make sif-run read, chmod or fill a host path.
#include <filesystem>
#include <fstream>

#include "runtime/run_fixture.h"
#include <catch2/catch.hpp>
#include <sys/stat.h>

using namespace sifkit;
using namespace sifkit::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_why_root = "runs as root read the image's passwd";

// A run case whose image is the busybox image with `top` planted over it.
struct PlantedCase {
  TempDir dir;
  std::string sif = dir.file("image.sif");
  std::string state = dir.file("state");
  explicit PlantedCase(const Layer& top) { make_busybox_sif_with(sif, top); }
  CommandResult run(const std::string& runtime, const std::string& args) const {
    return sif_run(state, "--runtime " + runtime + " " + args);
  }
};

} // namespace

TEST_CASE("a root run shows no line of a host file the image's /etc/passwd links to",
          "[run][hostile][root]") {
  if (!can_run_containers_as_root(k_why_root)) {
    return;
  }
  TempDir host;
  std::string secret = host.file("secret");
  std::ofstream(secret) << "HOST-ONLY-MARKER:x:4242:4242::/:/bin/sh\n";
  REQUIRE(::chmod(secret.c_str(), 0600) == 0);
  PlantedCase c({tar_symlink("etc/passwd", secret), tar_symlink("etc/group", "/etc/gshadow")});
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r = c.run(rt, "exec " + c.sif + " cat /etc/passwd /etc/group");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("HOST-ONLY-MARKER") == std::string::npos);
    CHECK(r.out == "root:x:0:0:root:/root:/bin/sh\nroot:x:0:root\n");
  }
}

TEST_CASE("a root --bind onto an image link to /etc leaves the host directory empty",
          "[run][hostile][root]") {
  if (!can_run_containers_as_root(k_why_root)) {
    return;
  }
  PlantedCase c({tar_symlink("data", "/etc")});
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    TempDir bound;
    auto r = c.run(rt, "--bind " + bound.path().string() + ":/data:ro exec " + c.sif + " true");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(fs::is_empty(bound.path()));
  }
}

TEST_CASE("a root --workdir with a planted tmp link is refused and the link's target untouched",
          "[run][hostile][root]") {
  if (!can_run_containers_as_root(k_why_root)) {
    return;
  }
  PlantedCase c({});
  TempDir host;
  std::string target = host.file("target");
  fs::create_directories(target);
  REQUIRE(::chmod(target.c_str(), 0755) == 0);
  std::string work = c.dir.file("work");
  fs::create_directories(work);
  fs::create_symlink(target, work + "/tmp");
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r = c.run(rt, "--workdir " + work + " exec " + c.sif + " touch /tmp/written");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("symbolic link"));
    struct stat st {};
    REQUIRE(::stat(target.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
    CHECK(fs::is_empty(target));
  }
}
