// sif-run --overlay with real crun and runc: host directories, ext3 and squashfs image
// files stacked over the image, what persists between runs, and nothing left behind.
#include <runtime/run_fixture.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <support/fixtures.h>
#include <unistd.h>

using namespace sifkit::test;

namespace {

// One image, one state directory and the overlays a test makes.
struct OverlayCase : RunCase {
  // Nothing left for the image or for any of `files` (loop devices, mounts, daemons).
  std::string leftovers(const std::vector<std::string>& files = {}) const {
    std::string out = RunCase::leftovers();
    for (const auto& file : files) {
      out += run_command("losetup -j " + shell_quote(file)).out;
      out += run_command("pgrep -a fuse2fs | grep -F " + shell_quote(file)).out;
    }
    return out;
  }
  // An ext3 image of `mb` MiB at `name`; empty when mkfs.ext3 is missing.
  std::string make_ext3(const std::string& name, int mb = 16) const {
    std::string path = dir.file(name);
    auto made = run_command(fmt_command(path, mb));
    return made.exit_code == 0 ? path : "";
  }
  static std::string fmt_command(const std::string& path, int mb) {
    return "{ truncate -s " + std::to_string(mb) + "M " + shell_quote(path) +
           " && PATH=$PATH:/sbin:/usr/sbin mkfs.ext3 -F -q " + shell_quote(path) + "; }";
  }
};

std::string sha256(const std::string& path) {
  return run_command("sha256sum " + shell_quote(path) + " | cut -d' ' -f1").out;
}

} // namespace

TEST_CASE("a writable overlay directory keeps what a run wrote for the next run",
          "[overlay][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the overlay run tests need root (loop devices, kernel overlayfs)")) {
    return;
  }
  OverlayCase c;
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string overlay = c.dir.file("persist-" + rt);
    std::filesystem::create_directory(overlay);
    auto write = c.run(rt, "--overlay " + overlay + " " + c.sif + " sh -c 'echo hi > /persist'");
    INFO(write.err);
    REQUIRE(write.exit_code == 0);
    CHECK(std::filesystem::is_regular_file(overlay + "/upper/persist"));
    CHECK(std::filesystem::is_directory(overlay + "/work"));
    auto read = c.run(rt, "--overlay " + overlay + " " + c.sif + " cat /persist");
    INFO(read.err);
    CHECK(read.exit_code == 0);
    CHECK(read.out == "hi\n");
    auto without = c.run(rt, c.sif + " cat /persist");
    CHECK(without.exit_code != 0);
    CHECK(c.leftovers() == "");
  }
}

TEST_CASE("a writable ext3 overlay image persists and a read-only one is never written",
          "[overlay][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the overlay run tests need root (loop devices, kernel overlayfs)")) {
    return;
  }
  OverlayCase c;
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string image = c.make_ext3("overlay-" + rt + ".img");
    if (image.empty()) {
      SIFKIT_SKIP(program, "mkfs.ext3 (e2fsprogs) is missing");
      return;
    }
    auto write =
        c.run(rt, "--overlay " + image + " " + c.sif + " sh -c 'echo kept > /opt/data/new'");
    INFO(write.err);
    REQUIRE(write.exit_code == 0);
    auto read = c.run(rt, "--overlay " + image + ":rw " + c.sif + " cat /opt/data/new");
    INFO(read.err);
    CHECK(read.out == "kept\n");
    CHECK(c.leftovers({image}) == "");

    std::string before = sha256(image);
    auto ro = c.run(rt, "--overlay " + image + ":ro " + c.sif +
                            " sh -c 'cat /opt/data/new; echo gone > /opt/data/tmp'");
    INFO(ro.err);
    CHECK(ro.exit_code == 0); // the write went to the tmpfs above the read-only overlay
    CHECK(ro.out == "kept\n");
    auto refused = c.run(rt, "--read-only --overlay " + image + ":ro " + c.sif +
                                 " sh -c 'echo x > /opt/data/other'");
    CHECK(refused.exit_code != 0);
    auto after = c.run(rt, "--overlay " + image + ":ro " + c.sif + " ls /opt/data");
    CHECK(after.out == "file\nnew\n");
    CHECK(sha256(image) == before);
    CHECK(c.leftovers({image}) == "");
  }
}

TEST_CASE("a squashfs overlay image shows its files inside the container",
          "[overlay][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the overlay run tests need root (loop devices, kernel overlayfs)")) {
    return;
  }
  OverlayCase c;
  std::string squashfs = c.dir.file("extra.sqfs");
  auto made = run_command("{ mkdir -p " + c.dir.file("src/extra") + " && echo extra > " +
                          c.dir.file("src/extra/file") + " && mksquashfs " + c.dir.file("src") +
                          " " + squashfs + " -quiet -no-progress -all-root; }");
  if (made.exit_code != 0) {
    SIFKIT_SKIP(program, "mksquashfs failed: " << made.err);
    return;
  }
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r = c.run(rt, "--overlay " + squashfs + " " + c.sif +
                           " sh -c 'cat /extra/file /opt/data/file'");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "extra\nimage data\n");
    auto rw = c.run(rt, "--overlay " + squashfs + ":rw " + c.sif + " true");
    CHECK(rw.exit_code == 2);
    CHECK(c.leftovers({squashfs}) == "");
  }
}

TEST_CASE("read-only overlays stack above the image and writes land in the writable one",
          "[overlay][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the overlay run tests need root (loop devices, kernel overlayfs)")) {
    return;
  }
  OverlayCase c;
  std::string lower = c.dir.file("lower");
  std::filesystem::create_directories(lower + "/opt/data");
  std::ofstream(lower + "/opt/data/file") << "from the ro dir\n";
  std::ofstream(lower + "/ro-dir-file") << "ro dir\n";
  std::string squashfs = c.dir.file("sq.sqfs");
  auto made =
      run_command("{ mkdir -p " + c.dir.file("src") + " && echo sq > " + c.dir.file("src/sq-file") +
                  " && echo sq-top > " + c.dir.file("src/ro-dir-file") + " && mksquashfs " +
                  c.dir.file("src") + " " + squashfs + " -quiet -no-progress -all-root; }");
  if (made.exit_code != 0) {
    SIFKIT_SKIP(program, "mksquashfs failed: " << made.err);
    return;
  }
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string upper = c.dir.file("rw-" + rt);
    std::filesystem::create_directory(upper);
    // The first --overlay is the top: the squashfs hides the ro dir's ro-dir-file.
    auto r = c.run(rt, "--overlay " + squashfs + " --overlay " + lower + ":ro --overlay " + upper +
                           " " + c.sif +
                           " sh -c 'cat /opt/data/file /ro-dir-file /sq-file; echo w > /written'");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "from the ro dir\nsq-top\nsq\n");
    CHECK(file_bytes(upper + "/upper/written") == "w\n");
    CHECK_FALSE(std::filesystem::exists(lower + "/written"));
    auto two = c.run(rt, "--overlay " + lower + " --overlay " + upper + " " + c.sif + " true");
    CHECK(two.exit_code == 2);
    CHECK_THAT(two.err, Catch::Contains(lower) && Catch::Contains(upper));
    CHECK(c.leftovers({squashfs}) == "");
  }
}

TEST_CASE("a writable ext3 overlay mounted with fuse2fs persists", "[overlay][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the overlay run tests need root (loop devices, kernel overlayfs)")) {
    return;
  }
  if (run_command("{ command -v fuse2fs && command -v fuse-overlayfs; }").exit_code != 0) {
    SIFKIT_SKIP(fuse, "fuse2fs or fuse-overlayfs is missing");
    return;
  }
  OverlayCase c;
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string image = c.make_ext3("fuse-" + rt + ".img");
    REQUIRE_FALSE(image.empty());
    auto write = c.run(rt, "--fuse --overlay " + image + " " + c.sif +
                               " sh -c 'echo f > /f; grep \" / / \" /proc/self/mountinfo'");
    INFO(write.err);
    REQUIRE(write.exit_code == 0);
    CHECK_THAT(write.out, Catch::Contains("fuse-overlayfs")); // fuse2fs upper: not the kernel's
    CHECK(c.leftovers({image}) == "");
    auto read = c.run(rt, "--overlay " + image + ":ro " + c.sif + " cat /f");
    INFO(read.err);
    CHECK(read.out == "f\n");
    CHECK(c.leftovers({image}) == "");
  }
}

TEST_CASE("sif-run --writable needs an image with an embedded overlay",
          "[overlay][sif-run][root]") {
  if (!can_run_containers_as_root(
          "the overlay run tests need root (loop devices, kernel overlayfs)")) {
    return;
  }
  OverlayCase c;
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto r = c.run(rt, "--writable " + c.sif + " true");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("sif-overlay create"));
    CHECK(c.leftovers() == "");
  }
}
