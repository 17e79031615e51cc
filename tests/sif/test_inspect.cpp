#include <common/sha256.h>
#include <sif/image.h>
#include <sif/inspect.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace sifkit;
using namespace sifkit::sif;
using sifkit::test::fixture;
using sifkit::test::fixture_bytes;

namespace {

const std::string k_app = "sif-upstream/internal/app/siftool/testdata/";
const std::string k_pkg = "sif-upstream/pkg/siftool/testdata/";

// Upstream golden case name → test image (fixtures/sif-upstream/README.md §3).
struct ImageCase {
  std::string name;
  std::string image;
};

const std::vector<ImageCase> k_image_cases = {
    {"Empty", "empty"},
    {"EmptyID", "empty-id"},
    {"EmptyLaunchScript", "empty-launch-script"},
    {"OneObjectTime", "one-object-time"},
    {"OneObjectGenericJSON", "one-object-generic-json"},
    {"OneObjectCryptMessage", "one-object-crypt-message"},
    {"OneObjectSBOM", "one-object-sbom"},
    {"OneObjectOCIRootIndex", "one-object-oci-root-index"},
    {"OneObjectOCIBlob", "one-object-oci-blob"},
    {"OneGroup", "one-group"},
    {"OneGroupSignedLegacy", "one-group-signed-legacy"},
    {"OneGroupSignedLegacyAll", "one-group-signed-legacy-all"},
    {"OneGroupSignedLegacyGroup", "one-group-signed-legacy-group"},
    {"OneGroupSignedPGP", "one-group-signed-pgp"},
    {"TwoGroups", "two-groups"},
    {"TwoGroupsSignedLegacy", "two-groups-signed-legacy"},
    {"TwoGroupsSignedLegacyAll", "two-groups-signed-legacy-all"},
    {"TwoGroupsSignedLegacyGroup", "two-groups-signed-legacy-group"},
    {"TwoGroupsSignedPGP", "two-groups-signed-pgp"},
};

// A golden `info` output: the golden file, the image and the object ID.
struct InfoCase {
  std::string golden;
  std::string image;
  std::uint32_t id;
};

const std::vector<InfoCase> k_info_cases = {
    {k_app + "TestApp_Info/Time.golden", "one-object-time", 1},
    {k_app + "TestApp_Info/GenericJSON.golden", "one-object-generic-json", 1},
    {k_app + "TestApp_Info/CryptMessage.golden", "one-object-crypt-message", 1},
    {k_app + "TestApp_Info/SBOM.golden", "one-object-sbom", 1},
    {k_app + "TestApp_Info/OCIRootIndex.golden", "one-object-oci-root-index", 1},
    {k_app + "TestApp_Info/OCIBlob.golden", "one-object-oci-blob", 1},
    {k_app + "TestApp_Info/DataPartitionRaw.golden", "two-groups-signed-pgp", 1},
    {k_app + "TestApp_Info/DataPartitionSquashFS.golden", "two-groups-signed-pgp", 2},
    {k_app + "TestApp_Info/DataPartitionEXT3.golden", "two-groups-signed-pgp", 3},
    {k_app + "TestApp_Info/DataSignature.golden", "two-groups-signed-pgp", 4},
    {k_pkg + "Test_command_getInfo/One/out.golden", "one-group-signed-pgp", 1},
    {k_pkg + "Test_command_getInfo/Two/out.golden", "one-group-signed-pgp", 2},
    {k_pkg + "Test_command_getInfo/Three/out.golden", "one-group-signed-pgp", 3},
};

std::string image_path(const std::string& image) {
  return fixture("sif-upstream/test/images/" + image + ".sif");
}

Image open_image(const std::string& image) {
  auto opened = Image::open(image_path(image));
  INFO(image);
  REQUIRE(opened.has_value());
  return std::move(*opened);
}

// The golden files of `view` ("Header", "List") that exist for `c`, in both layers.
std::vector<std::string> goldens_of(const std::string& view, const ImageCase& c) {
  std::vector<std::string> out{k_app + "TestApp_" + view + "/" + c.name + ".golden"};
  std::string pkg = k_pkg + "Test_command_get" + view + "/" + c.name + "/out.golden";
  if (std::filesystem::exists(fixture(pkg))) {
    out.push_back(pkg);
  }
  return out;
}

// Copies fixture `image` into `dir` as a writable file and returns its path.
std::string writable_copy(const test::TempDir& dir, const std::string& image) {
  std::string path = dir.file(image + ".sif");
  std::filesystem::copy_file(image_path(image), path);
  std::filesystem::permissions(path, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  return path;
}

void overwrite(const std::string& path, std::int64_t offset, std::string_view bytes) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(offset);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(file.good());
}

} // namespace

TEST_CASE("reproduces siftool's header output for every upstream image", "[inspect]") {
  int compared = 0;
  for (const ImageCase& c : k_image_cases) {
    Image image = open_image(c.image);
    for (const std::string& golden : goldens_of("Header", c)) {
      INFO(golden);
      CHECK(format_header(image) == fixture_bytes(golden));
      ++compared;
    }
  }
  CHECK(compared == 30);
}

TEST_CASE("reproduces siftool's list output for every upstream image", "[inspect]") {
  int compared = 0;
  for (const ImageCase& c : k_image_cases) {
    Image image = open_image(c.image);
    for (const std::string& golden : goldens_of("List", c)) {
      INFO(golden);
      CHECK(format_list(image) == fixture_bytes(golden));
      ++compared;
    }
  }
  CHECK(compared == 30);
}

TEST_CASE("reproduces siftool's info output for every upstream info golden", "[inspect]") {
  for (const InfoCase& c : k_info_cases) {
    INFO(c.golden);
    auto info = format_info(open_image(c.image), c.id);
    REQUIRE(info.has_value());
    CHECK(*info == fixture_bytes(c.golden));
  }
}

TEST_CASE("info names the missing object when the ID does not exist", "[inspect]") {
  Image image = open_image("one-group");
  auto info = format_info(image, 9);
  REQUIRE_FALSE(info.has_value());
  CHECK(info.error().kind() == ErrorKind::not_found);
  CHECK_THAT(info.error().what(), Catch::Contains("9"));
  CHECK(info_json(image, 0).error().kind() == ErrorKind::not_found);
}

TEST_CASE("prints a signature with an undefined hash type as siftool does", "[inspect]") {
  test::TempDir dir;
  std::string path = dir.file("odd-hash.sif");
  std::vector<ObjectInput> objects(2);
  objects[0].type = DataType::signature;
  objects[0].data = source_from_string("sig");
  std::array<std::byte, 20> no_fingerprint{};
  objects[0].extra = signature_extra(static_cast<HashType>(9), no_fingerprint);
  objects[1].type = DataType::generic;
  objects[1].data = source_from_string("x");
  auto image = Image::create(path, CreateOptions::deterministic(), std::move(objects));
  REQUIRE(image.has_value());

  // siftool writes no type and no newline for such a row: the next row joins it.
  std::string list = format_list(*image);
  CHECK_THAT(list, Catch::EndsWith("|32176-32179" + std::string(15, ' ') +
                                   "2    |1       |NONE    |32179-32180" + std::string(15, ' ') +
                                   "|Generic/Raw\n"));
  auto info = format_info(*image, 1);
  REQUIRE_FALSE(info.has_value());
  CHECK(info.error().kind() == ErrorKind::corrupt_input);
  CHECK(info_json(*image, 1)->at("signature").at("hash").is_null());
}

TEST_CASE("header JSON carries the header fields with nulls for unset values", "[inspect]") {
  auto empty = header_json(open_image("empty"));
  CHECK(empty["launch_script"] == "");
  CHECK(empty["version"] == "01");
  CHECK(empty["primary_arch"].is_null());
  CHECK(empty["id"].is_null());
  CHECK(empty["created_at"].is_null());
  CHECK(empty["modified_at"].is_null());
  CHECK(empty["descriptors_free"] == 48);
  CHECK(empty["descriptors_total"] == 48);
  CHECK(empty["descriptors_offset"] == 4096);
  CHECK(empty["descriptors_size"] == 28080);
  CHECK(empty["data_offset"] == 32176);
  CHECK(empty["data_size"] == 0);
  CHECK(empty["is_oci_sif"] == false);

  auto legacy = header_json(open_image("one-group-signed-legacy"));
  CHECK(legacy["launch_script"] == "#!/usr/bin/env run-singularity\n");
  CHECK(legacy["primary_arch"] == "386");
  CHECK(legacy["id"] == "6ecc76b7-a497-4f7f-9ebd-8da2a04c6be1");
  CHECK(legacy["created_at"] == 1590175859);

  CHECK(header_json(open_image("one-object-time"))["modified_at"] == 1593475316);
  CHECK(header_json(open_image("one-object-oci-root-index"))["is_oci_sif"] == true);
  CHECK(header_json(open_image("one-object-oci-blob"))["is_oci_sif"] == false);
}

TEST_CASE("list JSON describes every object with its typed fields", "[inspect]") {
  auto list = list_json(open_image("two-groups-signed-pgp"));
  REQUIRE(list.size() == 5);

  const auto& raw = list[0];
  CHECK(raw["id"] == 1);
  CHECK(raw["group_id"] == 1);
  CHECK(raw["link"].is_null());
  CHECK(raw["data_type"] == 0x4004);
  CHECK(raw["type"] == "FS");
  CHECK(raw["offset"] == 32768);
  CHECK(raw["size"] == 4);
  CHECK(raw["size_with_padding"] == 596);
  CHECK(raw["created_at"].is_null());
  CHECK(raw["name"] == "");
  CHECK(raw["partition"] ==
        nlohmann::ordered_json{{"fs_type", "Raw"}, {"part_type", "System"}, {"arch", "386"}});
  CHECK_FALSE(raw.contains("signature"));

  const auto& signature = list[4];
  CHECK(signature["id"] == 5);
  CHECK(signature["group_id"].is_null());
  CHECK(signature["link"] == nlohmann::ordered_json{{"id", 2}, {"is_group", true}});
  CHECK(signature["signature"]["hash"] == "SHA-256");
  CHECK(signature["signature"]["fingerprint"] == "12045C8C0B1004D058DE4BEDA20C27EE7FF7BA84");
  CHECK_FALSE(signature.contains("partition"));

  auto legacy = list_json(open_image("one-group-signed-legacy"));
  CHECK(legacy[2]["link"] == nlohmann::ordered_json{{"id", 2}, {"is_group", false}});
}

TEST_CASE("info JSON carries crypto message, SBOM and OCI digest metadata", "[inspect]") {
  auto message = info_json(open_image("one-object-crypt-message"), 1);
  REQUIRE(message.has_value());
  CHECK((*message)["crypto_message"] ==
        nlohmann::ordered_json{{"format", "OpenPGP"}, {"message", "Clear Signature"}});

  auto sbom = info_json(open_image("one-object-sbom"), 1);
  CHECK((*sbom)["sbom_format"] == "cyclonedx-json");

  auto blob = info_json(open_image("one-object-oci-blob"), 1);
  CHECK((*blob)["type"] == "OCI.Blob");
  CHECK((*blob)["digest"] ==
        "sha256:a88b15e95042f7d5a1327c03c57e10bdc1cf5f5efc2968fc73c12b6f5b00c731");

  auto timed = info_json(open_image("one-object-time"), 1);
  CHECK((*timed)["created_at"] == 1593475316);
  CHECK((*timed)["name"] == "data.json");
}

TEST_CASE("JSON text round-trips and survives names that are not UTF-8", "[inspect]") {
  std::string text = dump_json(list_json(open_image("two-groups")));
  CHECK(text.back() == '\n');
  CHECK(nlohmann::json::parse(text).size() == 3);

  nlohmann::ordered_json odd{{"name", std::string("a\xff"
                                                  "b")}};
  std::string dumped;
  REQUIRE_NOTHROW(dumped = dump_json(odd));
  CHECK(nlohmann::json::parse(dumped)["name"] == "a\xEF\xBF\xBD"
                                                 "b");
}

TEST_CASE("OCI digest verification is clean on untouched OCI objects", "[inspect]") {
  for (const char* image : {"one-object-oci-blob", "one-object-oci-root-index"}) {
    INFO(image);
    auto report = verify_oci_digests(open_image(image));
    REQUIRE(report.has_value());
    CHECK(report->checked == 1);
    CHECK(report->clean());
    CHECK(format_digest_report(*report) == "OCI digests: 1 object(s) checked, all match\n");
  }
  auto none = verify_oci_digests(open_image("two-groups"));
  CHECK(none->checked == 0);
  CHECK(digest_report_json(*none) ==
        nlohmann::ordered_json{
            {"checked", 0}, {"ok", true}, {"findings", nlohmann::ordered_json::array()}});
}

TEST_CASE("OCI digest verification reports a blob whose bytes were changed", "[inspect]") {
  test::TempDir dir;
  std::string path = writable_copy(dir, "one-object-oci-blob");
  std::string blob = fixture_bytes("sif-upstream/test/input/oci-config.json");
  blob[100] = static_cast<char>(blob[100] ^ 0x01);
  overwrite(path, 32176 + 100, std::string_view(blob).substr(100, 1));

  auto image = Image::open(path);
  REQUIRE(image.has_value());
  std::vector<DigestFinding> findings;
  auto checked = verify_oci_digests(*image, [&](const DigestFinding& f) { findings.push_back(f); });
  REQUIRE(checked.has_value());
  CHECK(*checked == 1);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].id == 1);
  CHECK(findings[0].data_type == 0x400B);
  CHECK(findings[0].problem == DigestProblem::mismatch);
  CHECK(findings[0].stored ==
        "sha256:a88b15e95042f7d5a1327c03c57e10bdc1cf5f5efc2968fc73c12b6f5b00c731");
  CHECK(findings[0].actual == "sha256:" + sha256_hex(blob));

  auto report = verify_oci_digests(*image);
  CHECK_THAT(format_digest_report(*report),
             Catch::StartsWith("object 1 (OCI.Blob): stored digest sha256:a88b15e9") &&
                 Catch::EndsWith("OCI digests: 1 of 1 object(s) checked do not match\n"));
  auto json = digest_report_json(*report);
  CHECK(json["ok"] == false);
  CHECK(json["findings"][0]["problem"] == "mismatch");
  CHECK(json["findings"][0]["actual_digest"] == findings[0].actual);
}

TEST_CASE("OCI digest verification reports a stored digest that is malformed", "[inspect]") {
  test::TempDir dir;
  std::string path = writable_copy(dir, "one-object-oci-root-index");
  // The digest text starts the extra area of the first descriptor (4096 + 201).
  overwrite(path, 4096 + 201, "SHA256");

  auto report = verify_oci_digests(*Image::open(path));
  REQUIRE(report.has_value());
  REQUIRE(report->findings.size() == 1);
  CHECK(report->findings[0].problem == DigestProblem::malformed);
  CHECK(report->findings[0].stored ==
        "SHA256:2dc692f0dcaf7e3cb30db2d5d61004e4319f13db84331b65f066481c0f94cffb");
  CHECK(report->findings[0].actual ==
        "sha256:2dc692f0dcaf7e3cb30db2d5d61004e4319f13db84331b65f066481c0f94cffb");
}
