#include "runtime/run_fixture.h"

#include <convert/image_builder.h>
#include <convert/oci_convert.h>
#include <sif/oci_layout.h>
#include <support/fixtures.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sifkit::test {

namespace {

std::vector<std::string> busybox_applets() {
  auto listed = run_command("/bin/busybox --list");
  REQUIRE(listed.exit_code == 0);
  std::vector<std::string> names;
  std::istringstream in(listed.out);
  for (std::string name; std::getline(in, name);) {
    if (!name.empty() && name != "busybox") {
      names.push_back(name);
    }
  }
  return names;
}

} // namespace

bool have_static_busybox() {
  if (!std::filesystem::exists("/bin/busybox")) {
    return false;
  }
  auto file = run_command("file -L /bin/busybox");
  return file.exit_code != 0 || file.out.find("dynamically") == std::string::npos;
}

void make_busybox_sif(const std::string& out_sif, const std::string& runtime_config, int layers) {
  REQUIRE(have_static_busybox());
  Layer base;
  base.push_back(tar_dir("bin"));
  base.push_back(tar_file("bin/busybox", file_bytes("/bin/busybox"), 0755));
  for (const auto& applet : busybox_applets()) {
    base.push_back(tar_symlink("bin/" + applet, "busybox"));
  }
  base.push_back(tar_dir("etc"));
  base.push_back(tar_file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                        "app:x:1000:1000:App User:/home/app:/bin/sh\n"
                                        "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"));
  base.push_back(tar_file("etc/group", "root:x:0:\napp:x:1000:\nusers:x:100:app\n"
                                       "nogroup:x:65534:\n"));
  base.push_back(tar_dir("home"));
  auto home = tar_dir("home/app");
  home.uid = 1000;
  home.gid = 1000;
  base.push_back(home);
  base.push_back(tar_dir("root", 0700));
  base.push_back(tar_dir("tmp", 01777));
  base.push_back(tar_dir("var"));
  base.push_back(tar_dir("var/tmp", 01777));
  base.push_back(tar_dir("proc"));
  base.push_back(tar_dir("sys"));
  base.push_back(tar_dir("dev"));
  Layer extra;
  extra.push_back(tar_dir("opt"));
  extra.push_back(tar_dir("opt/data"));
  extra.push_back(tar_file("opt/data/file", "image data\n"));
  extra.push_back(tar_file("etc/hostname-marker", "image\n"));

  std::vector<Layer> all;
  if (layers <= 1) {
    Layer merged = base;
    merged.insert(merged.end(), extra.begin(), extra.end());
    all.push_back(std::move(merged));
  } else {
    all.push_back(std::move(base));
    all.push_back(std::move(extra));
    for (int i = 2; i < layers; ++i) {
      all.push_back(Layer{tar_file("opt/layer-" + std::to_string(i + 1), "layer\n")});
    }
  }
  TempDir work;
  auto image = write_oci_image(work.file("layout"), all, "test", runtime_config);
  auto layout = oci::OciLayout::open(image.dir);
  REQUIRE(layout);
  REQUIRE(layout->index().manifests.size() == 1);
  convert::ConvertOptions options;
  options.layers = layers > 1 ? convert::LayerMode::keep_layers : convert::LayerMode::squash;
  auto converted =
      convert::convert_image(*layout, layout->index().manifests[0].digest, out_sif, options);
  if (!converted) {
    FAIL("converting the busybox test image failed: " << converted.error().what());
  }
}

} // namespace sifkit::test
