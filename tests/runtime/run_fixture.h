#pragma once

// Test support for the runtime tests: small runnable OCI-SIF images made from the host's
// static busybox (Debian's busybox-static), with the image config a test asks for.
#include <string>

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

} // namespace sifkit::test
