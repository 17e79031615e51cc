// sif-overlay create on real OCI-SIFs: the ext3 layer it appends (checked with sif-inspect
// and the library's reader), running with it (read-only, then --writable), and refusals
// that leave the file as it was.
#include <runtime/image/image.h>
#include <runtime/run_fixture.h>

#include <filesystem>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <support/fixtures.h>
#include <sys/mount.h>
#include <unistd.h>

using namespace sifkit::test;

namespace {

CommandResult overlay(const std::string& args) {
  return run_command(tool("sif-overlay") + " " + args);
}

CommandResult inspect(const std::string& args) {
  return run_command(tool("sif-inspect") + " " + args);
}

bool have_mkfs_ext3() {
  if (run_command("PATH=$PATH:/sbin:/usr/sbin command -v mkfs.ext3").exit_code != 0) {
    SIFKIT_SKIP(program, "mkfs.ext3 (e2fsprogs) is missing");
    return false;
  }
  if (!have_static_busybox()) {
    SIFKIT_SKIP(program, "/bin/busybox (Debian's busybox-static) is missing");
    return false;
  }
  return true;
}

// The files in `dir` whose names start with '.' (scratch files left behind).
std::vector<std::string> hidden_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().starts_with(".")) {
      out.push_back(entry.path().string());
    }
  }
  return out;
}

// A command listing upper/ of the ext3 file system at `offset` in `file` (debugfs).
std::string fmt_list(const std::string& file, std::int64_t offset) {
  return "PATH=$PATH:/sbin:/usr/sbin debugfs -R 'ls /upper' " +
         shell_quote(file + "?offset=" + std::to_string(offset)) + " 2>&1";
}

} // namespace

TEST_CASE("sif-overlay create appends an ext3 layer that sif-inspect lists", "[sif-overlay]") {
  if (!have_mkfs_ext3()) {
    return;
  }
  TempDir dir;
  std::string sif = dir.file("image.sif");
  make_busybox_sif(sif);
  auto before = sifkit::runtime::open_run_image(sif);
  REQUIRE(before);

  auto created = overlay("create --size 64 --create-dir /data --json " + sif);
  INFO(created.err);
  REQUIRE(created.exit_code == 0);
  auto out = nlohmann::json::parse(created.out);
  CHECK(out["layer"]["mediaType"] == "application/vnd.sylabs.image.layer.v1.ext3");
  CHECK(out["layer"]["size"] == 64 * 1024 * 1024);
  CHECK(hidden_files(dir.path().string()).empty());

  auto shown = inspect("oci --json " + sif);
  INFO(shown.err);
  REQUIRE(shown.exit_code == 0);
  auto image = nlohmann::json::parse(shown.out)["images"][0];
  CHECK(image["manifest_digest"] == out["manifest"]);
  auto layers = image["layers"];
  REQUIRE(layers.size() == before->layers.size() + 1);
  CHECK(layers.back()["media_type"] == "application/vnd.sylabs.image.layer.v1.ext3");
  CHECK(layers.back()["digest"] == out["layer"]["digest"]);
  CHECK(inspect("verify " + sif).exit_code == 0);

  auto after = sifkit::runtime::open_run_image(sif);
  REQUIRE(after);
  REQUIRE(after->overlay);
  CHECK(after->overlay->digest.text() == out["layer"]["digest"]);
  CHECK(after->layers.size() == before->layers.size());
  CHECK(after->config.diff_ids.size() == after->layers.size() + 1);
  CHECK(after->config.diff_ids.back().text() == out["layer"]["digest"]);
  CHECK(after->config.history.size() == before->config.history.size() + 1);
  CHECK(after->config.config.cmd == before->config.config.cmd);
  // The layer's bytes are an ext3 file system with the upper/data directory.
  auto listing = run_command(fmt_list(sif, after->overlay->offset));
  CHECK_THAT(listing.out, Catch::Contains("data"));

  auto again = overlay("create --size 64 " + sif);
  CHECK(again.exit_code == 7);
  CHECK_THAT(again.err, Catch::Contains("overlay already"));
}

TEST_CASE("an embedded overlay is read-only unless sif-run --writable", "[sif-overlay][root]") {
  if (!have_mkfs_ext3()) {
    return;
  }
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "the run tests need root");
    return;
  }
  TempDir dir;
  std::string sif = dir.file("image.sif");
  std::string state = dir.file("state");
  make_busybox_sif(sif);
  REQUIRE(overlay("create --size 64 -q " + sif).exit_code == 0);
  for (const auto& rt : usable_runtimes()) {
    INFO("runtime " << rt);
    std::string file = "/kept-" + rt;
    auto plain = sif_run(state, "--runtime " + rt + " " + sif + " sh -c 'echo x > " + file +
                                    "; cat /opt/data/file'");
    INFO(plain.err);
    REQUIRE(plain.exit_code == 0);
    CHECK(plain.out == "image data\n");
    CHECK(sif_run(state, "--runtime " + rt + " " + sif + " cat " + file).exit_code != 0);

    auto write =
        sif_run(state, "--runtime " + rt + " --writable " + sif + " sh -c 'echo w > " + file + "'");
    INFO(write.err);
    REQUIRE(write.exit_code == 0);
    CHECK(run_leftovers(sif, state) == "");
    auto read = sif_run(state, "--runtime " + rt + " " + sif + " cat " + file);
    INFO(read.err);
    CHECK(read.out == "w\n");
    CHECK(run_leftovers(sif, state) == "");
  }
}

TEST_CASE("sif-overlay create refuses bad input and leaves the file unchanged", "[sif-overlay]") {
  if (!have_mkfs_ext3()) {
    return;
  }
  TempDir dir;
  std::string sif = dir.file("image.sif");
  make_busybox_sif(sif);
  std::string original = file_bytes(sif);

  auto small = overlay("create --size 0 " + sif);
  CHECK(small.exit_code == 2);
  CHECK(file_bytes(sif) == original);
  auto relative = overlay("create --create-dir data " + sif);
  CHECK(relative.exit_code == 2);
  CHECK(file_bytes(sif) == original);
  auto missing = overlay("create " + dir.file("missing.sif"));
  CHECK(missing.exit_code == 3);

  auto plain = overlay("create " + fixture("sif-upstream/test/images/one-group.sif"));
  CHECK(plain.exit_code == 6);
  CHECK_THAT(plain.err, Catch::Contains("not an OCI-SIF"));
  CHECK(hidden_files(dir.path().string()).empty());
}

TEST_CASE("sif-overlay create on a full disk leaves the file unchanged", "[sif-overlay][root]") {
  if (!have_mkfs_ext3()) {
    return;
  }
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "mounting a small tmpfs needs root");
    return;
  }
  TempDir dir;
  std::string sif = dir.file("image.sif");
  make_busybox_sif(sif);
  std::string small = dir.file("small");
  std::filesystem::create_directory(small);
  auto size_kb = std::filesystem::file_size(sif) / 1024 + 512;
  std::string data = "size=" + std::to_string(size_kb) + "k";
  REQUIRE(::mount("tmpfs", small.c_str(), "tmpfs", 0, data.c_str()) == 0);
  std::string target = small + "/image.sif";
  std::filesystem::copy_file(sif, target);
  std::string original = file_bytes(target);
  for (const auto* sparse : {"", "--sparse "}) {
    INFO("flags " << sparse);
    auto full = overlay(std::string("create --size 64 ") + sparse + target);
    CHECK(full.exit_code == 5);
    CHECK(file_bytes(target) == original);
    CHECK(hidden_files(small).empty());
  }
  ::umount2(small.c_str(), MNT_DETACH);
}
