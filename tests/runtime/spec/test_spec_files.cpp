// The files sif-run generates and binds (passwd, group, resolv.conf, hosts) against hostile
// images: links in the image resolve inside it, only parsed entries are written, reads are
// capped, and no generated file lands inside a bind of a host directory. The --workdir
// directories are made without following links.
#include "runtime/spec_fixture.h"
#include <sys/stat.h>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::runtime;
using namespace sifkit::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_marker = "HOST-ONLY-MARKER:x:4242:4242:secret:/secret:/bin/sh";

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

} // namespace

TEST_CASE("an image /etc/passwd linked to a host file never copies that file", "[spec][hostile]") {
  SpecFixture f;
  std::string host_file = f.dir.file("host/secret-passwd");
  write_text(host_file, std::string(k_marker) + "\n");
  fs::remove(f.rootfs + "/etc/passwd");
  fs::remove(f.rootfs + "/etc/group");
  fs::create_symlink(host_file, f.rootfs + "/etc/passwd");
  fs::create_symlink(host_file, f.rootfs + "/etc/group");
  nlohmann::json spec = f.spec();
  std::string passwd = file_bytes(f.files_dir + "/passwd");
  std::string group = file_bytes(f.files_dir + "/group");
  CHECK(passwd.find("HOST-ONLY-MARKER") == std::string::npos);
  CHECK(group.find("HOST-ONLY-MARKER") == std::string::npos);
  CHECK(passwd == "alice:x:1234:1234:alice:" + f.host.home + ":/bin/sh\n");
}

TEST_CASE("an image /etc/passwd link resolves inside the image, as the container sees it",
          "[spec][hostile]") {
  SpecFixture f;
  write_text(f.rootfs + "/srv/passwd", "svc:x:7:7:svc:/srv:/bin/sh\n");
  fs::remove(f.rootfs + "/etc/passwd");
  fs::create_symlink("/srv/passwd", f.rootfs + "/etc/passwd");
  nlohmann::json spec = f.spec();
  CHECK(file_bytes(f.files_dir + "/passwd") ==
        "svc:x:7:7:svc:/srv:/bin/sh\nalice:x:1234:1234:alice:" + f.host.home + ":/bin/sh\n");
}

TEST_CASE("the generated passwd and group hold only lines that parse as entries",
          "[spec][hostile]") {
  SpecFixture f;
  write_text(f.rootfs + "/etc/passwd", "# a comment\nroot:x:0:0:root:/root:/bin/ash\n"
                                       "not an entry at all\nroot:$6$hash:0:0\n"
                                       "bad:x:uid:1:b:/b:/bin/sh\n");
  write_text(f.rootfs + "/etc/group", "root:x:0:\ngarbage line\nwheel:x:10:app\n");
  nlohmann::json spec = f.spec();
  CHECK(file_bytes(f.files_dir + "/passwd") ==
        "root:x:0:0:root:/root:/bin/ash\nalice:x:1234:1234:alice:" + f.host.home + ":/bin/sh\n");
  CHECK(file_bytes(f.files_dir + "/group") == "root:x:0:\nwheel:x:10:app\nalices:x:1234:alice\n");
}

TEST_CASE("an image /etc/passwd over 4 MiB or not a regular file is refused naming it",
          "[spec][hostile]") {
  SpecFixture f;
  SECTION("too large") {
    write_text(f.rootfs + "/etc/passwd", std::string((4 << 20) + 1, '#'));
    auto spec = f.build();
    REQUIRE_FALSE(spec);
    CHECK(spec.error().kind() == ErrorKind::capacity);
    CHECK_THAT(spec.error().what(), Catch::Contains("/etc/passwd"));
  }
  SECTION("a FIFO") {
    fs::remove(f.rootfs + "/etc/group");
    REQUIRE(::mkfifo((f.rootfs + "/etc/group").c_str(), 0644) == 0);
    auto spec = f.build();
    REQUIRE_FALSE(spec);
    CHECK(spec.error().kind() == ErrorKind::usage);
    CHECK_THAT(spec.error().what(), Catch::Contains("/etc/group"));
  }
  SECTION("a link to /dev/zero reads the image's own /dev/zero, which it lacks") {
    fs::remove(f.rootfs + "/etc/passwd");
    fs::create_symlink("/dev/zero", f.rootfs + "/etc/passwd");
    auto spec = f.build();
    REQUIRE(spec);
    CHECK(file_bytes(f.files_dir + "/passwd") ==
          "alice:x:1234:1234:alice:" + f.host.home + ":/bin/sh\n");
  }
}

TEST_CASE("an image USER is resolved against the image's files, not a host file they link to",
          "[spec][hostile]") {
  SpecFixture f;
  std::string host_file = f.dir.file("host/secret-passwd");
  write_text(host_file, std::string(k_marker) + "\n");
  fs::remove(f.rootfs + "/etc/passwd");
  fs::create_symlink(host_file, f.rootfs + "/etc/passwd");
  f.image.config.user = "HOST-ONLY-MARKER";
  auto spec = f.build();
  REQUIRE_FALSE(spec);
  CHECK(spec.error().kind() == ErrorKind::not_found);
}

TEST_CASE("no generated file is bound where an image link puts it inside a host bind",
          "[spec][hostile]") {
  SpecFixture f;
  f.host.uid = 0;
  f.host.gid = 0;
  fs::create_symlink("/etc", f.rootfs + "/data");
  fs::create_directories(f.dir.file("bound"));
  f.options.binds = {{f.dir.file("bound"), "/data", true}};
  nlohmann::json spec = f.spec();
  CHECK_FALSE(find_mount(spec, "/data").is_null());
  for (const char* generated : {"/etc/resolv.conf", "/etc/hosts", "/etc/passwd", "/etc/group"}) {
    INFO(generated);
    CHECK(find_mount(spec, generated).is_null());
  }
}

TEST_CASE("a generated file whose image link leads into a host bind is left out, others stay",
          "[spec][hostile]") {
  SpecFixture f;
  fs::create_directories(f.dir.file("bound"));
  f.options.binds = {{f.dir.file("bound"), "/opt/data", false}};
  nlohmann::json spec = f.spec();
  CHECK_FALSE(find_mount(spec, "/etc/passwd").is_null());
  // The image's /etc/passwd links into the bound directory.
  fs::remove(f.rootfs + "/etc/passwd");
  fs::create_symlink("../opt/data/passwd", f.rootfs + "/etc/passwd");
  spec = f.spec();
  CHECK(find_mount(spec, "/etc/passwd").is_null());
  CHECK_FALSE(find_mount(spec, "/etc/group").is_null());
}

TEST_CASE("the --workdir directories refuse a planted link and leave its target untouched",
          "[spec][hostile]") {
  SpecFixture f;
  std::string target = f.dir.file("host-dir");
  fs::create_directories(target);
  REQUIRE(::chmod(target.c_str(), 0755) == 0);
  std::string work = f.dir.file("work");
  fs::create_directories(work);
  REQUIRE(::chmod(work.c_str(), 0700) == 0);
  f.options.workdir = work;
  SECTION("D/tmp is a link") {
    fs::create_symlink(target, work + "/tmp");
  }
  SECTION("D/scratch is a link, as root") {
    f.host.uid = 0;
    f.host.gid = 0;
    f.options.no_mount = {"tmp"};
    f.options.scratch = {"/s"};
    fs::create_symlink(target, work + "/scratch");
  }
  auto spec = f.build();
  REQUIRE_FALSE(spec);
  CHECK(spec.error().kind() == ErrorKind::usage);
  CHECK_THAT(spec.error().what(), Catch::Contains("symbolic link"));
  CHECK(mode_of(target) == 0755);
  CHECK(fs::is_empty(target));
}

TEST_CASE("as root, --workdir must be root's and not open to other users' renames",
          "[spec][hostile]") {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "changing a directory's owner needs root");
    return;
  }
  SpecFixture f;
  f.host.uid = 0;
  f.host.gid = 0;
  std::string work = f.dir.file("work");
  fs::create_directories(work);
  f.options.workdir = work;
  SECTION("owned by another user") {
    REQUIRE(::chown(work.c_str(), 1234, 1234) == 0);
    auto spec = f.build();
    REQUIRE_FALSE(spec);
    CHECK(spec.error().kind() == ErrorKind::usage);
    CHECK_THAT(spec.error().what(), Catch::Contains("owned by uid 1234"));
  }
  SECTION("writable by others without the sticky bit") {
    REQUIRE(::chmod(work.c_str(), 0777) == 0);
    auto spec = f.build();
    REQUIRE_FALSE(spec);
    CHECK(spec.error().kind() == ErrorKind::usage);
  }
  SECTION("a sticky shared directory, with the subdirectories root's own") {
    REQUIRE(::chmod(work.c_str(), 01777) == 0);
    nlohmann::json spec = f.spec();
    CHECK(find_mount(spec, "/tmp")["source"] == work + "/tmp");
    CHECK(mode_of(work + "/tmp") == 01777);
  }
  SECTION("a subdirectory another user made is refused") {
    fs::create_directories(work + "/tmp");
    REQUIRE(::chown((work + "/tmp").c_str(), 1234, 1234) == 0);
    auto spec = f.build();
    REQUIRE_FALSE(spec);
    CHECK(spec.error().kind() == ErrorKind::usage);
    CHECK(mode_of(work + "/tmp") != 01777);
  }
}
