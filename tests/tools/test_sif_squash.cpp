// sif-squash and sif-pull -o through their binaries: JSON summaries, reuse of a cached
// conversion, root filesystem inputs, and bad arguments.
#include <filesystem>
#include <string>

#include "convert/convert_support.h"
#include "registry/daemon_export_stub.h"
#include "registry/registry_fixture.h"
#include "support/fixtures.h"
#include "support/scoped_env.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

using namespace sifkit::test;

namespace {

CommandResult sif_squash(const TempDir& dir, const std::string& arguments) {
  return run_command("'" + tool("sif-squash") + "' --cache '" + dir.file("cache") + "' " +
                     arguments + " </dev/null");
}

CommandResult sif_inspect(const std::string& arguments) {
  return run_command("'" + tool("sif-inspect") + "' " + arguments);
}

} // namespace

TEST_CASE("sif-squash converts an OCI layout and reuses the conversion", "[squash]") {
  TempDir dir;
  TestImage image = write_test_image(dir.file("layout"), two_layers());
  auto first = sif_squash(dir, "--json --quiet " + image.dir + " -o '" + dir.file("a.sif") + "'");
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.err.empty());
  auto summary = nlohmann::json::parse(first.out);
  CHECK(summary["kind"] == "image");
  CHECK(summary["source"] == "oci:" + image.dir);
  CHECK(summary["manifest"] == image.manifest.text());
  CHECK(summary["reused"] == false);
  CHECK(summary["size"] == std::filesystem::file_size(dir.file("a.sif")));
  REQUIRE(summary["squashfs"].size() == 1);
  CHECK(summary["stats"]["files"] == 2);

  auto verify = sif_inspect("verify '" + dir.file("a.sif") + "'");
  CHECK(verify.exit_code == 0);

  auto again = sif_squash(dir, "--json " + image.dir + " -o '" + dir.file("b.sif") + "'");
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  auto second = nlohmann::json::parse(again.out);
  CHECK(second["reused"] == true);
  CHECK(second["stats"].is_null());
  CHECK(second["sif"] == summary["sif"]);
  CHECK(second["squashfs"] == summary["squashfs"]);
  CHECK(file_bytes(dir.file("a.sif")) == file_bytes(dir.file("b.sif")));
}

TEST_CASE("sif-squash converts a root filesystem directory and a tar", "[squash]") {
  TempDir dir;
  std::filesystem::create_directories(dir.file("rootfs/etc"));
  write_bytes(dir.file("rootfs/etc/motd"), "hello\n");
  auto converted = sif_squash(dir, "'" + dir.file("rootfs") + "' -o '" + dir.file("r.sif") + "'");
  INFO(converted.err);
  REQUIRE(converted.exit_code == 0);
  CHECK_THAT(converted.err, Catch::Contains("wrote"));
  CHECK(sif_inspect("verify '" + dir.file("r.sif") + "'").exit_code == 0);

  write_bytes(dir.file("rootfs.tar.gz"), gzip(build_tar({tar_file("etc/motd", "hi\n")})));
  auto raw =
      sif_squash(dir, "--json --format squashfs --block-size 1M --compressor zstd '" +
                          dir.file("rootfs.tar.gz") + "' -o '" + dir.file("r.squashfs") + "'");
  INFO(raw.err);
  REQUIRE(raw.exit_code == 0);
  auto summary = nlohmann::json::parse(raw.out);
  CHECK(summary["kind"] == "tar");
  CHECK(summary["format"] == "squashfs");
  CHECK(file_bytes(dir.file("r.squashfs")).substr(0, 4) == "hsqs");
  CHECK(summary["squashfs"][0]["digest"] ==
        "sha256:" + sifkit::sha256_hex(file_bytes(dir.file("r.squashfs"))));
}

TEST_CASE("sif-pull -o writes the OCI-SIF that sif-squash writes", "[squash]") {
  TempDir dir;
  TestImage image = write_test_image(dir.file("layout"), two_layers());
  auto pulled =
      run_command("'" + tool("sif-pull") + "' --quiet --json --cache '" + dir.file("cache") +
                  "' oci:" + image.dir + " -o '" + dir.file("p.sif") + "'");
  INFO(pulled.err);
  REQUIRE(pulled.exit_code == 0);
  auto summary = nlohmann::json::parse(pulled.out);
  CHECK(summary["output"]["reused"] == false);
  CHECK(summary["output"]["size"] == std::filesystem::file_size(dir.file("p.sif")));
  auto squashed = sif_squash(dir, "--quiet oci:" + image.dir + " -o '" + dir.file("s.sif") + "'");
  REQUIRE(squashed.exit_code == 0);
  CHECK(file_bytes(dir.file("p.sif")) == file_bytes(dir.file("s.sif")));
}

TEST_CASE("sif-squash refuses bad arguments with exit code 2 and writes nothing", "[squash]") {
  TempDir dir;
  std::filesystem::create_directories(dir.file("rootfs"));
  write_bytes(dir.file("notes.txt"), "not a tar");
  std::string rootfs = "'" + dir.file("rootfs") + "' ";
  struct Row {
    std::string arguments;
    int exit_code;
    std::string message;
  };
  for (const Row& row : std::vector<Row>{
           {rootfs, 2, "--output"},
           {"-o x.sif", 2, "SOURCE"},
           {rootfs + "-o x.sif --compressor brotli", 2, "brotli"},
           {rootfs + "-o x.sif --level 99", 2, "level"},
           {rootfs + "-o x.sif --block-size 3K", 2, "block size"},
           {rootfs + "-o x.sif --block-size lots", 2, "not a size"},
           {rootfs + "-o x.sif --format tar", 2, "--format"},
           {rootfs + "-o x.sif --format squashfs --keep-layers", 2, "--keep-layers"},
           {"'" + dir.file("notes.txt") + "' -o x.sif", 2, "oci-archive:"},
           {"oci:" + dir.file("absent") + " -o x.sif", 3, "absent"},
       }) {
    INFO(row.arguments);
    auto result = sif_squash(dir, row.arguments);
    CHECK(result.exit_code == row.exit_code);
    CHECK_THAT(result.err, Catch::Contains(row.message));
  }
  CHECK_FALSE(std::filesystem::exists("x.sif"));
}

TEST_CASE("sif-squash refuses an image that is already squashfs", "[squash]") {
  TempDir dir;
  TestImage image = write_test_image(dir.file("layout"), two_layers(),
                                     "application/vnd.sylabs.image.layer.v1.squashfs");
  auto result = sif_squash(dir, image.dir + " -o '" + dir.file("x.sif") + "'");
  CHECK(result.exit_code == 6);
  CHECK_THAT(result.err, Catch::Contains("already an OCI-SIF layer"));
  CHECK_FALSE(std::filesystem::exists(dir.file("x.sif")));
}

TEST_CASE("sif-squash --help teaches the sources by example", "[squash]") {
  auto help = run_command("'" + tool("sif-squash") + "' --help");
  REQUIRE(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("Examples:") && Catch::Contains("tar:FILE") &&
                           Catch::Contains("--keep-layers") && Catch::Contains("Exit codes"));
}

TEST_CASE("sif-squash converts a pulled image from the cache when its registry is gone",
          "[squash]") {
  if (run_command("command -v skopeo").exit_code != 0) {
    SIFKIT_SKIP(program, "skopeo (to push the test image) is not installed");
    return;
  }
  TempDir dir;
  TestImage image = write_test_image(dir.file("layout"), two_layers());
  std::string ref;
  {
    SIFKIT_START_REGISTRY(registry, RegistryMode::plain);
    ref = "docker://" + registry->host() + "/test/offline:1";
    auto pushed = run_command("skopeo copy -q --dest-tls-verify=false oci:" + image.dir + " " + ref);
    INFO(pushed.err);
    REQUIRE(pushed.exit_code == 0);
    auto online = sif_squash(dir, "--quiet --insecure " + ref + " -o '" + dir.file("a.sif") + "'");
    INFO(online.err);
    REQUIRE(online.exit_code == 0);
  }
  auto offline = sif_squash(dir, "--insecure " + ref + " -o '" + dir.file("b.sif") + "'");
  INFO(offline.err);
  REQUIRE(offline.exit_code == 0);
  CHECK_THAT(offline.err, Catch::Contains("using the cached image"));
  CHECK(file_bytes(dir.file("a.sif")) == file_bytes(dir.file("b.sif")));

  // Without a cached copy, the network error stands.
  auto other = sif_squash(dir, "--quiet --insecure " + ref.substr(0, ref.size() - 1) + "2 -o '" +
                                   dir.file("c.sif") + "'");
  CHECK(other.exit_code == 10);
  CHECK_FALSE(std::filesystem::exists(dir.file("c.sif")));
}

TEST_CASE("sif-pull and sif-squash refuse a layout file that is /dev/zero or a FIFO at once",
          "[squash][pull][hostile]") {
  TempDir dir;
  TestImage image = write_test_image(dir.file("layout"), two_layers());
  std::string victim;
  std::string expected;
  SECTION("oci-layout links to /dev/zero") {
    victim = image.dir + "/oci-layout";
    expected = "oci-layout";
    std::filesystem::remove(victim);
    std::filesystem::create_symlink("/dev/zero", victim);
  }
  SECTION("index.json links to /dev/zero") {
    victim = image.dir + "/index.json";
    expected = "index.json";
    std::filesystem::remove(victim);
    std::filesystem::create_symlink("/dev/zero", victim);
  }
  SECTION("index.json is a FIFO") {
    victim = image.dir + "/index.json";
    expected = "index.json is not a regular file";
    std::filesystem::remove(victim);
    REQUIRE(::mkfifo(victim.c_str(), 0644) == 0);
  }
  SECTION("a layer blob is a FIFO") {
    victim = image.layer_blobs.back();
    expected = "is not a regular file";
    std::filesystem::remove(victim);
    REQUIRE(::mkfifo(victim.c_str(), 0644) == 0);
  }
  // `timeout` turns a hang (a FIFO opened for reading waits for a writer) into exit 124.
  auto pull = run_command("timeout 20 '" + tool("sif-pull") + "' --quiet --cache '" +
                          dir.file("cache") + "' oci:" + image.dir + " </dev/null");
  INFO(pull.err);
  CHECK(pull.exit_code != 0);
  CHECK(pull.exit_code != 124);
  CHECK_THAT(pull.err, Catch::Contains(expected));
  auto squash =
      run_command("timeout 20 '" + tool("sif-squash") + "' --quiet --cache '" + dir.file("cache") +
                  "' " + image.dir + " -o '" + dir.file("x.sif") + "' </dev/null");
  INFO(squash.err);
  CHECK(squash.exit_code != 0);
  CHECK(squash.exit_code != 124);
  CHECK_THAT(squash.err, Catch::Contains(expected));
  CHECK_FALSE(std::filesystem::exists(dir.file("x.sif")));
}

TEST_CASE("sif-squash converts a docker-daemon: image as it converts its docker-archive",
          "[squash][docker-daemon]") {
  TempDir dir;
  write_docker_save(dir.file("save.tar"), "hello:1", {{"hello.txt", "hello", ""}});
  DaemonExportStub daemon(dir.file("docker.sock"), "hello:1", dir.file("save.tar"));
  ScopedEnv host("DOCKER_HOST", daemon.docker_host());
  auto exported = sif_squash(dir, "--json docker-daemon:hello:1 -o '" + dir.file("d.sif") + "'");
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  CHECK(daemon.exports() == 1);
  auto summary = nlohmann::json::parse(exported.out);
  CHECK(summary["kind"] == "image");
  CHECK(summary["reused"] == false);
  auto archived = sif_squash(dir, "--json docker-archive:'" + dir.file("save.tar") + "' -o '" +
                                      dir.file("a.sif") + "'");
  INFO(archived.err);
  REQUIRE(archived.exit_code == 0);
  CHECK(nlohmann::json::parse(archived.out)["reused"] == true);
  CHECK(file_bytes(dir.file("d.sif")) == file_bytes(dir.file("a.sif")));
  CHECK(std::filesystem::is_empty(dir.file("cache/tmp")));
}
