#include <common/program.h>
#include <runtime/cgroup/cgroup.h>
#include <runtime/launch/launch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <support/fixtures.h>

using namespace sifkit;
using namespace sifkit::runtime;

namespace {

// A mountinfo file whose cgroup2 line points at `v2_dir` (which holds cgroup.controllers).
std::string write_mountinfo(const test::TempDir& dir, bool v1, const std::string& v2_dir) {
  std::string text = "22 1 0:21 / /proc rw,nosuid - proc proc rw\n";
  if (v1) {
    text += "30 25 0:26 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
            "31 25 0:27 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n";
  }
  if (!v2_dir.empty()) {
    text += "29 25 0:25 / " + v2_dir + " rw,relatime shared:8 - cgroup2 cgroup2 rw\n";
  }
  std::ofstream(dir.file("mountinfo")) << text;
  return dir.file("mountinfo");
}

} // namespace

TEST_CASE("a host with v1 hierarchies and a cgroup2 mount holding controllers is hybrid and "
          "crun gets a message that says what to change",
          "[runtime][cgroups]") {
  test::TempDir dir;
  std::filesystem::create_directory(dir.file("unified"));
  std::ofstream(dir.file("unified/cgroup.controllers")) << "hugetlb rdma\n";
  auto info = detect_cgroups(write_mountinfo(dir, true, dir.file("unified")));
  REQUIRE(info);
  CHECK(info->layout == CgroupLayout::hybrid);
  CHECK(info->v1_mounts.size() == 2);
  CHECK(info->v2_controllers == std::vector<std::string>{"hugetlb", "rdma"});
  auto problem = crun_cgroup_problem(*info);
  REQUIRE(problem);
  CHECK_THAT(*problem, Catch::Contains("hugetlb, rdma"));
  CHECK_THAT(*problem, Catch::Contains("mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb"));
  CHECK_THAT(*problem, Catch::Contains("--runtime runc"));
}

TEST_CASE("a hybrid host whose v2 hierarchy holds no controller suits crun", "[runtime][cgroups]") {
  test::TempDir dir;
  std::filesystem::create_directory(dir.file("unified"));
  std::ofstream(dir.file("unified/cgroup.controllers")) << "\n";
  auto info = detect_cgroups(write_mountinfo(dir, true, dir.file("unified")));
  REQUIRE(info);
  CHECK(info->layout == CgroupLayout::hybrid);
  CHECK_FALSE(crun_cgroup_problem(*info));
}

TEST_CASE("unified, legacy and cgroup-less hosts are told apart", "[runtime][cgroups]") {
  test::TempDir dir;
  std::filesystem::create_directory(dir.file("cg"));
  std::ofstream(dir.file("cg/cgroup.controllers")) << "cpu memory pids\n";
  auto unified = detect_cgroups(write_mountinfo(dir, false, dir.file("cg")));
  REQUIRE(unified);
  CHECK(unified->layout == CgroupLayout::unified);
  CHECK_FALSE(crun_cgroup_problem(*unified));
  auto legacy = detect_cgroups(write_mountinfo(dir, true, ""));
  REQUIRE(legacy);
  CHECK(legacy->layout == CgroupLayout::legacy);
  auto none = detect_cgroups(write_mountinfo(dir, false, ""));
  REQUIRE(none);
  CHECK(none->layout == CgroupLayout::none);
  CHECK_FALSE(detect_cgroups(dir.file("missing")));
}

TEST_CASE("this host's cgroup layout agrees with findmnt's view of its mount table",
          "[runtime][cgroups]") {
  if (test::run_command("command -v findmnt").exit_code != 0) {
    SIFKIT_SKIP(program, "findmnt (util-linux) is missing");
    return;
  }
  auto info = detect_cgroups();
  REQUIRE(info);
  INFO("layout " << to_string(info->layout));
  // util-linux's own reading of the same table, as sorted lists of mount points.
  auto targets = [](const std::string& type) {
    std::vector<std::string> out;
    std::istringstream lines(test::run_command("findmnt -rn -t " + type + " -o TARGET").out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) {
        out.push_back(line);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  auto v1 = targets("cgroup");
  auto v2 = targets("cgroup2");
  std::vector<std::string> ours = info->v1_mounts;
  std::sort(ours.begin(), ours.end());
  CHECK(ours == v1);
  if (v2.empty()) {
    CHECK(info->v2_mount.empty());
  } else {
    CHECK(std::find(v2.begin(), v2.end(), info->v2_mount) != v2.end());
  }
  CgroupLayout expected = v1.empty() ? (v2.empty() ? CgroupLayout::none : CgroupLayout::unified)
                                     : (v2.empty() ? CgroupLayout::legacy : CgroupLayout::hybrid);
  CHECK(info->layout == expected);
}

TEST_CASE("the automatic runtime is crun unless the host's cgroups stop it, then runc",
          "[runtime][launcher]") {
  if (!find_program("crun") || !find_program("runc")) {
    SIFKIT_SKIP(runtime, "crun and runc are not both installed");
    return;
  }
  CgroupInfo fine;
  fine.layout = CgroupLayout::unified;
  auto chosen = select_runtime(std::nullopt, fine);
  REQUIRE(chosen);
  CHECK(chosen->name == "crun");

  CgroupInfo hybrid;
  hybrid.layout = CgroupLayout::hybrid;
  hybrid.v2_mount = "/sys/fs/cgroup/unified";
  hybrid.v2_controllers = {"hugetlb"};
  std::string told;
  auto fallback = select_runtime(std::nullopt, hybrid, [&](std::string_view t) { told = t; });
  REQUIRE(fallback);
  CHECK(fallback->name == "runc");
  CHECK_THAT(told, Catch::Contains("hybrid"));

  auto forced = select_runtime(std::string("crun"), hybrid);
  REQUIRE_FALSE(forced);
  CHECK(forced.error().kind() == ErrorKind::unsupported);
  CHECK_THAT(forced.error().what(), Catch::Contains("mount -t cgroup -o hugetlb"));

  auto by_path = select_runtime(*find_program("runc"), hybrid);
  REQUIRE(by_path);
  CHECK(by_path->name == "runc");

  auto missing = select_runtime(std::string("no-such-runtime"), fine);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind() == ErrorKind::not_found);
}
