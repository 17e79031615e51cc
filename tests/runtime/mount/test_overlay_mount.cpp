// Hostile overlays through sif-run as root: an ext3 overlay (a file, or embedded in the
// OCI-SIF) whose upper/ is a symbolic link, and a writable --overlay DIR with a planted
// upper link or of another account. None may make a host directory a layer.
#include <common/error.h>
#include <runtime/image/image.h>

#include <filesystem>
#include <fstream>

#include "runtime/account_fixture.h"
#include "runtime/run_fixture.h"
#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::test;
namespace fs = std::filesystem;

namespace {

bool have_mkfs_ext3() {
  if (run_command("PATH=$PATH:/sbin:/usr/sbin command -v mkfs.ext3").exit_code != 0) {
    SIFKIT_SKIP(program, "mkfs.ext3 (e2fsprogs) is missing");
    return false;
  }
  return true;
}

// An ext3 file system of `bytes` bytes at `image` holding the tree `source` (links kept).
void make_ext3_from(const std::string& image, const std::string& source, std::int64_t bytes) {
  auto made = run_command("truncate -s " + std::to_string(bytes) + " " + shell_quote(image) +
                          " && PATH=$PATH:/sbin:/usr/sbin mkfs.ext3 -F -q -d " +
                          shell_quote(source) + " " + shell_quote(image));
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
}

// A host directory a hostile overlay points at: `marker` inside, which no layer has.
std::string make_host_dir(const TempDir& dir) {
  std::string host = dir.file("host");
  fs::create_directory(host);
  std::ofstream(host + "/marker") << "host file\n";
  return host;
}

// A tree for an overlay: upper -> `link_target` and a real work/.
std::string make_linked_tree(const TempDir& dir, const std::string& name,
                             const std::string& link_target) {
  std::string tree = dir.file(name);
  fs::create_directory(tree);
  fs::create_directory_symlink(link_target, tree + "/upper");
  fs::create_directory(tree + "/work");
  return tree;
}

} // namespace

TEST_CASE("an ext3 overlay whose upper is a link never makes the link's host target a layer",
          "[overlay][hostile][root]") {
  if (!can_run_containers_as_root("the overlay run tests need root") || !have_mkfs_ext3()) {
    return;
  }
  RunCase c;
  std::string host = make_host_dir(c.dir);
  for (const std::string& target : {host, std::string("/")}) {
    INFO("upper -> " << target);
    std::string tree = make_linked_tree(c.dir, "tree" + std::to_string(target.size()), target);
    std::string image = tree + ".img";
    make_ext3_from(image, tree, 16 << 20);
    for (const auto& rt : usable_runtimes()) {
      INFO("runtime " << rt);
      auto ro = c.run(rt, "--overlay " + image + ":ro " + c.sif + " cat /marker");
      CHECK(ro.exit_code == exit_code(ErrorKind::corrupt_input));
      CHECK(ro.out.find("host file") == std::string::npos);
      CHECK_THAT(ro.err, Catch::Contains("upper") && Catch::Contains("symbolic link"));
      auto rw = c.run(rt, "--overlay " + image + " " + c.sif + " sh -c 'echo x > /written'");
      CHECK(rw.exit_code == exit_code(ErrorKind::corrupt_input));
      CHECK_THAT(rw.err, Catch::Contains(image));
      CHECK_FALSE(fs::exists(host + "/written"));
      CHECK_FALSE(fs::exists("/written"));
      c.check_clean();
    }
  }
}

TEST_CASE("an embedded ext3 overlay whose upper is a link is refused with or without --writable",
          "[overlay][sif-overlay][hostile][root]") {
  if (!can_run_containers_as_root("the overlay run tests need root") || !have_mkfs_ext3()) {
    return;
  }
  RunCase c;
  REQUIRE(run_command(tool("sif-overlay") + " create --size 64 -q " + c.sif).exit_code == 0);
  auto opened = runtime::open_run_image(c.sif);
  REQUIRE(opened);
  REQUIRE(opened->overlay);
  // Replace the embedded file system by one of the same size whose upper/ is a link.
  std::string host = make_host_dir(c.dir);
  std::string tree = make_linked_tree(c.dir, "tree", host);
  std::string image = c.dir.file("hostile.img");
  make_ext3_from(image, tree, opened->overlay->size);
  REQUIRE(run_command("dd status=none conv=notrunc oflag=seek_bytes bs=1M seek=" +
                      std::to_string(opened->overlay->offset) + " if=" + shell_quote(image) +
                      " of=" + shell_quote(c.sif))
              .exit_code == 0);
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto ro = c.run(rt, c.sif + " cat /marker");
    CHECK(ro.exit_code == exit_code(ErrorKind::corrupt_input));
    CHECK(ro.out.find("host file") == std::string::npos);
    CHECK_THAT(ro.err, Catch::Contains(c.sif) && Catch::Contains("upper"));
    auto rw = c.run(rt, "--writable " + c.sif + " sh -c 'echo x > /written'");
    CHECK(rw.exit_code == exit_code(ErrorKind::corrupt_input));
    CHECK_FALSE(fs::exists(host + "/written"));
    c.check_clean();
  }
}

TEST_CASE("a writable overlay directory whose upper is a link is refused and the target kept",
          "[overlay][hostile][root]") {
  if (!can_run_containers_as_root("the overlay run tests need root")) {
    return;
  }
  RunCase c;
  std::string host = make_host_dir(c.dir);
  std::string overlay = make_linked_tree(c.dir, "overlay", host);
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto rw = c.run(rt, "--overlay " + overlay + " " + c.sif + " sh -c 'echo x > /written'");
    CHECK(rw.exit_code == exit_code(ErrorKind::usage));
    CHECK_THAT(rw.err, Catch::Contains(overlay + "/upper"));
    CHECK_FALSE(fs::exists(host + "/written"));
    c.check_clean();
  }
}

TEST_CASE("a writable overlay directory of another account or behind a link is refused as root",
          "[overlay][hostile][root]") {
  if (!can_run_containers_as_root("the overlay run tests need root")) {
    return;
  }
  auto account = find_account("sifkit-test");
  if (!account) {
    SIFKIT_SKIP(account, "the account sifkit-test is missing (scripts/setup.sh makes it)");
    return;
  }
  RunCase c;
  std::string theirs = c.dir.file("theirs");
  fs::create_directory(theirs);
  REQUIRE(::chown(theirs.c_str(), account->uid, account->gid) == 0);
  std::string mine = c.dir.file("mine");
  fs::create_directory(mine);
  std::string link = c.dir.file("link");
  fs::create_directory_symlink(mine, link);
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    auto other = c.run(rt, "--overlay " + theirs + " " + c.sif + " true");
    CHECK(other.exit_code == exit_code(ErrorKind::usage));
    CHECK_THAT(other.err, Catch::Contains("uid " + std::to_string(account->uid)));
    CHECK(fs::is_empty(theirs));
    auto linked = c.run(rt, "--overlay " + link + " " + c.sif + " true");
    CHECK(linked.exit_code == exit_code(ErrorKind::usage));
    CHECK(fs::is_empty(mine));
    c.check_clean();
  }
}
