#include "convert/squash_scenario.h"

#include <common/sha256.h>

#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <unistd.h>

namespace sifkit::test {

std::optional<ScenarioResult> run_scenario(const std::vector<Layer>& layers) {
  TempDir tmp;
  OciImage image = write_oci_image(tmp.file("image"), layers);
  ScenarioResult result;

  squash_files(image.layer_blobs, tmp.file("out.sqfs"));
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "reading the squashfs back with owners and devices needs root");
    return std::nullopt;
  }
  unsquash(tmp.file("out.sqfs"), tmp.file("ours"));
  result.ours = snapshot_tree(tmp.file("ours"));

  if (!have_program("umoci")) {
    SIFKIT_SKIP(program, "umoci not installed (comparison with umoci unpack)");
    return result;
  }
  umoci_unpack(image, tmp.file("bundle"));
  result.reference = snapshot_tree(tmp.file("bundle/rootfs"));
  result.compared = true;

  // Directory mtimes are left out: umoci and unsquashfs both set them, but umoci sets a
  // directory's before later entries land in it, so its values depend on entry order.
  std::string diff = diff_trees(result.reference, result.ours);
  INFO("differences (expected: umoci unpack, actual: our squashfs via unsquashfs):\n" << diff);
  CHECK(diff.empty());
  return result;
}

std::vector<Layer> rich_layers() {
  std::string big(3 * 128 * 1024 + 999, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>((i * 131 + i / 977) & 0xff);
  TarEntry daemon = tar_file("usr/sbin/daemon", big, 04750);
  daemon.gid = 10;
  // A vfs_cap_data v2 value: cap_net_bind_service, effective.
  std::string capability("\x01\x00\x00\x02\x00\x04\x00\x00", 8);
  capability.resize(20, '\0');
  daemon.xattrs = {{"security.capability", capability}, {"user.origin", "base"}};
  TarEntry tmp = tar_dir("tmp", 01777);
  Layer base = {tar_dir("usr"),
                tar_dir("usr/sbin"),
                daemon,
                tar_hardlink("usr/sbin/daemon-alias", "usr/sbin/daemon"),
                tar_dir("etc"),
                tar_file("etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
                tar_file("etc/motd", "hello"),
                tar_file("etc/empty", ""),
                tar_dir("opt/app"),
                tar_file("opt/app/a", big.substr(1000)),
                tar_file("opt/app/zeros", std::string(300000, '\0')),
                tar_device("dev/null", TarKind::char_device, 1, 3),
                tar_device("dev/sda", TarKind::block_device, 8, 0),
                tar_fifo("run/fifo"),
                tmp};
  Layer middle = {tar_whiteout("etc", "motd"),
                  tar_opaque("opt/app"),
                  tar_file("opt/app/c", big),
                  tar_hardlink("etc/passwd-link", "etc/passwd"),
                  tar_symlink("etc/localtime", "/usr/share/zoneinfo/UTC"),
                  tar_symlink("dangling", "nowhere"),
                  tar_dir("var/log", 0775)};
  Layer top = {tar_file("etc/passwd", "root:x:0:0::/root:/bin/bash\n"),
               tar_file("var/log/app.log", std::string(128 * 1024 * 2 + 7, 'l')),
               tar_hardlink("var/log/daemon", "usr/sbin/daemon")};
  return {base, middle, top};
}

std::string content_hash(const std::string& text) {
  return sha256_hex(text);
}

} // namespace sifkit::test
