// Directories opened without following links: links, non-directories and other mounts
// refused with the caller's kind, creation next to a planted link, ownership, fd paths.
#include <common/in_root.h>
#include <common/path_fd.h>

#include <filesystem>
#include <fstream>

#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::test;
namespace fs = std::filesystem;

TEST_CASE("a directory beneath a root is opened only when no component is a link",
          "[path_fd][hostile]") {
  TempDir dir;
  std::string root_path = dir.file("root");
  fs::create_directories(root_path + "/real/inner");
  fs::create_directory_symlink("/", root_path + "/to-host");
  fs::create_directory_symlink("real", root_path + "/relative");
  std::ofstream(root_path + "/file") << "x";
  auto root = open_directory_nofollow(root_path);
  REQUIRE(root);

  auto inner = open_directory_beneath(*root, "real/inner", ErrorKind::corrupt_input);
  REQUIRE(inner);
  CHECK(descriptor_path(*inner).value() == fs::canonical(root_path + "/real/inner").string());
  CHECK(fs::equivalent(fd_path(inner->fd()), root_path + "/real/inner"));

  for (const char* name : {"to-host", "relative", "relative/inner", "file", "../root"}) {
    INFO(name);
    auto refused = open_directory_beneath(*root, name, ErrorKind::corrupt_input);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind() == ErrorKind::corrupt_input);
  }
  auto usage = open_directory_beneath(*root, "to-host", ErrorKind::usage);
  REQUIRE_FALSE(usage);
  CHECK(usage.error().kind() == ErrorKind::usage);
  CHECK(open_directory_beneath(*root, "missing", ErrorKind::usage).error().kind() ==
        ErrorKind::not_found);
}

TEST_CASE("creating a directory next to a planted link leaves the link's target alone",
          "[path_fd][hostile]") {
  TempDir dir;
  std::string root_path = dir.file("root");
  std::string elsewhere = dir.file("elsewhere");
  fs::create_directories(root_path);
  fs::create_directories(elsewhere);
  fs::create_directory_symlink(elsewhere, root_path + "/upper");
  auto root = open_directory_nofollow(root_path);
  REQUIRE(root);
  REQUIRE(make_directory_in(*root, "upper", 0755));
  REQUIRE(make_directory_in(*root, "work", 0755));
  CHECK(fs::is_directory(fs::symlink_status(root_path + "/work")));
  CHECK(fs::is_symlink(root_path + "/upper"));
  CHECK(fs::is_empty(elsewhere));
  CHECK_FALSE(open_directory_beneath(*root, "upper", ErrorKind::usage));
}

TEST_CASE("a directory path whose last component is a link is refused", "[path_fd][hostile]") {
  TempDir dir;
  std::string real = dir.file("real");
  fs::create_directory(real);
  fs::create_directory_symlink(real, dir.file("link"));
  auto refused = open_directory_nofollow(dir.file("link"));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind() == ErrorKind::usage);
  auto opened = open_directory_nofollow(real);
  REQUIRE(opened);
  CHECK(require_own_directory(*opened, "the directory"));
}

TEST_CASE("a directory of another uid is not the caller's own", "[path_fd][hostile]") {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "changing a directory's owner needs root");
    return;
  }
  TempDir dir;
  std::string theirs = dir.file("theirs");
  fs::create_directory(theirs);
  REQUIRE(::chown(theirs.c_str(), 4242, 4242) == 0);
  auto opened = open_directory_nofollow(theirs);
  REQUIRE(opened);
  auto own = require_own_directory(*opened, "the directory");
  REQUIRE_FALSE(own);
  CHECK(own.error().kind() == ErrorKind::usage);
  CHECK_THAT(own.error().message(), Catch::Contains("uid 4242"));
}

TEST_CASE("a recorded path is opened only while none of its components is a link",
          "[path_fd][hostile]") {
  TempDir dir;
  std::string real = dir.file("real");
  fs::create_directories(real + "/inner");
  fs::create_directory_symlink(real, dir.file("link"));
  std::string canonical = fs::canonical(real).string();
  REQUIRE(open_directory_without_links(canonical + "/inner", ErrorKind::conflict));
  std::string through_link = fs::canonical(dir.path()).string() + "/link/inner";
  auto refused = open_directory_without_links(through_link, ErrorKind::conflict);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind() == ErrorKind::conflict);
  CHECK(open_directory_without_links(canonical + "/missing", ErrorKind::conflict).error().kind() ==
        ErrorKind::not_found);
}
