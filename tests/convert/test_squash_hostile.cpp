// Hostile and damaged layers: each fails with corrupt_input naming the layer and the
// entry, or (where the input is legal) lands inside the image; nothing is ever written
// outside the output file.
#include <convert/squash.h>

#include <filesystem>

#include "convert/image_builder.h"
#include "convert/tree_snapshot.h"
#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace sifkit::test {

namespace {

Result<convert::SquashStats> squash(const std::vector<std::string>& paths, const std::string& out) {
  auto inputs = tar_layer_inputs(paths);
  return convert::squash_layers(inputs, out, convert::SquashOptions{});
}

// Checks `result` failed with corrupt_input and that its text names layer `layer_index`
// (0-based, as tar_layer_inputs names it) and contains `entry` (when not empty).
void check_corrupt(const Result<convert::SquashStats>& result,
                   const std::vector<std::string>& paths, std::size_t layer_index,
                   const std::string& entry) {
  REQUIRE_FALSE(result.has_value());
  std::string text = result.error().what();
  INFO("error: " << text);
  CHECK(result.error().kind() == ErrorKind::corrupt_input);
  std::string layer_name = tar_layer_inputs(paths)[layer_index].name;
  CHECK(text.find(layer_name) != std::string::npos);
  if (!entry.empty())
    CHECK(text.find(entry) != std::string::npos);
}

// Lists squashfs `image` with unsquashfs -lln (paths as "squashfs-root/...").
std::string listing(const std::string& image) {
  CommandResult r = run_command(fmt::format("unsquashfs -lln '{}'", image));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

// "link" -> "l1" -> ... -> "l<count-1>" -> `target`.
Layer chain_of_symlinks(int count, const std::string& target) {
  Layer layer = {tar_symlink("link", "l1")};
  for (int i = 1; i < count; ++i) {
    layer.push_back(
        tar_symlink(fmt::format("l{}", i), i + 1 < count ? fmt::format("l{}", i + 1) : target));
  }
  return layer;
}

// `count` empty files, each below its own chain of `depth` directories that only its
// path implies ("d7/a/a/.../a/f"): a few bytes of gzip each, `depth` directories each.
Layer deep_implied_directories(int count, int depth) {
  std::string chain;
  for (int i = 0; i < depth - 1; ++i)
    chain += "a/";
  Layer layer;
  for (int i = 0; i < count; ++i)
    layer.push_back(tar_file(fmt::format("d{}/{}f", i, chain), ""));
  return layer;
}

// `count` empty files spread over `count` / 100 directories of their own implied ones.
Layer wide_tree(int count) {
  Layer layer;
  for (int i = 0; i < count; ++i)
    layer.push_back(tar_file(fmt::format("usr/share/p{}/file{}", i / 100, i), ""));
  return layer;
}

// Checks `result` failed with capacity, naming the layer of `path` and the numbers.
void check_capacity(const Result<convert::SquashStats>& result, const std::string& path) {
  REQUIRE_FALSE(result.has_value());
  std::string text = result.error().what();
  INFO("error: " << text);
  CHECK(result.error().kind() == ErrorKind::capacity);
  CHECK(text.find(tar_layer_inputs({path})[0].name) != std::string::npos);
  CHECK(text.find("entries") != std::string::npos);
}

} // namespace

TEST_CASE("a 25 KB layer implying two million directories fails with capacity, not memory",
          "[convert][hostile]") {
  // 1,000 entries each 1,995 directories deep: 2 million implied directories, which
  // took 856 MB to hold (a 990 KB layer of them: 34 GB). The default limits stop it
  // near a million nodes.
  TempDir tmp;
  std::string path = tmp.file("deep.tar.gz");
  std::string gz = gzip(build_tar(deep_implied_directories(1000, 1995)));
  CHECK(gz.size() < 64 * 1024);
  write_bytes(path, gz);
  check_capacity(squash({path}, tmp.file("out.sqfs")), path);
}

TEST_CASE("the tree may grow in proportion to its input: a wide tree converts, a deep one stops",
          "[convert][hostile]") {
  convert::SquashOptions options;
  options.tree_limits = {.base_nodes = 1000, .input_bytes_per_node = 256, .max_nodes = 1'000'000};
  TempDir tmp;
  // 5,000 files in 50 directories nobody names, the base allows 1,000 nodes: the files'
  // headers pay for the rest, as for any real image.
  std::string wide = tmp.file("wide.tar");
  write_bytes(wide, build_tar(wide_tree(5000)));
  auto inputs = tar_layer_inputs({wide});
  auto stats = convert::squash_layers(inputs, tmp.file("wide.sqfs"), options);
  INFO((stats ? std::string("converted") : stats.error().what()));
  REQUIRE(stats.has_value());
  CHECK(stats->files == 5000);
  CHECK(stats->tree_nodes == 1 + 2 + 50 + 5000); // root, usr/share, p0..p49, the files
  CHECK(listing(tmp.file("wide.sqfs")).find("squashfs-root/usr/share/p49/file4999") !=
        std::string::npos);

  // 20 entries 400 directories deep: 8,000 nodes for about 20 KB of headers and names.
  std::string deep = tmp.file("deep.tar");
  write_bytes(deep, build_tar(deep_implied_directories(20, 400)));
  auto deep_inputs = tar_layer_inputs({deep});
  check_capacity(convert::squash_layers(deep_inputs, tmp.file("deep.sqfs"), options), deep);

  // The absolute limit holds whatever the input.
  options.tree_limits.max_nodes = 4000;
  check_capacity(convert::squash_layers(inputs, tmp.file("capped.sqfs"), options), wide);
}

TEST_CASE(
    "symlinks leading deeper than any path can reach are corrupt input and build no deep tree",
    "[convert][hostile]") {
  // Each target fits the 4095-byte limit, but "l" leads through "m" 3,000 directories
  // down; with 40 such links a tree 80,000 deep would be built and walked recursively.
  std::string chain(1499 * 2, 'a');
  for (std::size_t i = 1; i < chain.size(); i += 2)
    chain[i] = '/';
  TempDir tmp;
  auto paths = write_tars(
      tmp, {{tar_symlink("m", chain), tar_symlink("l", "m/" + chain)}, {tar_file("l/x", "x")}});
  check_corrupt(squash(paths, tmp.file("out.sqfs")), paths, 1, "l/x");
}

TEST_CASE("an entry escaping the root with .. is corrupt input naming layer and entry",
          "[convert]") {
  TempDir tmp;
  for (std::string name : {"../etc/passwd", "a/../../x", "./../x", "a/b/../../../x", ".."}) {
    DYNAMIC_SECTION(name) {
      auto paths = write_tars(tmp, {{tar_file("ok", "fine")}, {tar_file(name, "evil")}});
      check_corrupt(squash(paths, tmp.file("out.sqfs")), paths, 1, name);
    }
  }
}

TEST_CASE("an absolute entry name is made relative and lands inside the image", "[convert]") {
  TempDir tmp;
  std::string outside = tmp.file("outside-target");
  auto paths = write_tars(tmp, {{tar_file(outside + "/escaped", "x"), tar_file("/etc/abs", "a")}});
  auto stats = squash(paths, tmp.file("out.sqfs"));
  REQUIRE(stats.has_value());
  CHECK_FALSE(std::filesystem::exists(outside));
  std::string list = listing(tmp.file("out.sqfs"));
  CHECK(list.find("squashfs-root/etc/abs") != std::string::npos);
  CHECK(list.find("squashfs-root" + outside + "/escaped") != std::string::npos);
}

TEST_CASE("a file under a symlinked directory is never written through the link", "[convert]") {
  // Where such a file belongs is checked against umoci in test_squash_umoci.cpp; here
  // only safety: nothing outside the output is written, whatever the outcome.
  TempDir tmp;
  std::string outside = tmp.file("outside");
  std::filesystem::create_directories(outside);
  std::vector<std::vector<Layer>> variants = {
      {{tar_symlink("link", outside)}, {tar_file("link/escaped", "evil")}},
      {{tar_symlink("link", outside), tar_file("link/escaped", "evil")}},
      {{tar_symlink("link", "../../../../" + outside)}, {tar_file("link/escaped", "evil")}},
      {{tar_symlink("link", outside)}, {tar_hardlink("link/escaped", "link")}},
      {{tar_symlink("link", outside)}, {tar_symlink("link/escaped", "/etc/passwd")}},
      {{tar_symlink("loop-a", "loop-b"), tar_symlink("loop-b", "loop-a")},
       {tar_file("loop-a/escaped", "x")}},
      {{tar_symlink("self", "self")}, {tar_file("self/escaped", "x")}},
      {chain_of_symlinks(200, outside), {tar_file("link/escaped", "evil")}}};
  for (std::size_t i = 0; i < variants.size(); ++i) {
    DYNAMIC_SECTION("variant " << i) {
      auto paths = write_tars(tmp, variants[i]);
      auto start = std::chrono::steady_clock::now();
      auto result = squash(paths, tmp.file("out.sqfs"));
      CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
      CHECK(std::filesystem::is_empty(outside));
      if (!result) {
        INFO("error: " << result.error().what());
        CHECK(result.error().kind() == ErrorKind::corrupt_input);
        CHECK(result.error().what().find("/escaped") != std::string::npos);
      } else {
        listing(tmp.file("out.sqfs"));
        CHECK(std::filesystem::is_empty(outside));
      }
    }
  }
}

// umoci fails here ("too many levels of symbolic links"), and so do we, naming the entry.
TEST_CASE("a file below a symlink loop is corrupt input naming the entry", "[convert]") {
  TempDir tmp;
  std::vector<std::vector<Layer>> variants = {
      {{tar_symlink("loop-a", "loop-b"), tar_symlink("loop-b", "loop-a")},
       {tar_file("loop-a/escaped", "x")}},
      {{tar_symlink("loop-a", "loop-a")}, {tar_file("loop-a/escaped", "x")}},
      {{tar_symlink("loop-a", "/loop-a/")}, {tar_file("loop-a/escaped", "x")}}};
  for (std::size_t i = 0; i < variants.size(); ++i) {
    DYNAMIC_SECTION("variant " << i) {
      auto paths = write_tars(tmp, variants[i]);
      check_corrupt(squash(paths, tmp.file("out.sqfs")), paths, 1, "loop-a/escaped");
    }
  }
}

TEST_CASE("a name component of 256 bytes is corrupt input and one of 255 bytes is fine",
          "[convert]") {
  TempDir tmp;
  std::string long_name(256, 'n');
  auto paths = write_tars(tmp, {{tar_dir("d"), tar_file("d/" + long_name, "x")}});
  check_corrupt(squash(paths, tmp.file("out.sqfs")), paths, 0, long_name);

  std::string max_name(255, 'm');
  auto ok_paths = write_tars(
      tmp, {{tar_dir("d"), tar_file("d/" + max_name, "x"), tar_symlink("d/s", max_name)}});
  REQUIRE(squash(ok_paths, tmp.file("ok.sqfs")).has_value());
  CHECK(listing(tmp.file("ok.sqfs")).find("squashfs-root/d/" + max_name) != std::string::npos);
}

TEST_CASE("a hardlink to a missing target is corrupt input naming layer and entry", "[convert]") {
  TempDir tmp;
  auto paths =
      write_tars(tmp, {{tar_file("present", "p")}, {tar_hardlink("orphan-link", "no/such/file")}});
  check_corrupt(squash(paths, tmp.file("out.sqfs")), paths, 1, "orphan-link");
}

TEST_CASE("hardlinks naming each other or themselves are corrupt input", "[convert]") {
  TempDir tmp;
  std::vector<Layer> variants = {{tar_hardlink("a", "b"), tar_hardlink("b", "a")},
                                 {tar_hardlink("self", "self")},
                                 {tar_file("x", "x"), tar_hardlink("x", "x")}};
  for (std::size_t i = 0; i < variants.size(); ++i) {
    DYNAMIC_SECTION("variant " << i) {
      auto paths = write_tars(tmp, {variants[i]});
      auto result = squash(paths, tmp.file("out.sqfs"));
      if (i == 2 && result) {
        // "x" linked to the "x" before it: the same file, which tar allows.
        continue;
      }
      check_corrupt(result, paths, 0, "");
    }
  }
}

TEST_CASE("a hardlink to a target hidden by a whiteout in the same layer is corrupt input",
          "[convert]") {
  TempDir tmp;
  auto paths = write_tars(
      tmp, {{tar_file("gone", "g")}, {tar_whiteout("", "gone"), tar_hardlink("l", "gone")}});
  check_corrupt(squash(paths, tmp.file("out.sqfs")), paths, 1, "gone");
}

TEST_CASE("a hardlink whose target escapes the root is corrupt input", "[convert]") {
  TempDir tmp;
  for (std::string target : {"../x", "a/../../etc/passwd"}) {
    DYNAMIC_SECTION(target) {
      auto paths = write_tars(tmp, {{tar_file("x", "x"), tar_hardlink("link", target)}});
      check_corrupt(squash(paths, tmp.file("out.sqfs")), paths, 0, "link");
    }
  }
}

TEST_CASE("a hardlink to a directory is refused", "[convert]") {
  TempDir tmp;
  auto paths = write_tars(tmp, {{tar_dir("dir"), tar_hardlink("dir-link", "dir")}});
  auto result = squash(paths, tmp.file("out.sqfs"));
  REQUIRE_FALSE(result.has_value());
  INFO("error: " << result.error().what());
  CHECK((result.error().kind() == ErrorKind::corrupt_input ||
         result.error().kind() == ErrorKind::unsupported));
  CHECK(result.error().what().find("dir-link") != std::string::npos);
}

TEST_CASE("a truncated tar is corrupt input naming the layer and the entry", "[convert]") {
  TempDir tmp;
  std::string tar = build_tar({tar_file("first", "1"), tar_file("big", std::string(300000, 'b'))});
  std::string path = tmp.file("truncated.tar");
  write_bytes(path, tar.substr(0, 150000));
  check_corrupt(squash({path}, tmp.file("out.sqfs")), {path}, 0, "big");

  std::string mid_header = tmp.file("mid-header.tar");
  write_bytes(mid_header, tar.substr(0, 512 + 512 + 100)); // inside the second header
  check_corrupt(squash({mid_header}, tmp.file("out2.sqfs")), {mid_header}, 0, "");
}

TEST_CASE("a gzip stream with garbage is corrupt input naming the layer", "[convert]") {
  TempDir tmp;
  std::string gz = gzip(build_tar({tar_file("f", std::string(100000, 'f'))}));
  std::string garbage = gz.substr(0, 10) + std::string(5000, '\x5a');
  std::string path = tmp.file("garbage.tar.gz");
  write_bytes(path, garbage);
  check_corrupt(squash({path}, tmp.file("out.sqfs")), {path}, 0, "");

  std::string flipped = gz;
  for (std::size_t i = flipped.size() / 3; i < flipped.size() / 3 + 64; ++i)
    flipped[i] ^= 0x55;
  std::string flipped_path = tmp.file("flipped.tar.gz");
  write_bytes(flipped_path, flipped);
  check_corrupt(squash({flipped_path}, tmp.file("out2.sqfs")), {flipped_path}, 0, "");

  std::string cut_path = tmp.file("cut.tar.gz");
  write_bytes(cut_path, gz.substr(0, gz.size() / 2));
  check_corrupt(squash({cut_path}, tmp.file("out3.sqfs")), {cut_path}, 0, "");
}

TEST_CASE("a layer that is not a tar at all is corrupt input naming the layer", "[convert]") {
  TempDir tmp;
  std::string path = tmp.file("not-a-tar");
  write_bytes(path, std::string(3000, '\x01') + "this is not an archive");
  check_corrupt(squash({path}, tmp.file("out.sqfs")), {path}, 0, "");
}

TEST_CASE("an entry declaring 2^62 bytes with no data is corrupt input, quickly", "[convert]") {
  TempDir tmp;
  std::string path = tmp.file("absurd.tar");
  write_bytes(path, build_tar({tar_file("before", "b")}).substr(0, 1024) +
                        raw_tar_header("absurd", std::int64_t{1} << 62) + std::string(1024, '\0'));
  auto start = std::chrono::steady_clock::now();
  check_corrupt(squash({path}, tmp.file("out.sqfs")), {path}, 0, "absurd");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
  CHECK(std::filesystem::file_size(tmp.file("out.sqfs")) < (std::uintmax_t{1} << 30));
}

TEST_CASE("a 1000-level-deep tree converts, and a path over 4096 bytes is corrupt input",
          "[convert]") {
  TempDir tmp;
  Layer deep;
  std::string path;
  for (int i = 0; i < 1000; ++i) {
    path += path.empty() ? "d" : "/d";
    deep.push_back(tar_dir(path));
  }
  deep.push_back(tar_file(path + "/bottom", "deep"));
  auto paths = write_tars(tmp, {deep});
  auto result = squash(paths, tmp.file("out.sqfs"));
  INFO((result ? std::string("converted") : result.error().what()));
  REQUIRE(result.has_value());
  CHECK(listing(tmp.file("out.sqfs")).find("squashfs-root/" + path + "/bottom") !=
        std::string::npos);

  std::string too_long;
  while (too_long.size() <= 4200)
    too_long += "dd/";
  auto long_paths = write_tars(tmp, {{tar_file(too_long + "f", "x")}});
  check_corrupt(squash(long_paths, tmp.file("long.sqfs")), long_paths, 0, "");
}

TEST_CASE("a symlink target over 4095 bytes is corrupt input naming layer and entry",
          "[convert][hostile]") {
  // The kernel's squashfs reader reports such a symlink as corrupt (and symlink(2) could
  // never have made it): refused at conversion, not found by the first run.
  TempDir tmp;
  auto paths = write_tars(
      tmp, {{tar_file("ok", "fine")}, {tar_symlink("huge-link", std::string(70000, 't'))}});
  check_corrupt(squash(paths, tmp.file("out.sqfs")), paths, 1, "huge-link");

  auto edge = write_tars(tmp, {{tar_symlink("edge-link", std::string(4096, 'e'))}});
  check_corrupt(squash(edge, tmp.file("edge.sqfs")), edge, 0, "edge-link");

  auto ok_paths = write_tars(tmp, {{tar_symlink("max-link", std::string(4095, 'm'))}});
  REQUIRE(squash(ok_paths, tmp.file("ok.sqfs")).has_value());
  CHECK(listing(tmp.file("ok.sqfs")).find("squashfs-root/max-link") != std::string::npos);
}

TEST_CASE("whiteouts naming . or .. hide nothing outside their directory", "[convert]") {
  TempDir tmp;
  for (std::string whiteout : {"a/.wh..", "a/.wh...", ".wh..", ".wh..."}) {
    DYNAMIC_SECTION(whiteout) {
      auto paths = write_tars(tmp, {{tar_dir("a"), tar_file("a/f", "f"), tar_file("b", "b")},
                                    {tar_file(whiteout, "")}});
      auto result = squash(paths, tmp.file("out.sqfs"));
      if (!result) {
        INFO("error: " << result.error().what());
        CHECK(result.error().kind() == ErrorKind::corrupt_input);
      } else {
        std::string list = listing(tmp.file("out.sqfs"));
        CHECK(list.find("squashfs-root/a/f") != std::string::npos);
        CHECK(list.find("squashfs-root/b") != std::string::npos);
      }
    }
  }
}

} // namespace sifkit::test
