// Layer merging compared with `umoci unpack` of the same image: whiteouts, opaque
// directories, hardlinks within and across layers, replacements, duplicates.
#include "convert/squash_scenario.h"
#include <catch2/catch.hpp>

namespace sifkit::test {

namespace {

// A file entry with an mtime of its own, so replaced entries can be told apart.
TarEntry file_at(std::string path, std::string content, std::int64_t mtime) {
  TarEntry e = tar_file(std::move(path), std::move(content));
  e.mtime = mtime;
  return e;
}

} // namespace

TEST_CASE("a whiteout in an upper layer hides a lower file and a lower directory with its "
          "contents",
          "[convert]") {
  Layer lower = {tar_dir("etc"),
                 tar_file("etc/hidden.conf", "secret"),
                 tar_file("etc/kept.conf", "kept"),
                 tar_dir("var"),
                 tar_dir("var/cache"),
                 tar_dir("var/cache/deep"),
                 tar_file("var/cache/deep/blob", std::string(5000, 'x')),
                 tar_symlink("var/cache/link", "deep/blob"),
                 tar_file("var/keep", "k")};
  Layer upper = {tar_whiteout("etc", "hidden.conf"), tar_whiteout("var", "cache")};
  SIFKIT_RUN_SCENARIO(r, {lower, upper});
  CHECK(r.ours.count("etc/hidden.conf") == 0);
  CHECK(r.ours.count("var/cache") == 0);
  CHECK(r.ours.count("var/cache/deep/blob") == 0);
  CHECK(r.ours.count("etc/.wh.hidden.conf") == 0);
  CHECK(r.ours.count("var/.wh.cache") == 0);
  CHECK(r.ours.count("etc/kept.conf") == 1);
  CHECK(r.ours.count("var/keep") == 1);
}

TEST_CASE("a whiteout of a directory followed by a new directory of the same name in the same "
          "layer keeps only the new contents",
          "[convert]") {
  Layer lower = {tar_dir("d"), tar_file("d/old", "old")};
  Layer upper = {tar_whiteout("", "d"), tar_dir("d", 0700), tar_file("d/new", "new")};
  SIFKIT_RUN_SCENARIO(r, {lower, upper});
  CHECK(r.ours.count("d/old") == 0);
  CHECK(r.ours.count("d/new") == 1);
}

TEST_CASE("an opaque marker at the root hides every lower entry, and a whiteout of a missing "
          "path is a no-op",
          "[convert]") {
  Layer lower = {tar_dir("etc"), tar_file("etc/a", "a"), tar_file("top", "t")};
  Layer upper = {tar_file("./.wh..wh..opq", ""), tar_file("new", "n"),
                 tar_whiteout("", "never-existed"), tar_whiteout("no/such", "dir")};
  SIFKIT_RUN_SCENARIO(r, {lower, upper});
  CHECK(r.ours.count("etc") == 0);
  CHECK(r.ours.count("top") == 0);
  CHECK(r.ours.count("new") == 1);
  CHECK(r.ours.count(".wh..wh..opq") == 0);
}

TEST_CASE("an opaque directory hides a lower directory's contents while the same layer adds "
          "files to it",
          "[convert]") {
  Layer lower = {tar_dir("o"),     tar_file("o/old1", "1"),
                 tar_dir("o/sub"), tar_file("o/sub/old2", "2"),
                 tar_dir("other"), tar_file("other/f", "f")};
  Layer upper = {tar_dir("o", 0750), tar_file("o/new1", "n1"), tar_opaque("o"), tar_dir("o/sub2"),
                 tar_file("o/sub2/new2", "n2")};
  SIFKIT_RUN_SCENARIO(r, {lower, upper});
  CHECK(r.ours.count("o/old1") == 0);
  CHECK(r.ours.count("o/sub") == 0);
  CHECK(r.ours.count("o/sub/old2") == 0);
  CHECK(r.ours.count("o/.wh..wh..opq") == 0);
  CHECK(r.ours.count("o/new1") == 1);
  CHECK(r.ours.count("o/sub2/new2") == 1);
  CHECK(r.ours.count("other/f") == 1);
  if (r.ours.count("o"))
    CHECK(r.ours.at("o").mode == 0750);
}

TEST_CASE("hardlinks within one layer share an inode and its content", "[convert][root]") {
  Layer layer = {tar_dir("bin"),
                 tar_file("bin/tool", std::string(200000, 't'), 0755),
                 tar_hardlink("bin/tool-alias", "bin/tool"),
                 tar_hardlink("./bin/tool2", "./bin/tool"),
                 tar_hardlink("bin/tool3", "bin/tool-alias"),
                 tar_symlink("bin/sym", "tool"),
                 tar_hardlink("bin/sym-link", "bin/sym"),
                 tar_fifo("bin/fifo"),
                 tar_hardlink("bin/fifo-link", "bin/fifo"),
                 tar_file("lonely", "1")};
  SIFKIT_RUN_SCENARIO(r, {layer});
  REQUIRE(r.ours.count("bin/tool-alias") == 1);
  CHECK(r.ours.at("bin/tool-alias").link_group == "bin/tool");
  CHECK(r.ours.at("bin/tool2").link_group == "bin/tool");
  CHECK(r.ours.at("bin/tool2").sha256 == content_hash(std::string(200000, 't')));
  CHECK(r.ours.at("bin/tool3").link_group == "bin/tool");
  CHECK(r.ours.at("lonely").link_group.empty());
  CHECK(r.ours.at("bin/sym-link").link_target == "tool");
  CHECK(r.ours.at("bin/fifo-link").type == 'p');
}

TEST_CASE("a hardlink in an upper layer to a file of a lower layer shares its inode",
          "[convert][root]") {
  Layer lower = {tar_dir("usr"), tar_file("usr/lib.so", "library", 0755)};
  Layer upper = {tar_hardlink("usr/lib.so.1", "usr/lib.so")};
  SIFKIT_RUN_SCENARIO(r, {lower, upper});
  REQUIRE(r.ours.count("usr/lib.so.1") == 1);
  CHECK(r.ours.at("usr/lib.so.1").sha256 == content_hash("library"));
  CHECK(r.ours.at("usr/lib.so.1").link_group == "usr/lib.so");
  CHECK(r.ours.at("usr/lib.so").link_group == "usr/lib.so");
}

TEST_CASE("a hardlink keeps the old content when an upper layer whites out its target",
          "[convert][root]") {
  // SingularityCE issue #2686: the link must survive with the content it was made with.
  Layer base = {tar_file("a", "old content")};
  Layer link = {tar_hardlink("b", "a")};
  Layer remove = {tar_whiteout("", "a")};
  SIFKIT_RUN_SCENARIO(r, {base, link, remove});
  CHECK(r.ours.count("a") == 0);
  REQUIRE(r.ours.count("b") == 1);
  CHECK(r.ours.at("b").sha256 == content_hash("old content"));
  CHECK(r.ours.at("b").link_group.empty());
}

TEST_CASE("a hardlink keeps the old content when an upper layer replaces its target",
          "[convert][root]") {
  // SingularityCE issue #2686, the replacement variant: "a" gets new content, "b" does not.
  Layer base = {file_at("a", "old content", 1600000000)};
  Layer link = {tar_hardlink("b", "a"), tar_hardlink("c", "a")};
  Layer replace = {file_at("a", "new content, longer", 1700000001)};
  SIFKIT_RUN_SCENARIO(r, {base, link, replace});
  REQUIRE(r.ours.count("a") == 1);
  REQUIRE(r.ours.count("b") == 1);
  CHECK(r.ours.at("a").sha256 == content_hash("new content, longer"));
  CHECK(r.ours.at("b").sha256 == content_hash("old content"));
  CHECK(r.ours.at("b").mtime == 1600000000);
  CHECK(r.ours.at("a").link_group.empty());
  CHECK(r.ours.at("b").link_group == "b");
  CHECK(r.ours.at("c").link_group == "b");
}

// Tar and umoci link "b" to the lower "a" that existed when the link was read; the new
// "a" that follows in the same layer does not change "b".
TEST_CASE("a hardlink made in the same layer before its target is replaced follows the layer's "
          "order",
          "[convert]") {
  // Within one layer entries apply in order: the link is made to the lower inode, then the
  // target name is replaced by a new file.
  Layer base = {tar_file("a", "lower")};
  Layer upper = {tar_hardlink("b", "a"), tar_file("a", "upper")};
  SIFKIT_RUN_SCENARIO(r, {base, upper});
  REQUIRE(r.ours.count("b") == 1);
  CHECK(r.ours.at("a").sha256 == content_hash("upper"));
  // As tar and umoci extract it: "b" is the lower inode, which "a" no longer names.
  CHECK(r.ours.at("b").sha256 == content_hash("lower"));
  CHECK(r.ours.at("b").link_group.empty());
}

// umoci (like Docker) resolves such a path through the symlink inside the root: the file
// lands in usr/lib and "lib" stays a symlink (merged-/usr images depend on it).
TEST_CASE("a file an upper layer puts below a lower symlink to a directory lands in the link's "
          "target",
          "[convert]") {
  Layer lower = {tar_dir("usr"), tar_dir("usr/lib"), tar_file("usr/lib/libc.so", "libc"),
                 tar_symlink("lib", "usr/lib"), tar_symlink("abs", "/usr/lib")};
  Layer upper = {tar_file("lib/extra.so", "extra"), tar_file("abs/other.so", "other")};
  SIFKIT_RUN_SCENARIO(r, {lower, upper});
  REQUIRE(r.ours.count("lib") == 1);
  CHECK(r.ours.at("lib").type == 'l');
  CHECK(r.ours.count("usr/lib/extra.so") == 1);
  CHECK(r.ours.count("usr/lib/other.so") == 1);
  CHECK(r.ours.count("usr/lib/libc.so") == 1);
}

TEST_CASE("a directory replaces a lower file and a file replaces a lower directory",
          "[convert][root]") {
  Layer lower = {tar_file("was-file", "f"), tar_dir("was-dir"), tar_dir("was-dir/sub"),
                 tar_file("was-dir/sub/x", "x"), tar_symlink("was-link", "elsewhere")};
  Layer upper = {tar_dir("was-file", 0711), tar_file("was-file/inside", "i"),
                 tar_file("was-dir", "now a file"), tar_dir("was-link"),
                 tar_file("was-link/y", "y")};
  SIFKIT_RUN_SCENARIO(r, {lower, upper});
  REQUIRE(r.ours.count("was-file") == 1);
  CHECK(r.ours.at("was-file").type == 'd');
  CHECK(r.ours.count("was-file/inside") == 1);
  REQUIRE(r.ours.count("was-dir") == 1);
  CHECK(r.ours.at("was-dir").type == 'f');
  CHECK(r.ours.count("was-dir/sub/x") == 0);
  REQUIRE(r.ours.count("was-link") == 1);
  CHECK(r.ours.at("was-link").type == 'd');
}

TEST_CASE("duplicate entries within one layer: the last one wins", "[convert][root]") {
  Layer layer = {file_at("dup", "first", 1600000000),
                 tar_dir("d", 0700),
                 file_at("dup", "second", 1600000001),
                 tar_dir("d", 0755),
                 tar_symlink("s", "one"),
                 tar_symlink("s", "two"),
                 file_at("kind", "a file first", 1600000002),
                 tar_symlink("kind", "then a link")};
  SIFKIT_RUN_SCENARIO(r, {layer});
  REQUIRE(r.ours.count("dup") == 1);
  CHECK(r.ours.at("dup").sha256 == content_hash("second"));
  CHECK(r.ours.at("d").mode == 0755);
  CHECK(r.ours.at("s").link_target == "two");
  CHECK(r.ours.at("kind").type == 'l');
}

TEST_CASE("a file replaced in an upper layer takes the upper content, mode, owner and mtime",
          "[convert][root]") {
  TarEntry upper_file = file_at("etc/conf", "upper", 1700000123);
  upper_file.mode = 0600;
  upper_file.uid = 1000;
  upper_file.gid = 100;
  Layer lower = {tar_dir("etc"), file_at("etc/conf", "lower", 1600000000)};
  Layer upper = {upper_file};
  SIFKIT_RUN_SCENARIO(r, {lower, upper});
  REQUIRE(r.ours.count("etc/conf") == 1);
  const TreeNode& node = r.ours.at("etc/conf");
  CHECK(node.sha256 == content_hash("upper"));
  CHECK(node.mode == 0600);
  CHECK(node.uid == 1000);
  CHECK(node.gid == 100);
  CHECK(node.mtime == 1700000123);
}

TEST_CASE("a file in an upper layer whose parent directories only a lower layer created",
          "[convert][root]") {
  TarEntry dir = tar_dir("srv/data", 0700);
  dir.uid = 33;
  dir.gid = 33;
  Layer lower = {tar_dir("srv"), dir};
  Layer upper = {tar_file("srv/data/new", "n"), tar_file("implicit/parent/file", "p")};
  SIFKIT_RUN_SCENARIO(r, {lower, upper});
  REQUIRE(r.ours.count("srv/data") == 1);
  CHECK(r.ours.at("srv/data").uid == 33);
  CHECK(r.ours.at("srv/data").mode == 0700);
  CHECK(r.ours.count("implicit/parent/file") == 1);
}

} // namespace sifkit::test
