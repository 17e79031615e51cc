#include "runtime/run_fixture.h"

#include <common/program.h>
#include <convert/image_builder.h>
#include <convert/oci_convert.h>
#include <runtime/cgroup/cgroup.h>
#include <runtime/launch/launch.h>
#include <sif/oci_layout.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <support/fixtures.h>

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

namespace {

void build_busybox_sif(const std::string& out_sif, const std::string& runtime_config, int layers,
                       const Layer& top) {
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
  if (!top.empty()) {
    all.push_back(top);
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

} // namespace

void make_busybox_sif(const std::string& out_sif, const std::string& runtime_config, int layers) {
  build_busybox_sif(out_sif, runtime_config, layers, {});
}

void make_busybox_sif_with(const std::string& out_sif, const std::vector<TarEntry>& top,
                           const std::string& runtime_config) {
  build_busybox_sif(out_sif, runtime_config, 1, top);
}

} // namespace sifkit::test

namespace sifkit::test {

void make_busybox_layout(const std::string& layout) {
  auto made = run_command("bash " + shell_quote(source_file("scripts/busybox-image.sh")) + " " +
                          shell_quote(layout));
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
}

std::vector<std::string> usable_runtimes() {
  std::vector<std::string> out;
  auto cgroups = runtime::detect_cgroups();
  if (!find_program("crun")) {
    SIFKIT_SKIP(runtime, "crun is not installed; crun cases not run");
  } else if (cgroups && runtime::crun_cgroup_problem(*cgroups)) {
    SIFKIT_SKIP(runtime, "crun cannot run on this host's cgroups: "
                             << *runtime::crun_cgroup_problem(*cgroups));
  } else {
    out.push_back("crun");
  }
  if (!find_program("runc")) {
    SIFKIT_SKIP(runtime, "runc is not installed; runc cases not run");
  } else {
    out.push_back("runc");
  }
  return out;
}

CommandResult sif_run(const std::string& state_dir, const std::string& args) {
  return run_command("SIFKIT_STATE_DIR=" + shell_quote(state_dir) + " " + tool("sif-run") + " " +
                     args + " </dev/null");
}

std::string run_leftovers(const std::string& sif, const std::string& state_dir) {
  std::string out;
  auto loops = run_command("losetup -j " + shell_quote(sif));
  if (!loops.out.empty()) {
    out += "loop devices: " + loops.out;
  }
  auto mounts = run_command("grep -F -e " + shell_quote(state_dir) + " /proc/self/mountinfo");
  if (!mounts.out.empty()) {
    out += "mounts: " + mounts.out;
  }
  // By process name (not -f, which would match the shell running pgrep), then by image.
  auto daemons = run_command("pgrep -a 'squashfuse|fuse-overlayfs|fuse2fs'");
  std::istringstream lines(daemons.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(sif) != std::string::npos || line.find(state_dir) != std::string::npos) {
      out += "FUSE daemon: " + line + "\n";
    }
  }
  auto sessions = run_command("ls -A " + shell_quote(state_dir + "/runs") + " 2>/dev/null");
  if (!sessions.out.empty()) {
    out += "run sessions: " + sessions.out;
  }
  return out;
}

bool can_run_containers_as_root(const std::string& why_root) {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, why_root);
    return false;
  }
  if (!have_static_busybox()) {
    SIFKIT_SKIP(program, "/bin/busybox (Debian's busybox-static) is missing");
    return false;
  }
  return true;
}

RunCase::RunCase(const std::string& config, int layers) {
  make_busybox_sif(sif, config, layers);
}

CommandResult RunCase::run(const std::string& runtime, const std::string& args) const {
  return sif_run(state, "--runtime " + runtime + " " + args);
}

void RunCase::check_clean() const {
  CHECK(leftovers() == "");
}

void check_session_holds_no_scratch(const std::string& state_dir) {
  std::vector<std::string> names;
  for (const auto& run : std::filesystem::directory_iterator(state_dir + "/runs")) {
    for (const auto& entry : std::filesystem::directory_iterator(run.path())) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  std::string seen;
  for (const auto& name : names) {
    seen += name + " ";
  }
  INFO("session entries: " << seen);
  CHECK(std::find(names.begin(), names.end(), "bundle") != names.end());
  for (const char* scratch : {"mounts.json", "layers", "overlay", "files"}) {
    CHECK(std::find(names.begin(), names.end(), scratch) == names.end());
  }
}

std::string unique_sleep() {
  std::random_device device;
  return "sleep " + std::to_string(100000 + device() % 800000);
}

int wait_for_process(const std::string& command) {
  for (int i = 0; i < 100; ++i) {
    auto found = run_command("pgrep -x -f " + shell_quote(command));
    if (found.exit_code == 0) {
      return std::stoi(found.out);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}

std::uint64_t default_caps_mask() {
  std::uint64_t mask = 0;
  for (int bit : {0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31, 37}) {
    mask |= std::uint64_t{1} << bit;
  }
  return mask;
}

} // namespace sifkit::test
