// The OCI model: digests, platforms, parsing of hostile JSON, and serialisation of
// indexes byte-for-byte as go-containerregistry writes them.
#include "sif/oci_support.h"

#include <sif/oci_index_edit.h>
#include <sif/oci_json.h>
#include <sif/oci_parse.h>
#include <sif/oci_types.h>

using namespace sifkit;
using namespace sifkit::test;

namespace {

const std::string k_zero_digest =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

} // namespace

TEST_CASE("accepts only sha256 digests with 64 lower-case hex digits", "[oci]") {
  CHECK(oci::Digest::parse(k_zero_digest).has_value());
  for (const char* bad : {"", "sha256:", "sha256:../../etc/passwd", "sha512:00",
                          "sha256:ABCDEF0000000000000000000000000000000000000000000000000000000000",
                          "sha256:00000000000000000000000000000000000000000000000000000000000000000",
                          "sha256:0000000000000000000000000000000000000000000000000000000000000/0"}) {
    INFO(bad);
    auto d = oci::Digest::parse(bad);
    REQUIRE_FALSE(d);
    CHECK(d.error().kind() == ErrorKind::corrupt_input);
  }
  CHECK(oci::Digest::of("").text() ==
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("parses os/arch/variant platform strings", "[oci]") {
  auto p = oci::Platform::parse("linux/arm64/v8");
  REQUIRE_OK(p);
  CHECK(p->os == "linux");
  CHECK(p->architecture == "arm64");
  CHECK(p->variant == "v8");
  CHECK(p->to_string() == "linux/arm64/v8");
  for (const char* bad : {"", "linux", "linux/", "/amd64", "a/b/c/d"}) {
    INFO(bad);
    CHECK_FALSE(oci::Platform::parse(bad).has_value());
  }
}

TEST_CASE("re-serialises a pretty-printed layout index compactly as Go does", "[oci]") {
  oci::OciLayout layout = open_layout("hello-world-docker-v2-manifest");
  CHECK(oci::serialize_index(layout.index()) ==
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
        R"("manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
        R"("size":525,"digest":"sha256:432f982638b3aefab73cc58ab28f5c16e96fdb504e8c134fc58dff4bae8bf338",)"
        R"("platform":{"architecture":"arm64","os":"linux","variant":"v8"},)"
        R"("artifactType":"application/vnd.docker.container.image.v1+json"}]})");
}

TEST_CASE("serialises every descriptor field in go-containerregistry's order", "[oci]") {
  oci::Descriptor d;
  d.media_type = "m";
  d.size = 7;
  d.digest = *oci::Digest::parse(k_zero_digest);
  d.data = "e30=";
  d.urls = {"https://a/b?x=1&y=<2>"};
  d.annotations = {{"z", "last"}, {"a", "first"}};
  d.platform = oci::Platform{"amd64", "windows", "10.0", {"win32k"}, "", {"sse4"}};
  d.artifact_type = "t";
  CHECK(oci::serialize_descriptor(d) ==
        R"({"mediaType":"m","size":7,"digest":")" + k_zero_digest +
            R"(","data":"e30=","urls":["https://a/b?x=1\u0026y=\u003c2\u003e"],)"
            R"("annotations":{"a":"first","z":"last"},)"
            R"("platform":{"architecture":"amd64","os":"windows","os.version":"10.0",)"
            R"("os.features":["win32k"],"features":["sse4"]},"artifactType":"t"})");
}

TEST_CASE("escapes strings as Go's encoding/json does", "[oci]") {
  auto json = [](std::string_view s) {
    std::string out;
    oci::append_json_string(out, s);
    return out;
  };
  CHECK(json("a\"b\\c") == R"("a\"b\\c")");
  CHECK(json("\n\r\t\b\f") == R"("\n\r\t\b\f")");
  CHECK(json(std::string("\x01\x1f", 2)) == R"("\u0001\u001f")");
  CHECK(json("<&>") == R"("\u003c\u0026\u003e")");
  CHECK(json("\xe2\x80\xa8\xe2\x80\xa9") == R"("\u2028\u2029")");
  CHECK(json("caf\xc3\xa9 \xf0\x9f\x90\xb3") == "\"caf\xc3\xa9 \xf0\x9f\x90\xb3\"");
  CHECK(json("\xff") == R"("\ufffd")");
  CHECK(json("\xc0\x80") == R"("\ufffd\ufffd")"); // overlong
  CHECK(json("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")"); // surrogate
  CHECK(json("\x7f") == "\"\x7f\"");
}

TEST_CASE("serialises an index without entries with a null manifest list", "[oci]") {
  CHECK(oci::serialize_index(oci::empty_index()) ==
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":null})");
}

TEST_CASE("describes an image with its config media type as artifactType", "[oci]") {
  oci::OciLayout layout = open_layout("hello-world-docker-v2-manifest");
  auto d = oci::describe_blob(layout, layout.index().manifests.front().digest);
  REQUIRE_OK(d);
  CHECK(d->media_type == oci::k_media_docker_manifest);
  CHECK(d->size == 525);
  CHECK(d->artifact_type == oci::k_media_docker_config);
  CHECK_FALSE(d->platform);
}

TEST_CASE("moves a reference annotation to the appended entry", "[oci]") {
  oci::Index index = oci::empty_index();
  oci::Descriptor a;
  a.media_type = "m";
  a.digest = *oci::Digest::parse(k_zero_digest);
  a.annotations = {{std::string(oci::k_annotation_ref_name), "x:1"}, {"other", "kept"}};
  index.manifests.push_back(a);
  oci::Descriptor b = a;
  b.annotations.clear();
  oci::append_manifest(index, b, std::string("x:1"));
  REQUIRE(index.manifests.size() == 2);
  CHECK(index.manifests[0].annotations == oci::Annotations{{"other", "kept"}});
  CHECK(index.manifests[1].ref_name() == "x:1");
  oci::remove_manifests(index, oci::match_ref_name("x:1"));
  CHECK(index.manifests.size() == 1);
  oci::remove_manifests(index, {});
  CHECK(index.manifests.empty());
}

TEST_CASE("parses manifests and reports malformed ones as corrupt input", "[oci]") {
  auto manifest = oci::parse_manifest(
      R"({"schemaVersion":2,"config":{"mediaType":"c","size":2,"digest":")" + k_zero_digest +
      R"("},"layers":null,"unknown":{"deep":[1,2,3]}})");
  REQUIRE_OK(manifest);
  CHECK(manifest->layers.empty());
  CHECK(manifest->config.media_type == "c");

  const std::string hostile[] = {
      "",
      "null",
      "\"text\"",
      R"({"schemaVersion":2})",
      R"({"schemaVersion":2,"config":"x"})",
      R"({"schemaVersion":2,"config":{"mediaType":"c","size":2,"digest":")" + k_zero_digest +
          R"("},"layers":[null]})",
      R"({"schemaVersion":2,"config":{"mediaType":"c","size":2,"digest":")" + k_zero_digest +
          R"("},"annotations":[]})",
      R"({"schemaVersion":2,"config":{"mediaType":"c","size":2,"digest":")" + k_zero_digest +
          R"("},"subject":7})",
      R"({"schemaVersion":2,"config":{"mediaType":"c","size":2,"digest":"sha256:zz"}})",
      "{\"schemaVersion\":2,\"mediaType\":\"\xff\"}",
  };
  for (const auto& text : hostile) {
    INFO(text);
    auto m = oci::parse_manifest(text);
    REQUIRE_FALSE(m);
    CHECK(m.error().kind() == ErrorKind::corrupt_input);
  }
  auto v1 = oci::parse_index(R"({"schemaVersion":1,"manifests":[]})");
  REQUIRE_FALSE(v1);
  CHECK(v1.error().kind() == ErrorKind::unsupported);
}

TEST_CASE("refuses deeply nested and oversized JSON without crashing", "[oci]") {
  std::string deep = "{\"schemaVersion\":2,\"x\":" + std::string(200000, '[') +
                     std::string(200000, ']') + "}";
  auto index = oci::parse_index(deep);
  REQUIRE_FALSE(index);
  CHECK(index.error().kind() == ErrorKind::corrupt_input);

  std::string big = "{\"schemaVersion\":2,\"pad\":\"" +
                    std::string(static_cast<std::size_t>(oci::k_max_manifest_size), 'a') + "\"}";
  auto large = oci::parse_index(big);
  REQUIRE_FALSE(large);
  CHECK(large.error().kind() == ErrorKind::corrupt_input);
}

TEST_CASE("reads the platform of an image config", "[oci]") {
  auto p = oci::parse_config_platform(
      R"({"architecture":"arm","os":"linux","variant":"v7","os.features":["a"],"rootfs":{}})");
  REQUIRE_OK(p);
  CHECK(p->to_string() == "linux/arm/v7");
  CHECK(p->os_features == std::vector<std::string>{"a"});
  auto bad = oci::parse_config_platform(R"({"architecture":64})");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind() == ErrorKind::corrupt_input);
}
