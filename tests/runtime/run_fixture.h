#pragma once

// Test support for the runtime tests: small runnable OCI-SIF images made from the host's
// static busybox (Debian's busybox-static), with the image config a test asks for.
#include <convert/image_builder.h>

#include <cstdint>
#include <string>
#include <vector>

#include <support/fixtures.h>

namespace sifkit::test {

// True when /bin/busybox is a static executable these images can be built from.
bool have_static_busybox();

// Writes an OCI-SIF at `out_sif` holding one image: /bin/busybox and its applets as
// symlinks in /bin, /etc/passwd (root 0, app 1000:1000 home /home/app, nobody
// 65534), /etc/group (root 0, app 1000, users 100), /home/app (1000:1000),
// /tmp (1777), /var/tmp, /etc/hostname-marker "image", /opt/data/file "image data".
// `runtime_config` is the image config's "config" object (Entrypoint, Cmd, Env, User,
// WorkingDir, ...) as JSON text. `layers` > 1 splits the content over that many layers
// (kept as separate squashfs layers: a --keep-layers image). Fails the test on error.
void make_busybox_sif(const std::string& out_sif, const std::string& runtime_config = "{}",
                      int layers = 1);

// make_busybox_sif with the entries `top` (tests/convert/image_builder.h: files, links,
// FIFOs a hostile image plants) as one more layer over the image, all squashed into one
// layer: an entry of `top` replaces the busybox image's entry at the same path.
void make_busybox_sif_with(const std::string& out_sif, const std::vector<TarEntry>& top,
                           const std::string& runtime_config = "{}");

} // namespace sifkit::test

namespace sifkit::test {

// Writes an OCI layout of the static busybox image at `layout` (scripts/busybox-image.sh,
// tag latest); fails the test when it cannot.
void make_busybox_layout(const std::string& layout);

// The OCI runtimes the run tests use here: runc when installed, crun when installed and
// usable on this host's cgroups. Each one missing records a skip (support/skip.h).
std::vector<std::string> usable_runtimes();

// Runs `sif-run ARGS` (a shell fragment) with state directory `state_dir`
// ($SIFKIT_STATE_DIR) and stdin from /dev/null; stdout and stderr captured.
CommandResult sif_run(const std::string& state_dir, const std::string& args);

// What runs with state directory `state_dir` left behind for `sif`: loop devices backing
// it, mounts under the state directory, FUSE daemons reading it, run sessions. Empty
// when nothing is left.
std::string run_leftovers(const std::string& sif, const std::string& state_dir);

// True when the run tests that need root can run here: the effective uid is 0 and the
// static busybox the images are made from exists. Otherwise records a skip
// with `why_root` (what root is needed for) or the missing busybox, and returns false.
bool can_run_containers_as_root(const std::string& why_root);

// Checks, as the host sees them, that the run sessions under `state_dir`/runs hold a
// bundle but none of a run's scratch files (mount record, layer and overlay directories,
// generated files): those live in the run's own mount namespace.
void check_session_holds_no_scratch(const std::string& state_dir);

// A `sleep N` command whose command line no other process has, so a test can find it.
std::string unique_sleep();

// Waits (up to 10 s) until a process whose command line is exactly `command` runs;
// returns its pid, or 0.
int wait_for_process(const std::string& command);

// SingularityCE's default capability set as a CapEff mask (what /proc/self/status shows).
std::uint64_t default_caps_mask();

// One busybox image (make_busybox_sif with `config` and `layers`) and one state directory,
// in a directory of its own.
struct RunCase {
  TempDir dir;
  std::string sif = dir.file("image.sif");
  std::string state = dir.file("state");
  explicit RunCase(const std::string& config = "{}", int layers = 1);
  // `sif-run --runtime RUNTIME ARGS` with this case's state directory.
  CommandResult run(const std::string& runtime, const std::string& args) const;
  // What the runs of this case left behind (run_leftovers); empty when nothing.
  std::string leftovers() const { return run_leftovers(sif, state); }
  // Checks that nothing is left behind.
  void check_clean() const;
};

} // namespace sifkit::test
