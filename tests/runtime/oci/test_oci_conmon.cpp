// conmon's files in a bundle: removed through the bundle opened without links.
#include <common/file.h>
#include <runtime/oci/oci_conmon.h>

#include <filesystem>

#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <sys/stat.h>

using namespace sifkit;
using namespace sifkit::test;

TEST_CASE("conmon's fifos go from the bundle, and never through a link to another directory",
          "[oci][hostile]") {
  TempDir dir;
  std::string bundle = dir.file("bundle");
  std::string elsewhere = dir.file("elsewhere");
  std::filesystem::create_directories(bundle);
  std::filesystem::create_directories(elsewhere);
  for (const std::string& d : {bundle, elsewhere}) {
    REQUIRE(::mkfifo((d + "/ctl").c_str(), 0600) == 0);
    REQUIRE(::mkfifo((d + "/winsz").c_str(), 0600) == 0);
  }

  REQUIRE(write_file_atomic(bundle + "/attach", "a regular file is not conmon's"));
  std::filesystem::create_symlink(elsewhere, dir.file("link"));

  runtime::remove_conmon_files(dir.file("link"));
  CHECK(std::filesystem::exists(elsewhere + "/ctl"));
  CHECK(std::filesystem::exists(elsewhere + "/winsz"));

  runtime::remove_conmon_files(bundle);
  CHECK_FALSE(std::filesystem::exists(bundle + "/ctl"));
  CHECK_FALSE(std::filesystem::exists(bundle + "/winsz"));
  CHECK(std::filesystem::exists(bundle + "/attach"));
}
