// Converting OCI images and root filesystems to OCI-SIF: the rewritten manifest and
// config, determinism, --keep-layers, refusals that leave nothing behind, and
// conversions recorded in the cache.
#include <cache/cache.h>
#include <convert/cached_convert.h>
#include <convert/dir_reader.h>
#include <convert/oci_convert.h>
#include <registry/open_source.h>
#include <registry/pull.h>
#include <registry/reference.h>
#include <sif/oci_config.h>
#include <sif/oci_layout.h>
#include <sif/oci_select.h>
#include <sif/oci_sif.h>

#include <filesystem>

#include "convert/convert_support.h"
#include "sif/oci_support.h"
#include <nlohmann/json.hpp>
#include <sys/stat.h>

using namespace sifkit;
using namespace sifkit::test;

namespace {

// What a test needs to know about a written OCI-SIF.
struct OpenedSif {
  oci::Manifest manifest;
  std::string manifest_bytes;
  std::string config_bytes;
  oci::ImageConfig config;
};

OpenedSif open_converted(const std::string& path) {
  sif::Image image = open_image(path);
  auto sif = oci::OciSif::open(image);
  REQUIRE_OK(sif);
  REQUIRE(sif->root_index().manifests.size() == 1);
  auto resolved = oci::resolve_image(*sif, sif->root_index().manifests.front());
  REQUIRE_OK(resolved);
  auto config = oci::parse_image_config(resolved->config_bytes);
  REQUIRE_OK(config);
  for (const auto& layer : resolved->manifest.layers) { // every squashfs blob verifies
    auto stream = sif->open_blob(layer.digest);
    REQUIRE_OK(stream);
    std::vector<std::byte> buffer(1 << 16);
    for (;;) {
      auto n = stream->source(buffer);
      REQUIRE_OK(n);
      if (*n == 0) {
        break;
      }
    }
  }
  return {resolved->manifest, resolved->manifest_bytes, resolved->config_bytes, *config};
}

// Files in `dir` whose name starts with "." (the converter's temporaries).
std::vector<std::string> hidden_files(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(".")) {
      names.push_back(name);
    }
  }
  return names;
}

convert::ConvertOptions options_with(convert::LayerMode mode = convert::LayerMode::squash) {
  convert::ConvertOptions options;
  options.squash.threads = 2;
  options.layers = mode;
  return options;
}

registry::PullResult pull_into(cache::Cache& cache, const std::string& layout) {
  auto reference = registry::parse_reference("oci:" + layout);
  REQUIRE_OK(reference);
  auto source = registry::open_source(*reference, {});
  REQUIRE_OK(source);
  auto pulled = registry::pull_image(**source, cache, {});
  REQUIRE_OK(pulled);
  return *pulled;
}

} // namespace

TEST_CASE("an image becomes an OCI-SIF with one squashfs layer and a rewritten config",
          "[convert]") {
  TempDir dir;
  TestImage image = write_test_image(dir.file("layout"), two_layers());
  oci::OciLayout layout = *oci::OciLayout::open(image.dir);
  std::string out = dir.file("out/image.sif");
  std::filesystem::create_directories(dir.file("out"));

  auto result = convert::convert_image(layout, image.manifest, out, options_with());
  REQUIRE_OK(result);
  REQUIRE(result->layers.size() == 1);
  CHECK(result->source_manifest == image.manifest);
  CHECK(result->sif_size == static_cast<std::int64_t>(std::filesystem::file_size(out)));
  CHECK(result->layers[0].stats.entries_hidden >= 1); // etc/gone and the old etc/motd
  CHECK(hidden_files(dir.file("out")).empty());

  OpenedSif sif = open_converted(out);
  REQUIRE(sif.manifest.layers.size() == 1);
  const oci::Descriptor& layer = sif.manifest.layers[0];
  CHECK(layer.media_type == "application/vnd.sylabs.image.layer.v1.squashfs");
  CHECK(layer.digest == result->layers[0].digest);
  CHECK(layer.size == result->layers[0].size);
  CHECK(sif.manifest.media_type == oci::k_media_oci_manifest);
  CHECK(sif.manifest.annotations.at("org.example.team") == "convert");
  CHECK(sif.manifest.config.digest == result->config);
  CHECK(Digest::of(sif.manifest_bytes) == result->manifest);

  REQUIRE(sif.config.diff_ids.size() == 1);
  CHECK(sif.config.diff_ids[0] == layer.digest);
  REQUIRE(sif.config.history.size() == 1);
  CHECK(sif.config.history[0].created == k_test_created);
  CHECK(sif.config.history[0].created_by == std::string(convert::k_creator));
  CHECK(sif.config.history[0].comment == "oci-sif created from " + image.manifest.hex());
  CHECK_FALSE(sif.config.history[0].empty_layer);
  CHECK(sif.config.config.env == std::vector<std::string>{"PATH=/usr/bin:/bin", "GREETING=hello"});
  CHECK(sif.config.config.cmd == std::vector<std::string>{"/bin/sh", "-c", "echo $GREETING"});
  CHECK(sif.config.config.working_dir == "/srv");
  CHECK(sif.config.created == k_test_created);
  CHECK(sif.config.platform.architecture == "amd64");
}

TEST_CASE("converting the same image twice gives byte-identical OCI-SIFs", "[convert]") {
  TempDir dir;
  TestImage image = write_test_image(dir.file("layout"), two_layers());
  oci::OciLayout layout = *oci::OciLayout::open(image.dir);
  auto one_thread = options_with();
  one_thread.squash.threads = 1;
  REQUIRE_OK(convert::convert_image(layout, image.manifest, dir.file("a.sif"), options_with()));
  REQUIRE_OK(convert::convert_image(layout, image.manifest, dir.file("b.sif"), one_thread));
  CHECK(file_bytes(dir.file("a.sif")) == file_bytes(dir.file("b.sif")));
}

TEST_CASE("with --keep-layers each image layer becomes its own squashfs layer", "[convert]") {
  TempDir dir;
  TestImage image = write_test_image(dir.file("layout"), two_layers());
  oci::OciLayout layout = *oci::OciLayout::open(image.dir);
  auto result = convert::convert_image(layout, image.manifest, dir.file("k.sif"),
                                       options_with(convert::LayerMode::keep_layers));
  REQUIRE_OK(result);
  OpenedSif sif = open_converted(dir.file("k.sif"));
  REQUIRE(sif.manifest.layers.size() == 2);
  REQUIRE(sif.config.diff_ids.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(sif.manifest.layers[i].media_type == oci::k_media_squashfs_layer);
    CHECK(sif.config.diff_ids[i] == sif.manifest.layers[i].digest);
  }
  CHECK(sif.config.history.size() == 1);
}

TEST_CASE("an image whose layers are already squashfs is refused and nothing is written",
          "[convert]") {
  TempDir dir;
  TestImage image =
      write_test_image(dir.file("layout"), two_layers(), std::string(oci::k_media_squashfs_layer));
  oci::OciLayout layout = *oci::OciLayout::open(image.dir);
  auto result = convert::convert_image(layout, image.manifest, dir.file("x.sif"), options_with());
  REQUIRE_FALSE(result);
  CHECK(result.error().kind() == ErrorKind::unsupported);
  CHECK_THAT(result.error().what(), Catch::Contains("already an OCI-SIF layer"));
  CHECK_FALSE(std::filesystem::exists(dir.file("x.sif")));
}

TEST_CASE("a layer that does not match its digest fails and leaves nothing behind", "[convert]") {
  TempDir dir;
  TestImage image = write_test_image(dir.file("layout"), two_layers());
  std::string blob = image.layer_blobs[1];
  std::string bytes = file_bytes(blob);
  std::filesystem::permissions(blob, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  bytes[bytes.size() - 1] ^= 0x55; // the gzip trailer: the tar still reads, the hash fails
  write_bytes(blob, bytes);
  std::filesystem::create_directories(dir.file("out"));
  oci::OciLayout layout = *oci::OciLayout::open(image.dir);
  auto result =
      convert::convert_image(layout, image.manifest, dir.file("out/x.sif"), options_with());
  REQUIRE_FALSE(result);
  CHECK(result.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(result.error().what(), Catch::Contains("layer 2"));
  CHECK(std::filesystem::is_empty(dir.file("out")));
}

TEST_CASE("a root filesystem directory becomes an OCI-SIF with a minimal config", "[convert]") {
  TempDir dir;
  std::filesystem::create_directories(dir.file("rootfs/etc"));
  write_bytes(dir.file("rootfs/etc/motd"), "hello\n");
  write_bytes(dir.file("rootfs/.wh.kept"), "a whiteout name is just a name here");
  std::string root = dir.file("rootfs");
  convert::LayerInput input{root, [root] { return convert::open_directory(root); },
                            convert::Whiteouts::literal};
  oci::Platform platform{"arm64", "linux", "", {}, "v8", {}};
  auto result = convert::convert_rootfs(input, dir.file("r.sif"), options_with(), platform);
  REQUIRE_OK(result);
  CHECK(result->layers[0].stats.files == 2);

  OpenedSif sif = open_converted(dir.file("r.sif"));
  REQUIRE(sif.manifest.layers.size() == 1);
  CHECK(sif.manifest.layers[0].media_type == oci::k_media_squashfs_layer);
  CHECK(sif.manifest.config.media_type == oci::k_media_oci_config);
  CHECK(sif.config.platform.architecture == "arm64");
  CHECK(sif.config.platform.variant == "v8");
  CHECK(sif.config.diff_ids == std::vector<Digest>{sif.manifest.layers[0].digest});
  REQUIRE(sif.config.history.size() == 1);
  CHECK(sif.config.history[0].created.empty());
  CHECK(sif.config.created.empty());

  auto again = convert::convert_rootfs(input, dir.file("r2.sif"), options_with(), platform);
  REQUIRE_OK(again);
  CHECK(file_bytes(dir.file("r.sif")) == file_bytes(dir.file("r2.sif")));
}

TEST_CASE("a conversion through the cache is recorded and reused without rewriting", "[convert]") {
  TempDir dir;
  TestImage image = write_test_image(dir.file("layout"), two_layers());
  auto cache = cache::Cache::open(dir.file("cache"));
  REQUIRE_OK(cache);
  registry::PullResult pulled = pull_into(*cache, image.dir);
  REQUIRE(pulled.manifest_digest == image.manifest);

  auto first = convert::convert_cached(*cache, image.manifest, options_with());
  REQUIRE_OK(first);
  CHECK_FALSE(first->reused);
  REQUIRE(first->result);
  CHECK(first->path == cache->blob_path(first->sif));
  struct stat before {};
  REQUIRE(::stat(first->path.c_str(), &before) == 0);

  auto second = convert::convert_cached(*cache, image.manifest, options_with());
  REQUIRE_OK(second);
  CHECK(second->reused);
  CHECK_FALSE(second->result);
  CHECK(second->sif == first->sif);
  struct stat after {};
  REQUIRE(::stat(second->path.c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);
  CHECK(after.st_mtime == before.st_mtime);
  auto record = cache->find_blob(first->sif);
  REQUIRE_OK(record);
  REQUIRE(*record);
  CHECK((*record)->writes == 1);
  CHECK((*record)->media_type == convert::k_media_oci_sif);

  // Other options are another conversion; the same bytes as a direct one.
  auto zstd = options_with();
  zstd.squash.compressor = convert::Compressor::zstd;
  auto third = convert::convert_cached(*cache, image.manifest, zstd);
  REQUIRE_OK(third);
  CHECK_FALSE(third->reused);
  CHECK(third->sif != first->sif);
  oci::OciLayout layout = *oci::OciLayout::open(image.dir);
  REQUIRE_OK(
      convert::convert_image(layout, image.manifest, dir.file("direct.sif"), options_with()));
  CHECK(file_bytes(dir.file("direct.sif")) == file_bytes(first->path));
  CHECK(std::filesystem::is_empty(dir.file("cache/tmp")));
}

TEST_CASE("the conversion key names the squash options and --keep-layers", "[convert]") {
  convert::ConvertOptions options;
  std::string plain = convert::conversion_key(options);
  CHECK(plain == convert::options_key(options.squash));
  options.layers = convert::LayerMode::keep_layers;
  CHECK(convert::conversion_key(options) == plain + ";keep-layers");
}

TEST_CASE("a Docker v2 manifest stays a Docker v2 manifest with a Docker config", "[convert]") {
  TempDir dir;
  oci::OciLayout layout = open_layout("hello-world-docker-v2-manifest");
  REQUIRE(layout.index().manifests.size() == 1);
  const Digest& source = layout.index().manifests.front().digest;
  REQUIRE_OK(convert::convert_image(layout, source, dir.file("h.sif"), options_with()));
  OpenedSif sif = open_converted(dir.file("h.sif"));
  CHECK(sif.manifest.media_type == oci::k_media_docker_manifest);
  CHECK(sif.manifest.config.media_type == oci::k_media_docker_config);
  CHECK(sif.config.config.cmd == std::vector<std::string>{"/hello"});
  REQUIRE(sif.config.history.size() == 1);
  CHECK(sif.config.history[0].created == sif.config.created);
}

TEST_CASE("a config field of the wrong type is corrupt input naming the field, before any layer",
          "[convert][hostile]") {
  // sif-run reads the config with oci::parse_image_config and refuses such an image; the
  // conversion must refuse it first, not write an OCI-SIF nothing can run.
  for (std::string runtime_config :
       {R"({"User": 5})", R"({"Env": "PATH=/bin"})", R"({"Entrypoint": [1]})",
        R"({"Cmd": {"a": 1}})", R"({"WorkingDir": false})", R"({"ExposedPorts": ["80/tcp"]})",
        R"({"Volumes": "/data"})", R"({"Labels": {"a": 1}})", R"({"StopSignal": 9})"}) {
    DYNAMIC_SECTION(runtime_config) {
      TempDir dir;
      OciImage image =
          write_oci_image(dir.file("layout"), {{tar_file("f", "x")}}, "test", runtime_config);
      auto layout = oci::OciLayout::open(image.dir);
      REQUIRE_OK(layout);
      std::filesystem::create_directories(dir.file("out"));
      auto result = convert::convert_image(*layout, layout->index().manifests.at(0).digest,
                                           dir.file("out/x.sif"), options_with());
      REQUIRE_FALSE(result);
      INFO("error: " << result.error().what());
      CHECK(result.error().kind() == ErrorKind::corrupt_input);
      std::string field = nlohmann::json::parse(runtime_config).begin().key();
      CHECK_THAT(result.error().what(), Catch::Contains("\"" + field + "\""));
      CHECK(std::filesystem::is_empty(dir.file("out")));
    }
  }
}

TEST_CASE("a config with every runtime field of the right type converts", "[convert]") {
  TempDir dir;
  OciImage image = write_oci_image(
      dir.file("layout"), {{tar_file("f", "x")}}, "test",
      R"({"User": "1000:1000", "Env": ["A=b"], "Entrypoint": ["/bin/sh"], "Cmd": null,
          "WorkingDir": "/srv", "ExposedPorts": {"80/tcp": {}}, "Volumes": {"/data": {}},
          "Labels": {"a": "b"}, "StopSignal": "SIGTERM"})");
  auto layout = oci::OciLayout::open(image.dir);
  REQUIRE_OK(layout);
  auto result = convert::convert_image(*layout, layout->index().manifests.at(0).digest,
                                       dir.file("x.sif"), options_with());
  REQUIRE_OK(result);
  CHECK(open_converted(dir.file("x.sif")).config.config.user == "1000:1000");
}
