// The state directory without XDG_RUNTIME_DIR: /tmp/sifkit-UID is a name any user can take
// first; a run then uses a private directory of its own, and never state another user owns.
#include <runtime/session/session.h>

#include <filesystem>
#include <string>

#include "runtime/account_fixture.h"
#include <catch2/catch.hpp>
#include <support/fixtures.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::runtime;
using namespace sifkit::test;
namespace fs = std::filesystem;

namespace {

struct stat lstat_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st;
}

} // namespace

TEST_CASE("the state directory is base/sifkit-UID, made private when missing", "[run][state]") {
  TempDir base;
  uid_t uid = ::geteuid();
  auto dir = private_state_dir(base.path().string(), uid);
  REQUIRE(dir.has_value());
  CHECK(*dir == base.file("sifkit-" + std::to_string(uid)));
  struct stat st = lstat_of(*dir);
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 0777) == 0700);
  CHECK(private_state_dir(base.path().string(), uid).value_or("") == *dir);
}

TEST_CASE("a state directory another user made first is never used: a private one instead",
          "[run][state][hostile][root]") {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "another account's directory is made by root");
    return;
  }
  auto other = find_account("sifkit-test");
  if (!other) {
    SIFKIT_SKIP(account, "the account sifkit-test is missing: run scripts/setup.sh");
    return;
  }
  TempDir base;
  std::string taken = base.file("sifkit-0");
  std::string link_target = base.file("elsewhere");
  fs::create_directory(link_target);

  SECTION("a directory of another user's") {
    fs::create_directory(taken);
    fs::permissions(taken, fs::perms(0700));
    REQUIRE(::chown(taken.c_str(), other->uid, other->gid) == 0);
  }
  SECTION("a symlink to a directory of ours") {
    fs::create_directory_symlink(link_target, taken);
  }
  SECTION("a directory of ours that others can write to") {
    fs::create_directory(taken);
    fs::permissions(taken, fs::perms(0777));
  }
  // Not ours either: a fallback-shaped name another user made.
  std::string decoy = base.file("sifkit-0-AAAAAA");
  fs::create_directory(decoy);
  fs::permissions(decoy, fs::perms(0700));
  REQUIRE(::chown(decoy.c_str(), other->uid, other->gid) == 0);

  auto dir = private_state_dir(base.path().string(), 0);
  REQUIRE(dir.has_value());
  CHECK(*dir != taken);
  CHECK(*dir != decoy);
  CHECK(fs::path(*dir).filename().string().starts_with("sifkit-0-"));
  struct stat st = lstat_of(*dir);
  CHECK(S_ISDIR(st.st_mode));
  CHECK(st.st_uid == 0);
  CHECK((st.st_mode & 0777) == 0700);
  // Later runs, `sif-umount --stale` and `instance list` find the same one.
  CHECK(private_state_dir(base.path().string(), 0).value_or("") == *dir);
  CHECK(fs::is_empty(link_target));
}

TEST_CASE("a plain account runs when another user took /tmp/sifkit-UID first",
          "[run][state][unprivileged][hostile][root]") {
  if (!can_run_as_account("sifkit-nosubid")) {
    return;
  }
  auto squatter = find_account("sifkit-test");
  if (!squatter) {
    SIFKIT_SKIP(account, "the account sifkit-test is missing: run scripts/setup.sh");
    return;
  }
  auto runtimes = usable_runtimes();
  if (runtimes.empty()) {
    return;
  }
  AccountRun c(*find_account("sifkit-nosubid"), "{}");
  std::string uid = std::to_string(c.account.uid);
  std::string usual = "/tmp/sifkit-" + uid;
  // A /tmp of its own (a private mount namespace), so the accounts' real state is not
  // touched; the case's directory is bound back in at its path.
  std::string script =
      "exec 3<" + shell_quote(c.dir.path().string()) +
      " && mount -t tmpfs -o mode=1777 tmpfs /tmp && mkdir -p " +
      shell_quote(c.dir.path().string()) + " && mount -c --bind /proc/self/fd/3 " +
      shell_quote(c.dir.path().string()) + " && exec 3<&- && mkdir -m 0700 " + usual +
      " && chown " + squatter->name + " " + usual + " && env -u SIFKIT_STATE_DIR " +
      "-u XDG_RUNTIME_DIR HOME=" + shell_quote(c.home) + " " + as_account(c.account) +
      shell_quote(tool("sif-run")) + " --runtime " + runtimes.front() + " exec " +
      shell_quote(c.sif) + " true </dev/null && stat -c '%U %a' " + usual + " " + usual +
      "-* && ls -A " + usual + "-*/runs";
  auto r = run_command("unshare -m --propagation private sh -c " + shell_quote(script));
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == squatter->name + " 700\n" + c.account.name + " 700\n");
}
