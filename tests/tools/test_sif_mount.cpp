// sif-mount and sif-umount through their binaries: mount and unmount leaving nothing,
// conflicts, directories that are not mounted, bundles and JSON output.
#include <common/file.h>
#include <common/lock_file.h>
#include <runtime/session/session.h>

#include <filesystem>
#include <string>

#include "runtime/account_fixture.h"
#include "runtime/mount_checks.h"
#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::test;

namespace {

CommandResult sif_mount(const std::string& arguments) {
  return run_command("'" + tool("sif-mount") + "' " + arguments + " </dev/null");
}

CommandResult sif_umount(const std::string& arguments) {
  return run_command("'" + tool("sif-umount") + "' " + arguments + " </dev/null");
}

std::string sh_quote(const std::string& path) {
  return "'" + path + "'";
}

// Unmounts `dir` with sif-umount when a test ends early.
struct UmountGuard {
  std::string dir;
  ~UmountGuard() {
    if (!dir.empty()) {
      sif_umount(sh_quote(dir));
    }
  }
};

// The session directory sif-mount keeps for the mount point `dir`.
std::string session_dir_of(const std::string& dir) {
  auto root = runtime::state_root();
  REQUIRE(root);
  return runtime::mount_session_dir(*root, std::filesystem::canonical(dir).string());
}

} // namespace

TEST_CASE("sif-mount mounts an image that sif-umount removes without a trace", "[mount][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  MountScene scene;
  for (const char* method : {"--kernel", "--fuse"}) {
    INFO(method);
    if (std::string(method) == "--fuse" && !can_mount_with_fuse()) {
      continue;
    }
    auto mounted =
        sif_mount(std::string(method) + " " + sh_quote(scene.sif) + " " + sh_quote(scene.rootfs));
    INFO(mounted.err);
    REQUIRE(mounted.exit_code == 0);
    UmountGuard guard{scene.rootfs};
    CHECK_THAT(mounted.out, Catch::StartsWith("mounted " + scene.sif + " on "));
    CHECK_THAT(mounted.out, Catch::Contains("1 layer)"));
    CHECK(run_command("ls " + sh_quote(scene.rootfs + "/bin/busybox")).exit_code == 0);
    CHECK(file_bytes(scene.rootfs + "/opt/data/file") == "image data\n");

    auto again =
        sif_mount(std::string(method) + " " + sh_quote(scene.sif) + " " + sh_quote(scene.rootfs));
    CHECK(again.exit_code == exit_code(ErrorKind::conflict));
    CHECK_THAT(again.err, Catch::Contains("already a sif-mount"));

    auto unmounted = sif_umount(sh_quote(scene.rootfs));
    INFO(unmounted.err);
    REQUIRE(unmounted.exit_code == 0);
    guard.dir.clear();
    CHECK(unmounted.out == "unmounted " + scene.rootfs + "\n");
    CHECK_FALSE(mounted_below(scene.canonical()));
    CHECK(loop_devices_of(scene.sif, true).empty());
    CHECK(std::filesystem::is_empty(scene.rootfs));
  }
}

TEST_CASE("what a sif-mount killed before its first mount left does not stop the next one",
          "[mount][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  MountScene scene;
  std::string session = session_dir_of(scene.rootfs);
  // As the killed sif-mount left it: its directory and lock file (free), scratch, no record.
  std::filesystem::create_directories(session + "/overlay/upper");
  REQUIRE(write_file_atomic(session + "/lock", ""));
  auto mounted = sif_mount(sh_quote(scene.sif) + " " + sh_quote(scene.rootfs));
  INFO(mounted.err);
  REQUIRE(mounted.exit_code == 0);
  UmountGuard guard{scene.rootfs};
  CHECK(file_bytes(scene.rootfs + "/opt/data/file") == "image data\n");
  auto unmounted = sif_umount(sh_quote(scene.rootfs));
  INFO(unmounted.err);
  REQUIRE(unmounted.exit_code == 0);
  guard.dir.clear();
  CHECK_FALSE(std::filesystem::exists(session));
  CHECK_FALSE(mounted_below(scene.canonical()));
}

TEST_CASE("a session whose lock is held is in progress for sif-mount and sif-umount, and taken "
          "over once free",
          "[mount][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  MountScene scene;
  std::string session = session_dir_of(scene.rootfs);
  std::filesystem::path path(session);
  std::filesystem::create_directories(path.parent_path());
  {
    // Another sif-mount of the same directory, between its claim and its first mount.
    auto held =
        create_locked_directory(path.parent_path().string(), path.filename().string(), "lock");
    REQUIRE(held);
    auto mounted = sif_mount(sh_quote(scene.sif) + " " + sh_quote(scene.rootfs));
    UmountGuard guard{scene.rootfs};
    CHECK(mounted.exit_code == exit_code(ErrorKind::conflict));
    CHECK_THAT(mounted.err, Catch::Contains("is in progress"));
    auto unmounted = sif_umount(sh_quote(scene.rootfs));
    CHECK(unmounted.exit_code == exit_code(ErrorKind::conflict));
    CHECK_THAT(unmounted.err, Catch::Contains("is in progress"));
    CHECK(std::filesystem::exists(session + "/lock"));
    guard.dir.clear();
  }
  // Its owner gone (the lock free with it), the next sif-mount takes the directory over.
  auto mounted = sif_mount(sh_quote(scene.sif) + " " + sh_quote(scene.rootfs));
  INFO(mounted.err);
  REQUIRE(mounted.exit_code == 0);
  UmountGuard guard{scene.rootfs};
  auto unmounted = sif_umount(sh_quote(scene.rootfs));
  REQUIRE(unmounted.exit_code == 0);
  guard.dir.clear();
  CHECK_FALSE(std::filesystem::exists(session));
}

TEST_CASE("sif-umount of a directory sif-mount did not mount is not_found", "[mount]") {
  TempDir dir;
  auto result = sif_umount(sh_quote(dir.path().string()));
  CHECK(result.exit_code == exit_code(ErrorKind::not_found));
  CHECK_THAT(result.err, Catch::Contains("is not mounted by sif-mount"));
}

TEST_CASE("sif-mount refuses a directory that is not empty", "[mount][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  MountScene scene;
  std::filesystem::create_directories(scene.rootfs + "/something");
  auto result = sif_mount(sh_quote(scene.sif) + " " + sh_quote(scene.rootfs));
  CHECK(result.exit_code == exit_code(ErrorKind::conflict));
  CHECK_THAT(result.err, Catch::Contains("not an empty directory"));
  CHECK_FALSE(mounted_below(scene.canonical()));
  // The refused mount left no session behind: a second try fails the same way.
  CHECK(sif_mount(sh_quote(scene.sif) + " " + sh_quote(scene.rootfs)).exit_code ==
        exit_code(ErrorKind::conflict));
  CHECK(sif_umount(sh_quote(scene.rootfs)).exit_code == exit_code(ErrorKind::not_found));
}

TEST_CASE("sif-mount --json prints the mount record", "[mount][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  MountScene scene(2);
  auto mounted =
      sif_mount("--json --writable " + sh_quote(scene.sif) + " " + sh_quote(scene.rootfs));
  INFO(mounted.err);
  REQUIRE(mounted.exit_code == 0);
  UmountGuard guard{scene.rootfs};
  auto json = nlohmann::json::parse(mounted.out);
  CHECK(json["image"] == scene.image.path);
  CHECK(json["rootfs"] == std::filesystem::canonical(scene.rootfs).string());
  CHECK(json["config"].is_null());
  REQUIRE(json["entries"].is_array());
  CHECK(json["entries"].size() == 4); // two layers, the tmpfs, the overlay
  CHECK(json["entries"].back()["kind"] == "overlay");
  std::filesystem::create_directories(scene.rootfs + "/written");

  REQUIRE(sif_umount("--quiet " + sh_quote(scene.rootfs)).exit_code == 0);
  guard.dir.clear();
  CHECK_FALSE(mounted_below(scene.canonical()));
  CHECK(std::filesystem::is_empty(scene.rootfs));
}

TEST_CASE("sif-mount --bundle writes config.json over a writable rootfs", "[mount][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  TempDir dir;
  std::string sif = dir.file("app.sif");
  make_busybox_sif(sif, R"({"Entrypoint": ["/bin/echo"], "Cmd": ["from", "the image"]})");
  std::string bundle = dir.file("bundle");
  auto mounted = sif_mount("--bundle " + sh_quote(bundle) + " " + sh_quote(sif));
  INFO(mounted.err);
  REQUIRE(mounted.exit_code == 0);
  UmountGuard guard{bundle};
  CHECK_THAT(mounted.out, Catch::Contains("wrote " + bundle));

  auto config = nlohmann::json::parse(file_bytes(bundle + "/config.json"));
  CHECK(config["root"]["path"] == "rootfs");
  CHECK(config["process"]["args"] == nlohmann::json::array({"/bin/echo", "from", "the image"}));
  CHECK(file_bytes(bundle + "/rootfs/opt/data/file") == "image data\n");
  std::filesystem::create_directories(bundle + "/rootfs/written"); // writable

  auto again = sif_mount("--bundle " + sh_quote(bundle) + " " + sh_quote(sif));
  CHECK(again.exit_code == exit_code(ErrorKind::conflict));

  auto unmounted = sif_umount(sh_quote(bundle));
  INFO(unmounted.err);
  REQUIRE(unmounted.exit_code == 0);
  guard.dir.clear();
  CHECK_FALSE(mounted_below(std::filesystem::canonical(dir.path()).string()));
  CHECK(std::filesystem::exists(bundle + "/config.json"));
  CHECK(std::filesystem::is_empty(bundle + "/rootfs"));
  CHECK(loop_devices_of(sif, true).empty());
}

TEST_CASE("sif-mount without DIR or with DIR and --bundle is a usage error", "[mount]") {
  TempDir dir;
  CHECK(sif_mount(sh_quote(dir.file("x.sif"))).exit_code == exit_code(ErrorKind::usage));
  CHECK(sif_mount("--bundle " + sh_quote(dir.file("b")) + " " + sh_quote(dir.file("x.sif")) + " " +
                  sh_quote(dir.file("d")))
            .exit_code == exit_code(ErrorKind::usage));
  CHECK(sif_mount("--kernel --fuse " + sh_quote(dir.file("x.sif")) + " " + sh_quote(dir.file("d")))
            .exit_code == exit_code(ErrorKind::usage));
  auto help = sif_mount("--help");
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("Examples:"));
}

TEST_CASE("every mount sif-mount makes is nosuid and nodev", "[mount][sif-mount][hostile][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  TempDir dir;
  std::string sif = dir.file("app.sif");
  make_busybox_sif(sif, R"({"Cmd": ["true"]})", 2); // a bundle's config needs a command
  for (const char* method : {"--kernel", "--fuse"}) {
    if (std::string(method) == "--fuse" && !can_mount_with_fuse()) {
      continue;
    }
    for (const char* mode : {"--read-only", "--writable", "--bundle"}) {
      INFO(method << " " << mode);
      std::string target = dir.file(std::string("target") + method + mode);
      bool bundle = std::string(mode) == "--bundle";
      if (!bundle) {
        std::filesystem::create_directory(target);
      }
      auto mounted =
          sif_mount(std::string(method) + " --json " +
                    (bundle ? "--bundle " + sh_quote(target) + " " + sh_quote(sif)
                            : std::string(mode) + " " + sh_quote(sif) + " " + sh_quote(target)));
      INFO(mounted.err);
      REQUIRE(mounted.exit_code == 0);
      UmountGuard guard{target};
      auto record = nlohmann::json::parse(mounted.out);
      auto table = read_mount_table();
      REQUIRE(table);
      REQUIRE(record["entries"].size() >= 3); // two layers and the overlay, at least
      for (const auto& entry : record["entries"]) {
        std::string point = entry["target"];
        INFO(entry.dump());
        std::string options;
        for (const auto& mount : *table) {
          if (mount.mount_point == point) {
            options = mount.options; // the last one: the top of the stack
          }
        }
        REQUIRE_FALSE(options.empty());
        auto has = [&options](const std::string& flag) {
          return ("," + options + ",").find("," + flag + ",") != std::string::npos;
        };
        CHECK(has("nosuid"));
        CHECK(has("nodev"));
      }
    }
  }
}

TEST_CASE("sif-mount refuses a mount point or bundle rootfs that is a link and mounts nothing",
          "[mount][sif-mount][hostile][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  TempDir dir;
  std::string sif = dir.file("app.sif");
  make_busybox_sif(sif);
  std::string empty = dir.file("empty"); // root's own empty directory
  std::filesystem::create_directory(empty);
  std::string link = dir.file("link");
  std::filesystem::create_directory_symlink(empty, link);
  std::string bundle = dir.file("bundle");
  std::filesystem::create_directory(bundle);
  std::filesystem::create_directory_symlink(empty, bundle + "/rootfs");

  auto plain = sif_mount(sh_quote(sif) + " " + sh_quote(link));
  UmountGuard plain_guard{empty};
  CHECK(plain.exit_code == exit_code(ErrorKind::usage));
  CHECK_THAT(plain.err, Catch::Contains("symbolic link"));
  auto in_bundle = sif_mount("--bundle " + sh_quote(bundle) + " " + sh_quote(sif));
  CHECK(in_bundle.exit_code == exit_code(ErrorKind::usage));
  CHECK_THAT(in_bundle.err, Catch::Contains(bundle + "/rootfs"));
  CHECK_FALSE(mounted_below(std::filesystem::canonical(dir.path()).string()));
  CHECK(std::filesystem::is_empty(empty));
  CHECK_FALSE(std::filesystem::exists(bundle + "/config.json"));
}

TEST_CASE("sif-mount as root refuses a directory another account owns",
          "[mount][sif-mount][hostile][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  auto account = find_account("sifkit-test");
  if (!account) {
    SIFKIT_SKIP(account, "the account sifkit-test is missing (scripts/setup.sh makes it)");
    return;
  }
  TempDir dir;
  std::string sif = dir.file("app.sif");
  make_busybox_sif(sif);
  std::string theirs = dir.file("theirs");
  std::string bundle = dir.file("bundle");
  for (const auto& path : {theirs, bundle}) {
    std::filesystem::create_directory(path);
    REQUIRE(::chown(path.c_str(), account->uid, account->gid) == 0);
  }
  auto plain = sif_mount(sh_quote(sif) + " " + sh_quote(theirs));
  UmountGuard plain_guard{theirs};
  CHECK(plain.exit_code == exit_code(ErrorKind::usage));
  CHECK_THAT(plain.err, Catch::Contains("uid " + std::to_string(account->uid)));
  auto in_bundle = sif_mount("--bundle " + sh_quote(bundle) + " " + sh_quote(sif));
  UmountGuard bundle_guard{bundle};
  CHECK(in_bundle.exit_code == exit_code(ErrorKind::usage));
  CHECK_FALSE(mounted_below(std::filesystem::canonical(dir.path()).string()));
  CHECK(std::filesystem::is_empty(bundle));
}

TEST_CASE("sif-umount refuses a link to a sif-mount and leaves the mount",
          "[mount][sif-mount][hostile][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  MountScene scene;
  auto mounted = sif_mount(sh_quote(scene.sif) + " " + sh_quote(scene.rootfs));
  INFO(mounted.err);
  REQUIRE(mounted.exit_code == 0);
  UmountGuard guard{scene.rootfs};
  std::string link = scene.dir.file("link");
  std::filesystem::create_directory_symlink(scene.rootfs, link);
  auto refused = sif_umount(sh_quote(link));
  CHECK(refused.exit_code == exit_code(ErrorKind::usage));
  CHECK(refused.out.find("unmounted") == std::string::npos);
  CHECK(mounted_below(std::filesystem::canonical(scene.rootfs).string()));
  auto unmounted = sif_umount(sh_quote(scene.rootfs));
  INFO(unmounted.err);
  CHECK(unmounted.exit_code == 0);
  CHECK_FALSE(mounted_below(std::filesystem::canonical(scene.rootfs).string()));
}

TEST_CASE("sif-umount never says unmounted when the mount was moved away under a renamed parent",
          "[mount][sif-mount][hostile][root]") {
  if (!can_mount_with_kernel()) {
    return;
  }
  TempDir dir;
  std::string sif = dir.file("app.sif");
  make_busybox_sif(sif);
  std::string parent = dir.file("parent");
  std::string moved = dir.file("moved");
  std::filesystem::create_directories(parent + "/mnt");
  auto mounted = sif_mount(sh_quote(sif) + " " + sh_quote(parent + "/mnt"));
  INFO(mounted.err);
  REQUIRE(mounted.exit_code == 0);
  UmountGuard guard{parent + "/mnt"};
  // What the owner of the parent could do: move the mount away, leave an empty stand-in.
  std::filesystem::rename(parent, moved);
  std::filesystem::create_directories(parent + "/mnt");
  auto refused = sif_umount(sh_quote(parent + "/mnt"));
  CHECK(refused.exit_code == exit_code(ErrorKind::conflict));
  CHECK_THAT(refused.err, Catch::Contains(moved + "/mnt"));
  CHECK(refused.out.find("unmounted") == std::string::npos);
  CHECK(mounted_below(std::filesystem::canonical(moved).string()));
  // A link in its place names another session's key: nothing is unmounted either.
  std::filesystem::remove_all(parent);
  std::filesystem::create_directory_symlink(moved, parent);
  auto linked = sif_umount(sh_quote(parent + "/mnt"));
  CHECK(linked.exit_code != 0);
  CHECK(linked.out.find("unmounted") == std::string::npos);
  CHECK(mounted_below(std::filesystem::canonical(moved).string()));
  std::filesystem::remove(parent);
  std::filesystem::rename(moved, parent);
  auto unmounted = sif_umount(sh_quote(parent + "/mnt"));
  INFO(unmounted.err);
  CHECK(unmounted.exit_code == 0);
  CHECK_FALSE(mounted_below(std::filesystem::canonical(dir.path()).string()));
}
