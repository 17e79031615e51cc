#pragma once

#include <sstream>
#include <string>

namespace sifkit::test {

// What a skipping test lacks here. A strict run (SIFKIT_STRICT_SKIPS=1, which
// scripts/test.sh sets on a machine with root, crun, runc and /dev/fuse) turns a skip for
// anything but `host` into a failure: there, scripts/setup.sh provides the rest.
enum class Lack {
  root,    // the effective user is not root
  program, // a program or package scripts/setup.sh installs (busybox, skopeo, mkfs.ext3...)
  account, // a test account scripts/setup.sh creates (sifkit-test, sifkit-nosubid)
  runtime, // crun or runc missing, or unusable on this host's cgroups
  fuse,    // FUSE mounting (/dev/fuse, squashfuse, fuse-overlayfs, fuse2fs)
  host,    // what setup cannot give: a cgroup layout, a GPU or its absence, a Docker
           // daemon, a capability taken away by a container, a small enough disk
};

// The exit status of the test binary when every case it ran passed but one or more
// skipped all or part of their checks; CTest reports such a case as skipped, not passed.
inline constexpr int k_skip_exit_code = 77;

// Records that the running test case skipped (all or part of) its checks for `reason`:
// warns with "SKIPPED: reason", appends "case<TAB>reason" to $SIFKIT_SKIP_LOG when set,
// and makes the binary exit with k_skip_exit_code. In a strict run a `lack` other than
// Lack::host fails the case instead.
void skip(Lack lack, const std::string& reason);

// How many skips the cases run so far recorded.
int skip_count();

} // namespace sifkit::test

// SIFKIT_SKIP(lack, stream expression): skip() with a reason built as for Catch's WARN.
// The caller returns (or leaves the loop) itself.
#define SIFKIT_SKIP(lack, reason)                                                                  \
  do {                                                                                             \
    std::ostringstream sifkit_skip_reason_;                                                        \
    sifkit_skip_reason_ << reason;                                                                 \
    ::sifkit::test::skip(::sifkit::test::Lack::lack, sifkit_skip_reason_.str());                   \
  } while (false)
