// The layer-conversion images of upstream's own tests (sylabs/oci-tools test/images:
// whiteouts, opaque directories, hardlinks deleted or replaced above, AUFS and overlayfs
// forms, a root directory entry) converted by squash_image and compared with what
// `umoci unpack` makes of the same image.
#include <convert/oci_convert.h>
#include <sif/oci_layout.h>

#include "convert/image_builder.h"
#include "convert/tree_snapshot.h"
#include "support/fixtures.h"
#include <catch2/catch.hpp>

namespace sifkit::test {

namespace {

// Copies fixture layout `name` into `dir` as an OCI image tagged "test" (umoci reads no
// Docker v2 manifests; skopeo converts the manifest and keeps the layer bytes).
std::string oci_copy(const std::string& name, const std::string& dir) {
  auto copied = run_command(
      "skopeo copy -q --format oci oci:" + fixture("oci-sif-upstream/test/images/" + name) +
      " oci:" + dir + ":test");
  INFO(copied.err);
  REQUIRE(copied.exit_code == 0);
  return dir;
}

} // namespace

TEST_CASE("upstream's layer-conversion images squash to what umoci unpacks", "[convert][root]") {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "comparing with umoci needs root (owners and devices)");
    return;
  }
  if (!have_program("umoci") || !have_program("unsquashfs") || !have_program("skopeo")) {
    SIFKIT_SKIP(program, "comparing with umoci needs umoci, skopeo and unsquashfs");
    return;
  }
  for (std::string name : {"hard-link-1", "hard-link-2", "hard-link-delete-1", "hard-link-delete-2",
                           "hard-link-delete-3", "hard-link-delete-4", "hard-link-delete-xattr",
                           "root-dir-entry", "whiteout-explicit-dir", "whiteout-explicit-file",
                           "whiteout-opaque", "whiteout-opaque-end"}) {
    DYNAMIC_SECTION(name) {
      TempDir tmp;
      std::string layout_dir = oci_copy(name, tmp.file("layout"));
      auto layout = oci::OciLayout::open(layout_dir);
      REQUIRE(layout.has_value());
      Digest manifest = layout->index().manifests.at(0).digest;
      auto stats = convert::squash_image(*layout, manifest, tmp.file("out.sqfs"), {});
      INFO((stats ? std::string() : stats.error().what()));
      REQUIRE(stats.has_value());

      unsquash(tmp.file("out.sqfs"), tmp.file("ours"));
      // raw unpack: these test images' configs name no OS, which a runtime bundle needs.
      auto unpacked =
          run_command("umoci raw unpack --image " + layout_dir + ":test " + tmp.file("rootfs"));
      INFO(unpacked.err);
      REQUIRE(unpacked.exit_code == 0);
      CompareOptions options;
      options.root_node = false; // the image root is 0:0 0755 mtime 0 by design
      std::string diff =
          diff_trees(snapshot_tree(tmp.file("rootfs")), snapshot_tree(tmp.file("ours")), options);
      INFO("differences (expected: umoci unpack, actual: our squashfs):\n" << diff);
      CHECK(diff.empty());
    }
  }
}

TEST_CASE("upstream's AUFS image, whose blobs do not match their descriptors, is refused",
          "[convert]") {
  // Its manifest and layer differ from the sizes and digests that name them (skopeo
  // refuses it too): the conversion must say so rather than convert something else.
  auto layout =
      oci::OciLayout::open(fixture("oci-sif-upstream/test/images/aufs-docker-v2-manifest"));
  REQUIRE(layout.has_value());
  TempDir tmp;
  auto stats = convert::squash_image(*layout, layout->index().manifests.at(0).digest,
                                     tmp.file("out.sqfs"), {});
  REQUIRE_FALSE(stats.has_value());
  CHECK(stats.error().kind() == ErrorKind::corrupt_input);
}

} // namespace sifkit::test
