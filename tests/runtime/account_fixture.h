#pragma once

// Test support for runs from a plain account: scripts/setup.sh creates sifkit-test (with
// /etc/subuid and /etc/subgid ranges) and sifkit-nosubid (without); a test running as root
// switches to one with setpriv, in a world-readable directory holding the image and a
// home of the account's own (its state directory lives there).
#include <runtime/run_fixture.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <pwd.h>
#include <support/fixtures.h>
#include <unistd.h>

namespace sifkit::test {

struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

inline std::optional<Account> find_account(const std::string& name) {
  const passwd* entry = ::getpwnam(name.c_str());
  if (entry == nullptr) {
    return std::nullopt;
  }
  return Account{name, entry->pw_uid, entry->pw_gid};
}

// The first range of `name` in the subid file `path` as "START COUNT"; empty when none.
inline std::string first_subid_range(const std::string& path, const std::string& name) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(name + ":")) {
      std::string rest = line.substr(name.size() + 1);
      auto colon = rest.find(':');
      return colon == std::string::npos ? "" : rest.substr(0, colon) + " " + rest.substr(colon + 1);
    }
  }
  return {};
}

inline std::string as_account(const Account& account) {
  return "setpriv --reuid=" + std::to_string(account.uid) +
         " --regid=" + std::to_string(account.gid) + " --init-groups ";
}

// True when runs from `account_name` can be tested here; otherwise records a skip
// (support/skip.h) naming what is missing and returns false. Needs root (to switch),
// setpriv, the account, user namespaces for it, /dev/fuse open to it, busybox.
inline bool can_run_as_account(const std::string& account_name) {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "the test switches to the account " << account_name
                                                          << " and so must start as root");
    return false;
  }
  if (run_command("command -v setpriv").exit_code != 0) {
    SIFKIT_SKIP(program, "setpriv (util-linux) is missing");
    return false;
  }
  auto account = find_account(account_name);
  if (!account) {
    SIFKIT_SKIP(account,
                "the test account " << account_name << " is missing: run scripts/setup.sh");
    return false;
  }
  if (run_command(as_account(*account) + "unshare -Ur true").exit_code != 0) {
    SIFKIT_SKIP(host, "this kernel does not let unprivileged users create user namespaces");
    return false;
  }
  if (run_command(as_account(*account) + "test -r /dev/fuse -a -w /dev/fuse").exit_code != 0) {
    SIFKIT_SKIP(fuse, "/dev/fuse is not open to unprivileged users here ("
                          << run_command("stat -c %A /dev/fuse").out.substr(0, 10)
                          << "): run scripts/setup.sh, which makes it 0666 as udev does");
    return false;
  }
  if (run_command(as_account(*account) + "test -x " + shell_quote(tool("sif-run"))).exit_code !=
      0) {
    SIFKIT_SKIP(account, "the built sif-run (" << tool("sif-run") << ") is not reachable for "
                                               << account_name
                                               << ": build in a world-readable directory");
    return false;
  }
  if (!have_static_busybox()) {
    SIFKIT_SKIP(program, "/bin/busybox (Debian's busybox-static) is missing");
    return false;
  }
  return true;
}

// An image in a world-readable temporary directory and a home (with the state directory)
// owned by `account`; runs sif-run as that account.
struct AccountRun {
  Account account;
  TempDir dir;
  std::string sif = dir.file("image.sif");
  std::string home = dir.file("home");
  std::string state = home + "/state";

  AccountRun(Account who, const std::string& config) : account(std::move(who)) {
    std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
    make_busybox_sif(sif, config);
    std::filesystem::permissions(sif, std::filesystem::perms(0644));
    std::filesystem::create_directory(home);
    REQUIRE(::chown(home.c_str(), account.uid, account.gid) == 0);
  }

  // The account's FUSE daemons (squashfuse, fuse-overlayfs) serving this case's image or
  // state, one command line each; other cases of the same account running at the same
  // time are not counted. Empty when none runs.
  std::string fuse_daemons() const {
    return run_command("pgrep -u " + std::to_string(account.uid) +
                       " -a 'squashfuse|fuse-overlayfs' | grep -F -- " +
                       shell_quote(dir.path().string()))
        .out;
  }

  // A directory owned by the account, for binds.
  std::string owned_dir(const std::string& name) const {
    std::string path = dir.file(name);
    std::filesystem::create_directory(path);
    REQUIRE(::chown(path.c_str(), account.uid, account.gid) == 0);
    return path;
  }

  // The shell command that runs `sif-run --runtime RUNTIME ARGS` as the account.
  std::string command(const std::string& runtime, const std::string& args) const {
    return "env -u XDG_RUNTIME_DIR HOME=" + shell_quote(home) +
           " SIFKIT_STATE_DIR=" + shell_quote(state) + " " + as_account(account) +
           shell_quote(tool("sif-run")) + " --runtime " + runtime + " " + args + " </dev/null";
  }

  CommandResult run(const std::string& runtime, const std::string& args) const {
    return run_command(command(runtime, args));
  }

  std::string leftovers() const { return run_leftovers(sif, state); }
};

// "a b c" for "  a   b c\n": a uid_map line with single spaces.
inline std::string squeeze(const std::string& text) {
  std::istringstream in(text);
  std::string out;
  for (std::string word; in >> word;) {
    out += (out.empty() ? "" : " ") + word;
  }
  return out;
}

} // namespace sifkit::test
