// The rooms of runtime/ as ARCHITECTURE.md draws them: each room includes only the rooms
// below it, and only their public header (runtime/<room>/<room>.h); run.* sits above the
// rooms, instance/ above run.*; tools/ include public headers only.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "support/fixtures.h"
#include <catch2/catch.hpp>

namespace {

namespace fs = std::filesystem;

// Bottom to top. "run" stands for runtime/run.h and run.cpp.
const std::vector<std::string> k_layers = {"image",   "identity", "mount",   "cgroup",
                                           "devices", "spec",     "launch",  "session",
                                           "oci",     "run",      "instance"};

int layer_of(const std::string& room) {
  auto at = std::find(k_layers.begin(), k_layers.end(), room);
  return at == k_layers.end() ? -1 : static_cast<int>(at - k_layers.begin());
}

// The room of a path below runtime/ ("mount/unmount.cpp" → mount, "run.h" → run).
std::string room_of(const std::string& relative) {
  auto slash = relative.find('/');
  return slash == std::string::npos ? "run" : relative.substr(0, slash);
}

std::vector<std::string> runtime_includes(const fs::path& file) {
  static const std::regex include(R"(^#include [<"]runtime/([a-z_/]+\.h)[>"])");
  std::vector<std::string> found;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    if (std::regex_search(line, match, include)) {
      found.push_back(match[1]);
    }
  }
  return found;
}

// What is wrong with `file` (of room `from`, -1 outside runtime/) including
// runtime/`header`; empty when nothing is.
std::string violation(const std::string& from, const std::string& header) {
  std::string to = room_of(header);
  if (layer_of(to) < 0) {
    return "runtime/" + header + " is in no room";
  }
  bool is_public = to == "run" || header == to + "/" + to + ".h";
  if (to == from) {
    return "";
  }
  if (!is_public) {
    return "runtime/" + header + " is internal to runtime/" + to + "/";
  }
  if (!from.empty() && layer_of(to) > layer_of(from)) {
    return "runtime/" + to + " is above runtime/" + from;
  }
  return "";
}

std::vector<std::string> violations_below(const fs::path& root, bool in_runtime, int& scanned) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".h" && ext != ".cpp")) {
      continue;
    }
    ++scanned;
    std::string relative = fs::relative(entry.path(), root).string();
    std::string from = in_runtime ? room_of(relative) : "";
    if (in_runtime && layer_of(from) < 0) {
      found.push_back("runtime/" + relative + " is in no room");
      continue;
    }
    for (const auto& header : runtime_includes(entry.path())) {
      if (auto why = violation(from, header); !why.empty()) {
        found.push_back(root.filename().string() + "/" + relative + ": " + why);
      }
    }
  }
  return found;
}

} // namespace

TEST_CASE("a room of runtime/ includes only the public headers of the rooms below it", "[layers]") {
  int scanned = 0;
  auto found = violations_below(sifkit::test::source_file("runtime"), true, scanned);
  CHECK(scanned > 60);
  for (const auto& line : found) {
    UNSCOPED_INFO(line);
  }
  CHECK(found.empty());
}

TEST_CASE("tools include only the public headers of runtime's rooms", "[layers]") {
  int scanned = 0;
  auto found = violations_below(sifkit::test::source_file("tools"), false, scanned);
  CHECK(scanned > 40);
  for (const auto& line : found) {
    UNSCOPED_INFO(line);
  }
  CHECK(found.empty());
}

TEST_CASE("the layer check sees an upward include and an internal header", "[layers]") {
  CHECK(violation("mount", "spec/spec.h") == "runtime/spec is above runtime/mount");
  CHECK(violation("spec", "mount/loop_device.h") ==
        "runtime/mount/loop_device.h is internal to runtime/mount/");
  CHECK(violation("", "mount/fuse_mount.h") ==
        "runtime/mount/fuse_mount.h is internal to runtime/mount/");
  CHECK(violation("instance", "run.h").empty());
  CHECK(violation("oci", "run.h") == "runtime/run is above runtime/oci");
  CHECK(violation("mount", "mount/loop_device.h").empty());
  CHECK(violation("spec", "mount/mount.h").empty());
}
