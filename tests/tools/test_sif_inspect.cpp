#include <filesystem>
#include <fstream>
#include <string>

#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using sifkit::test::CommandResult;
using sifkit::test::fixture;
using sifkit::test::fixture_bytes;
using sifkit::test::run_command;
using sifkit::test::TempDir;

namespace {

const std::string k_app = "sif-upstream/internal/app/siftool/testdata/";

std::string image_path(const std::string& image) {
  return fixture("sif-upstream/test/images/" + image + ".sif");
}

// Runs sif-inspect with `arguments` (already quoted where needed).
CommandResult inspect(const std::string& arguments) {
  return run_command("'" + sifkit::test::tool("sif-inspect") + "' " + arguments);
}

// A copy of one-object-oci-blob.sif in `dir` with one byte of its blob flipped.
std::string tampered_blob_image(const TempDir& dir) {
  std::string path = dir.file("tampered.sif");
  std::string bytes = fixture_bytes("sif-upstream/test/images/one-object-oci-blob.sif");
  bytes[32176 + 10] = static_cast<char>(bytes[32176 + 10] ^ 0x20);
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

} // namespace

TEST_CASE("sif-inspect prints siftool's header, list and info output", "[inspect]") {
  struct Case {
    std::string arguments;
    std::string golden;
  };
  const Case cases[] = {
      {"header " + image_path("one-group-signed-legacy"),
       k_app + "TestApp_Header/OneGroupSignedLegacy.golden"},
      {"header " + image_path("empty-launch-script"),
       k_app + "TestApp_Header/EmptyLaunchScript.golden"},
      {"list " + image_path("two-groups-signed-pgp"),
       k_app + "TestApp_List/TwoGroupsSignedPGP.golden"},
      {"list " + image_path("one-object-oci-root-index"),
       k_app + "TestApp_List/OneObjectOCIRootIndex.golden"},
      {"info 4 " + image_path("two-groups-signed-pgp"),
       k_app + "TestApp_Info/DataSignature.golden"},
      {"info 1 " + image_path("one-object-time"), k_app + "TestApp_Info/Time.golden"},
  };
  for (const Case& c : cases) {
    INFO(c.arguments);
    CommandResult result = inspect(c.arguments);
    CHECK(result.exit_code == 0);
    CHECK(result.out == fixture_bytes(c.golden));
    CHECK(result.err.empty());
  }
}

TEST_CASE("sif-inspect dump writes an object's raw bytes", "[inspect]") {
  CommandResult one = inspect("dump 1 " + image_path("one-group"));
  CHECK(one.exit_code == 0);
  CHECK(one.out == fixture_bytes(k_app + "TestApp_Dump/One.golden"));
  CommandResult two = inspect("dump 2 " + image_path("one-group"));
  CHECK(two.exit_code == 0);
  CHECK(two.out == fixture_bytes(k_app + "TestApp_Dump/Two.golden"));
}

TEST_CASE("sif-inspect --json prints JSON that parses", "[inspect]") {
  CommandResult header = inspect("header --json " + image_path("empty-id"));
  REQUIRE(header.exit_code == 0);
  CHECK(nlohmann::json::parse(header.out)["id"] == "3fa802cc-358b-45e3-bcc0-69dc7a45f9f8");

  CommandResult list = inspect("list --json " + image_path("two-groups"));
  REQUIRE(list.exit_code == 0);
  auto objects = nlohmann::json::parse(list.out);
  REQUIRE(objects.size() == 3);
  CHECK(objects[2]["partition"]["fs_type"] == "Ext3");

  CommandResult info = inspect("info --json 1 " + image_path("one-object-oci-blob"));
  REQUIRE(info.exit_code == 0);
  CHECK(nlohmann::json::parse(info.out)["type"] == "OCI.Blob");

  CommandResult verify = inspect("verify --json " + image_path("one-object-oci-blob"));
  REQUIRE(verify.exit_code == 0);
  CHECK(nlohmann::json::parse(verify.out)["ok"] == true);
}

TEST_CASE("sif-inspect verify passes an intact OCI blob and fails a tampered one", "[inspect]") {
  CommandResult clean = inspect("verify " + image_path("one-object-oci-blob"));
  CHECK(clean.exit_code == 0);
  CHECK(clean.out == "OCI digests: 1 object(s) checked, all match\n");

  TempDir dir;
  std::string tampered = tampered_blob_image(dir);
  CommandResult bad = inspect("verify '" + tampered + "'");
  CHECK(bad.exit_code == 4);
  CHECK_THAT(bad.out, Catch::Contains("object 1 (OCI.Blob): stored digest"));
  CHECK_THAT(bad.err, Catch::StartsWith("sif-inspect: ") && Catch::Contains("do not match"));

  CommandResult listed = inspect("list --verify '" + tampered + "'");
  CHECK(listed.exit_code == 4);
  CHECK_THAT(listed.out,
             Catch::StartsWith(fixture_bytes(k_app + "TestApp_List/OneObjectOCIBlob.golden")));

  CommandResult json = inspect("list --verify --json '" + tampered + "'");
  CHECK(json.exit_code == 4);
  auto parsed = nlohmann::json::parse(json.out);
  CHECK(parsed["objects"].size() == 1);
  CHECK(parsed["verify"]["findings"][0]["problem"] == "mismatch");
}

TEST_CASE("sif-inspect exits with the code of the failure's kind", "[inspect]") {
  TempDir dir;
  std::string text_file = dir.file("notes.txt");
  std::ofstream(text_file) << "this is not a SIF file, only a few words of text\n";

  CommandResult missing = inspect("header '" + dir.file("missing.sif") + "'");
  CHECK(missing.exit_code == 3);
  CHECK_THAT(missing.err, Catch::StartsWith("sif-inspect: "));

  CommandResult not_sif = inspect("list '" + text_file + "'");
  CHECK(not_sif.exit_code == 4);
  CHECK_THAT(not_sif.err, Catch::StartsWith("sif-inspect: "));

  CHECK(inspect("info 99 " + image_path("one-group")).exit_code == 3);
  CHECK(inspect("dump 99 " + image_path("one-group")).exit_code == 3);

  CHECK(inspect("").exit_code == 2);
  CHECK(inspect("frobnicate " + image_path("one-group")).exit_code == 2);
  CHECK(inspect("info " + image_path("one-group")).exit_code == 2);
  CHECK(inspect("info one " + image_path("one-group")).exit_code == 2);
  CHECK(inspect("info -- -1 " + image_path("one-group")).exit_code == 2);
  CHECK(inspect("header --bogus " + image_path("one-group")).exit_code == 2);
  CHECK(inspect("dump --json 1 " + image_path("one-group")).exit_code == 2);
}

TEST_CASE("sif-inspect --help describes the subcommands, JSON fields and exit codes", "[inspect]") {
  CommandResult help = inspect("--help");
  CHECK(help.exit_code == 0);
  for (const char* text : {"header", "list", "info", "dump", "verify", "descriptors_free",
                           "size_with_padding", "is_oci_sif", "Exit codes", "corrupt input"}) {
    CHECK_THAT(help.out, Catch::Contains(text));
  }
}

TEST_CASE("sif-inspect oci prints the images of an OCI-SIF and fails on a plain SIF",
          "[inspect][oci]") {
  std::string oci_sif =
      fixture("oci-sif-upstream/pkg/sif/testdata/TestWrite/DockerManifest.golden");
  auto text = inspect("oci " + oci_sif);
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("linux/arm64/v8") != std::string::npos);
  auto json = inspect("oci --json " + oci_sif);
  CHECK(json.exit_code == 0);
  CHECK(nlohmann::json::parse(json.out)["images"].size() == 1);
  auto plain = inspect("oci " + fixture("sif-upstream/test/images/one-group.sif"));
  CHECK(plain.exit_code == 3);
  CHECK(plain.err.find("not an OCI-SIF") != std::string::npos);
}
