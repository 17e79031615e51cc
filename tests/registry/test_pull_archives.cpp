#include <fstream>

#include "archive_support.h"
#include "pull_support.h"

using namespace sifkit;
using namespace sifkit::test;

namespace {

// A small layer: a tar holding one file, gzip-compressed when asked.
std::string make_layer(const TempDir& dir, const std::string& name, const std::string& content,
                       Gzip gzip) {
  write_tar(dir.file(name), {{"hello.txt", content, ""}}, gzip);
  return file_bytes(dir.file(name));
}

const std::string k_config =
    R"({"architecture":"amd64","os":"linux","config":{"Cmd":["/hello"]},"rootfs":{"type":"layers","diff_ids":[]}})";

// A classic `docker save` archive with one image of two layers (gzip and plain).
std::vector<ArchiveMember> docker_save_entries(const TempDir& dir) {
  std::string layer1 = make_layer(dir, "l1.tar.gz", "one", Gzip::yes);
  std::string layer2 = make_layer(dir, "l2.tar", "two", Gzip::no);
  std::string manifest =
      R"([{"Config":"cfg.json","RepoTags":["hello:1"],"Layers":["a/layer.tar","b/layer.tar"]}])";
  return {{"manifest.json", manifest, ""},
          {"cfg.json", k_config, ""},
          {"a/layer.tar", layer1, ""},
          {"b/layer.tar", layer2, ""}};
}

} // namespace

TEST_CASE("pulls an oci-archive made from a fixture layout", "[pull]") {
  TempDir dir;
  std::string layout = image_fixture("many-layers");
  for (const char* flags : {"-cf", "-czf"}) {
    INFO(flags);
    auto tar = run_command("tar -C '" + layout + "' " + flags + " '" + dir.file("img.tar") + "' .");
    REQUIRE(tar.exit_code == 0);
    auto cache = open_test_cache(dir);
    auto from_dir = pull_text(cache, "oci:" + layout);
    REQUIRE(from_dir);
    auto from_archive = pull_text(cache, "oci-archive:" + dir.file("img.tar"));
    REQUIRE(from_archive);
    CHECK(from_archive->manifest_digest == from_dir->manifest_digest);
    CHECK(from_archive->bytes_fetched == 0); // the same blobs are already stored
    CHECK(cache_is_clean(cache));
  }
}

TEST_CASE("pulls a multi-arch oci-archive into an empty cache", "[pull]") {
  TempDir dir;
  auto tar = run_command("tar -C '" + image_fixture("hello-world-docker-v2-manifest-list") +
                         "' -czf '" + dir.file("img.tgz") + "' .");
  REQUIRE(tar.exit_code == 0);
  auto cache = open_test_cache(dir);
  auto pulled = pull_text(cache, "oci-archive:" + dir.file("img.tgz"), "linux/arm/v7");
  REQUIRE(pulled);
  CHECK(pulled->platform == "linux/arm/v7");
  CHECK(pulled->bytes_fetched > 0);
  CHECK(cache_is_clean(cache));
}

TEST_CASE("pulls a docker-archive and synthesises its manifest", "[pull]") {
  TempDir dir;
  auto entries = docker_save_entries(dir);
  write_tar(dir.file("save.tar"), entries);
  auto cache = open_test_cache(dir);
  auto pulled = pull_text(cache, "docker-archive:" + dir.file("save.tar"));
  REQUIRE(pulled);
  CHECK(pulled->manifest_media_type == oci::k_media_docker_manifest);
  CHECK(pulled->config.digest == Digest::of(k_config));
  REQUIRE(pulled->layers.size() == 2);
  CHECK(pulled->layers[0].digest == Digest::of(entries[2].content));
  CHECK(pulled->layers[0].media_type == oci::k_media_docker_layer);
  CHECK(pulled->layers[1].digest == Digest::of(entries[3].content));
  CHECK(pulled->layers[1].media_type == "application/vnd.docker.image.rootfs.diff.tar");

  // The same image by tag and by index gives the same manifest; re-pulling fetches nothing.
  auto by_tag = pull_text(cache, "docker-archive:" + dir.file("save.tar") + ":hello:1");
  REQUIRE(by_tag);
  CHECK(by_tag->manifest_digest == pulled->manifest_digest);
  CHECK(by_tag->bytes_fetched == 0);
  auto by_index = pull_text(cache, "docker-archive:" + dir.file("save.tar") + "@0");
  REQUIRE(by_index);
  CHECK(by_index->manifest_digest == pulled->manifest_digest);
  auto absent = pull_text(cache, "docker-archive:" + dir.file("save.tar") + ":hello:2");
  REQUIRE_FALSE(absent);
  CHECK(absent.error().kind() == ErrorKind::not_found);
  CHECK_THAT(absent.error().what(), Catch::Contains("hello:1"));

  // `docker save | gzip` reads the same.
  write_tar(dir.file("save.tar.gz"), entries, Gzip::yes);
  auto gzipped = pull_text(cache, "docker-archive:" + dir.file("save.tar.gz"));
  REQUIRE(gzipped);
  CHECK(gzipped->manifest_digest == pulled->manifest_digest);
  CHECK(cache_is_clean(cache));
}

TEST_CASE("a docker-archive layer may be a link to another layer in the archive", "[pull]") {
  TempDir dir;
  auto entries = docker_save_entries(dir);
  entries[3] = {"b/layer.tar", "", "../a/layer.tar"};
  write_tar(dir.file("save.tar"), entries);
  auto cache = open_test_cache(dir);
  auto pulled = pull_text(cache, "docker-archive:" + dir.file("save.tar"));
  INFO((pulled ? "" : pulled.error().what()));
  REQUIRE(pulled);
  CHECK(pulled->layers[1].digest == pulled->layers[0].digest);
}

TEST_CASE("refuses hostile archives and leaves the cache clean", "[pull]") {
  TempDir dir;
  auto cache = open_test_cache(dir);
  auto entries = docker_save_entries(dir);
  std::string archive = dir.file("bad.tar");

  SECTION("an entry that climbs out with ..") {
    entries.push_back({"../evil", "x", ""});
    write_tar(archive, entries);
    auto pulled = pull_text(cache, "docker-archive:" + archive);
    REQUIRE_FALSE(pulled);
    CHECK(pulled.error().kind() == ErrorKind::corrupt_input);
    CHECK_THAT(pulled.error().what(), Catch::Contains("../evil"));
  }
  SECTION("manifest.json pointing outside the archive") {
    entries[0].content = R"([{"Config":"../../etc/passwd","RepoTags":[],"Layers":[]}])";
    write_tar(archive, entries);
    auto pulled = pull_text(cache, "docker-archive:" + archive);
    REQUIRE_FALSE(pulled);
    CHECK(pulled.error().kind() == ErrorKind::corrupt_input);
  }
  SECTION("a layer that links outside the archive") {
    entries[3] = {"b/layer.tar", "", "/etc/passwd"};
    write_tar(archive, entries);
    auto pulled = pull_text(cache, "docker-archive:" + archive);
    REQUIRE_FALSE(pulled);
    CHECK(pulled.error().kind() == ErrorKind::corrupt_input);
  }
  SECTION("a layer the archive lacks") {
    entries.pop_back();
    write_tar(archive, entries);
    auto pulled = pull_text(cache, "docker-archive:" + archive);
    REQUIRE_FALSE(pulled);
    CHECK(pulled.error().kind() == ErrorKind::not_found);
  }
  SECTION("an oci-archive blob whose bytes do not match its name") {
    std::string layout = image_fixture("hello-world-docker-v2-manifest");
    std::vector<ArchiveMember> oci{{"oci-layout", file_bytes(layout + "/oci-layout"), ""},
                              {"index.json", file_bytes(layout + "/index.json"), ""}};
    for (const char* hex : {"432f982638b3aefab73cc58ab28f5c16e96fdb504e8c134fc58dff4bae8bf338",
                            "46331d942d6350436f64e614d75725f6de3bb5c63e266e236e04389820a234c4",
                            "7050e35b49f5e348c4809f5eff915842962cb813f32062d3bbdd35c750dd7d01"}) {
      std::string bytes = file_bytes(layout + "/blobs/sha256/" + hex);
      if (std::string(hex).starts_with("7050")) {
        bytes[10] ^= 1;
      }
      oci.push_back({std::string("blobs/sha256/") + hex, bytes, ""});
    }
    write_tar(archive, oci);
    auto pulled = pull_text(cache, "oci-archive:" + archive);
    REQUIRE_FALSE(pulled);
    CHECK(pulled.error().kind() == ErrorKind::corrupt_input);
    CHECK_FALSE(cache
                    .find_blob(*Digest::parse(
                        "sha256:7050e35b49f5e348c4809f5eff915842962cb813f32062d3bbdd35c750dd7d01"))
                    ->has_value());
  }
  SECTION("an oci-archive blob that is a symbolic link") {
    std::string layout = image_fixture("hello-world-docker-v2-manifest");
    write_tar(archive,
              {{"oci-layout", file_bytes(layout + "/oci-layout"), ""},
               {"index.json", file_bytes(layout + "/index.json"), ""},
               {"blobs/sha256/432f982638b3aefab73cc58ab28f5c16e96fdb504e8c134fc58dff4bae8bf338", "",
                "/etc/passwd"}});
    auto pulled = pull_text(cache, "oci-archive:" + archive);
    REQUIRE_FALSE(pulled);
    CHECK(pulled.error().kind() == ErrorKind::corrupt_input);
  }
  SECTION("not an archive at all") {
    std::ofstream(archive) << "this is not a tar file, just some text that goes on for a while";
    auto pulled = pull_text(cache, "oci-archive:" + archive);
    REQUIRE_FALSE(pulled);
    CHECK(pulled.error().kind() == ErrorKind::corrupt_input);
  }
  CHECK(cache_is_clean(cache));
  auto refs = cache.index().snapshot();
  REQUIRE(refs);
  CHECK(refs->refs.empty());
}

TEST_CASE("a Docker 25 archive with index.json is read as an OCI layout", "[pull]") {
  TempDir dir;
  std::string layout = image_fixture("hello-world-docker-v2-manifest");
  auto tar = run_command("tar -C '" + layout + "' -cf '" + dir.file("save.tar") + "' .");
  REQUIRE(tar.exit_code == 0);
  auto cache = open_test_cache(dir);
  auto pulled = pull_text(cache, "docker-archive:" + dir.file("save.tar"));
  REQUIRE(pulled);
  CHECK(pulled->manifest_digest.text() ==
        "sha256:432f982638b3aefab73cc58ab28f5c16e96fdb504e8c134fc58dff4bae8bf338");
}
