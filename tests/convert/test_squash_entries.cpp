// Entry kinds and attributes through squash_layers, compared with `umoci unpack`:
// symlinks, devices, fifos, xattrs, owners and modes, mtimes, file sizes, name forms.
#include "convert/squash_scenario.h"
#include <catch2/catch.hpp>
#include <sys/sysmacros.h>

namespace sifkit::test {

namespace {

constexpr std::size_t k_block = 128 * 1024;

// A vfs_cap_data v2 value granting cap_net_bind_service (bit 10), effective.
std::string capability_value() {
  std::string v(20, '\0');
  v[0] = 0x01;
  v[3] = 0x02;
  v[5] = 0x04;
  return v;
}

// `size` bytes of a repeating, not-all-equal pattern (compresses, but not to nothing).
std::string pattern(std::size_t size, unsigned seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    s[i] = static_cast<char>((i * 31 + seed * 7 + i / 4093) & 0xff);
  }
  return s;
}

} // namespace

TEST_CASE("symlinks keep relative, absolute and dangling targets verbatim", "[convert]") {
  Layer layer = {tar_dir("usr"),
                 tar_dir("usr/bin"),
                 tar_file("usr/bin/real", "#!/bin/sh\n", 0755),
                 tar_symlink("usr/bin/relative", "real"),
                 tar_symlink("usr/bin/up", "../bin/real"),
                 tar_symlink("absolute", "/usr/bin/real"),
                 tar_symlink("dangling", "/does/not/exist"),
                 tar_symlink("dir-link", "usr/bin"),
                 tar_symlink("self", "self")};
  SIFKIT_RUN_SCENARIO(r, {layer});
  CHECK(r.ours.at("usr/bin/relative").link_target == "real");
  CHECK(r.ours.at("usr/bin/up").link_target == "../bin/real");
  CHECK(r.ours.at("absolute").link_target == "/usr/bin/real");
  CHECK(r.ours.at("dangling").link_target == "/does/not/exist");
  CHECK(r.ours.at("dir-link").type == 'l');
  CHECK(r.ours.at("self").link_target == "self");
}

TEST_CASE("character and block devices and fifos keep their numbers, modes and owners",
          "[convert]") {
  TarEntry null_dev = tar_device("dev/null", TarKind::char_device, 1, 3);
  null_dev.mode = 0666;
  TarEntry big_minor = tar_device("dev/big", TarKind::char_device, 300, 70000);
  TarEntry disk = tar_device("dev/sda", TarKind::block_device, 8, 0);
  disk.mode = 0660;
  disk.gid = 6;
  TarEntry pipe = tar_fifo("run/pipe");
  pipe.uid = 1000;
  Layer layer = {tar_dir("dev"), null_dev, big_minor, disk, tar_dir("run"), pipe};
  SIFKIT_RUN_SCENARIO(r, {layer});
  REQUIRE(r.ours.count("dev/null") == 1);
  CHECK(r.ours.at("dev/null").type == 'c');
  CHECK(r.ours.at("dev/null").rdev == makedev(1, 3));
  CHECK(r.ours.at("dev/big").rdev == makedev(300, 70000));
  CHECK(r.ours.at("dev/sda").type == 'b');
  CHECK(r.ours.at("dev/sda").gid == 6);
  CHECK(r.ours.at("run/pipe").type == 'p');
  CHECK(r.ours.at("run/pipe").uid == 1000);
}

TEST_CASE("xattrs including security.capability and user.* are kept", "[convert]") {
  TarEntry ping = tar_file("bin/ping", "ping binary", 0755);
  ping.xattrs = {{"security.capability", capability_value()}};
  TarEntry tagged = tar_file("data/tagged", "t");
  tagged.xattrs = {{"user.mime_type", "text/plain"},
                   {"user.empty", ""},
                   {"user.binary", std::string("\0\x01\xff", 3)}};
  TarEntry dir = tar_dir("data");
  dir.xattrs = {{"user.dir", "yes"}};
  TarEntry link = tar_symlink("data/link", "tagged");
  TarEntry changed = tar_file("data/changed", "lower");
  changed.xattrs = {{"user.version", "1"}};
  TarEntry changed_up = tar_file("data/changed", "upper");
  changed_up.xattrs = {{"user.version", "2"}};
  Layer lower = {tar_dir("bin"), ping, dir, tagged, link, changed};
  Layer upper = {changed_up};
  SIFKIT_RUN_SCENARIO(r, {lower, upper});
  REQUIRE(r.ours.count("bin/ping") == 1);
  CHECK(r.ours.at("bin/ping").xattrs["security.capability"] == capability_value());
  CHECK(r.ours.at("data/tagged").xattrs["user.mime_type"] == "text/plain");
  CHECK(r.ours.at("data/tagged").xattrs["user.binary"] == std::string("\0\x01\xff", 3));
  CHECK(r.ours.at("data").xattrs["user.dir"] == "yes");
  CHECK(r.ours.at("data/changed").xattrs["user.version"] == "2");
}

TEST_CASE("owners, setuid, setgid and sticky modes and mtimes are kept", "[convert]") {
  TarEntry su = tar_file("usr/bin/su", "su", 04755);
  TarEntry wall = tar_file("usr/bin/wall", "wall", 02755);
  wall.gid = 5;
  TarEntry tmp = tar_dir("tmp", 01777);
  TarEntry odd = tar_file("odd", "odd", 0);
  odd.uid = 65534;
  odd.gid = 65533;
  odd.mtime = 1;
  TarEntry big_ids = tar_file("big-ids", "b", 0640);
  big_ids.uid = 1000000;
  big_ids.gid = 2000000;
  big_ids.mtime = 4000000000; // after 2038, still within squashfs's unsigned 32 bits
  TarEntry home = tar_dir("home/user", 0700);
  home.uid = 1000;
  home.gid = 1000;
  home.mtime = 1500000000;
  TarEntry link = tar_symlink("home/user/link", "../..");
  link.uid = 1000;
  link.gid = 1000;
  link.mtime = 1234567890;
  Layer layer = {tar_dir("usr"), tar_dir("usr/bin"), su,   wall, tmp, odd,
                 big_ids,        tar_dir("home"),    home, link};
  SIFKIT_RUN_SCENARIO(r, {layer});
  CHECK(r.ours.at("usr/bin/su").mode == 04755);
  CHECK(r.ours.at("usr/bin/wall").mode == 02755);
  CHECK(r.ours.at("tmp").mode == 01777);
  CHECK(r.ours.at("odd").mode == 0);
  CHECK(r.ours.at("odd").uid == 65534);
  CHECK(r.ours.at("odd").mtime == 1);
  CHECK(r.ours.at("big-ids").uid == 1000000);
  CHECK(r.ours.at("big-ids").mtime == 4000000000);
  CHECK(r.ours.at("home/user").uid == 1000);
  // Directory mtimes are left out of the umoci comparison; unsquashfs sets them last.
  CHECK(r.ours.at("home/user").mtime == 1500000000);
  CHECK(r.ours.at("home/user/link").uid == 1000);
}

TEST_CASE("files of 0 bytes, one block, several blocks with a tail, duplicates and zeros keep "
          "their content",
          "[convert]") {
  std::string one_block = pattern(k_block, 1);
  std::string several = pattern(3 * k_block + 12345, 2);
  std::string tail_only = pattern(k_block - 1, 3);
  Layer layer = {tar_file("empty", ""),
                 tar_file("one-block", one_block),
                 tar_file("block-plus-one", pattern(k_block + 1, 4)),
                 tar_file("several", several),
                 tar_file("several-copy", several),
                 tar_file("one-block-copy", one_block),
                 tar_file("tail-only", tail_only),
                 tar_file("tail-copy", tail_only),
                 tar_file("zeros", std::string(5 * k_block + 100, '\0')),
                 tar_file("zero-block", std::string(k_block, '\0')),
                 tar_file("empty-copy", "")};
  SIFKIT_RUN_SCENARIO(r, {layer});
  CHECK(r.ours.at("empty").size == 0);
  CHECK(r.ours.at("one-block").sha256 == content_hash(one_block));
  CHECK(r.ours.at("several").size == static_cast<std::int64_t>(several.size()));
  CHECK(r.ours.at("several-copy").sha256 == content_hash(several));
  CHECK(r.ours.at("one-block-copy").sha256 == content_hash(one_block));
  CHECK(r.ours.at("tail-copy").sha256 == content_hash(tail_only));
  CHECK(r.ours.at("zeros").sha256 == content_hash(std::string(5 * k_block + 100, '\0')));
  // Deduplicated content is still separate files, not hardlinks.
  CHECK(r.ours.at("several-copy").link_group.empty());
}

TEST_CASE("a sparse file keeps its size and reads back with zeros in its holes", "[convert]") {
  std::string content(3 * k_block + 5000, '\0');
  std::string head = pattern(4096, 7);
  std::string middle = pattern(10000, 8);
  content.replace(0, head.size(), head);
  content.replace(200000, middle.size(), middle);
  TarEntry sparse = tar_file("sparse", content);
  sparse.sparse_data = {{0, 4096}, {200000, 10000}};
  TarEntry hole_only = tar_file("all-hole", std::string(2 * k_block, '\0'));
  hole_only.sparse_data = {{2 * k_block, 0}};
  SIFKIT_RUN_SCENARIO(r, {{sparse, hole_only}});
  REQUIRE(r.ours.count("sparse") == 1);
  CHECK(r.ours.at("sparse").size == static_cast<std::int64_t>(content.size()));
  CHECK(r.ours.at("sparse").sha256 == content_hash(content));
  CHECK(r.ours.at("all-hole").sha256 == content_hash(std::string(2 * k_block, '\0')));
}

TEST_CASE("names with and without ./ and / prefixes, and . entries, name the same paths",
          "[convert]") {
  TarEntry root = tar_dir(".", 0750);
  root.uid = 0;
  root.gid = 0;
  TarEntry root_again = tar_dir("./", 0755);
  Layer lower = {root,          tar_dir("./a"),         tar_file("./a/one", "1"),
                 tar_dir("b/"), tar_file("b/two", "2"), tar_file("/abs", "abs")};
  Layer upper = {root_again, tar_file("a/one", "1 replaced"), tar_file("./b//./two", "2 replaced"),
                 tar_file("./a/./three", "3")};
  SIFKIT_RUN_SCENARIO(r, {lower, upper});
  CHECK(r.ours.at("a/one").sha256 == content_hash("1 replaced"));
  CHECK(r.ours.at("b/two").sha256 == content_hash("2 replaced"));
  CHECK(r.ours.count("a/three") == 1);
  CHECK(r.ours.count("abs") == 1);
  CHECK(r.ours.at("").mode == 0755);
}

TEST_CASE("an empty layer between others changes nothing", "[convert]") {
  Layer lower = {tar_dir("x"), tar_file("x/f", "f")};
  Layer empty = {};
  Layer upper = {tar_file("x/g", "g")};
  SIFKIT_RUN_SCENARIO(r, {empty, lower, empty, upper, empty});
  CHECK(r.ours.count("x/f") == 1);
  CHECK(r.ours.count("x/g") == 1);
}

TEST_CASE("a single empty layer gives an empty root", "[convert]") {
  SIFKIT_RUN_SCENARIO(r, {Layer{}});
  CHECK(r.ours.size() == 1);
  CHECK(r.ours.at("").type == 'd');
}

TEST_CASE("a many-layer image with every kind of entry matches umoci", "[convert]") {
  TarEntry cap = tar_file("usr/sbin/daemon", pattern(300000, 9), 04750);
  cap.gid = 10;
  cap.xattrs = {{"security.capability", capability_value()}, {"user.origin", "base"}};
  Layer base = {tar_dir("usr"),
                tar_dir("usr/sbin"),
                cap,
                tar_hardlink("usr/sbin/daemon-alias", "usr/sbin/daemon"),
                tar_dir("etc"),
                tar_file("etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
                tar_file("etc/motd", "hello"),
                tar_dir("opt"),
                tar_dir("opt/app"),
                tar_file("opt/app/a", pattern(k_block, 5)),
                tar_file("opt/app/b", pattern(2 * k_block, 6)),
                tar_device("dev-null", TarKind::char_device, 1, 3),
                tar_fifo("fifo")};
  Layer middle = {tar_whiteout("etc", "motd"),
                  tar_opaque("opt/app"),
                  tar_file("opt/app/c", "c"),
                  tar_hardlink("etc/passwd-link", "etc/passwd"),
                  tar_symlink("etc/localtime", "/usr/share/zoneinfo/UTC"),
                  tar_dir("var/log", 0775)};
  Layer top = {tar_file("etc/passwd", "root:x:0:0::/root:/bin/bash\n"), tar_whiteout("", "fifo"),
               tar_file("var/log/app.log", std::string(k_block * 2 + 7, '\0')),
               tar_hardlink("var/log/daemon", "usr/sbin/daemon")};
  SIFKIT_RUN_SCENARIO(r, {base, middle, top});
  CHECK(r.ours.at("etc/passwd-link").sha256 == content_hash("root:x:0:0::/root:/bin/sh\n"));
  CHECK(r.ours.at("var/log/daemon").link_group == "usr/sbin/daemon");
  CHECK(r.ours.count("opt/app/a") == 0);
  CHECK(r.ours.count("fifo") == 0);
}

} // namespace sifkit::test
