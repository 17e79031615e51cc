#include <cache/cache.h>
#include <registry/docker_source.h>
#include <sif/oci_parse.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "registry/registry_fixture.h"
#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace sifkit::registry {

namespace {

using json = nlohmann::json;
using test::RegistryMode;
using test::TestRegistry;

std::string random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) {
    c = static_cast<char>(rng());
  }
  return out;
}

json descriptor(std::string_view media_type, const std::string& bytes) {
  return {{"mediaType", media_type}, {"digest", Digest::of(bytes).text()}, {"size", bytes.size()}};
}

struct PushedImage {
  std::string manifest;
  Digest digest;
  std::map<Digest, std::string> blobs; // config and layers
};

// Pushes a config and two random layers, then a manifest of `media_type` under `ref`.
PushedImage push_image(TestRegistry& reg, const std::string& repo, const std::string& ref,
                       std::string_view media_type, const std::string& arch, std::uint32_t seed) {
  bool docker = media_type == oci::k_media_docker_manifest;
  PushedImage image;
  std::string config = json{{"architecture", arch},
                            {"os", "linux"},
                            {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}}
                           .dump();
  std::string layer1 = random_bytes(150 * 1024, seed);
  std::string layer2 = random_bytes(1000, seed + 1);
  json layers = json::array();
  for (const auto& layer : {layer1, layer2}) {
    layers.push_back(
        descriptor(docker ? oci::k_media_docker_layer : oci::k_media_oci_layer_gzip, layer));
    image.blobs[reg.push_blob(repo, layer)] = layer;
  }
  image.blobs[reg.push_blob(repo, config)] = config;
  image.manifest = json{
      {"schemaVersion", 2},
      {"mediaType", media_type},
      {"config", descriptor(docker ? oci::k_media_docker_config : oci::k_media_oci_config, config)},
      {"layers",
       layers}}.dump();
  image.digest = reg.push_manifest(repo, ref.empty() ? Digest::of(image.manifest).text() : ref,
                                   image.manifest, std::string(media_type));
  return image;
}

// begin_blob → fetch_blob → commit, and the stored bytes.
std::string pull_blob(ImageSource& source, cache::Cache& cache, const oci::Descriptor& d) {
  auto slot = cache.begin_blob(d.digest, {d.size, d.media_type});
  REQUIRE(slot);
  REQUIRE(std::holds_alternative<cache::BlobWriter>(*slot));
  auto& writer = std::get<cache::BlobWriter>(*slot);
  auto fetched = source.fetch_blob(d, writer, {});
  INFO((fetched ? "" : fetched.error().what()));
  REQUIRE(fetched);
  auto record = writer.commit();
  REQUIRE(record);
  return test::file_bytes(cache.blob_path(d.digest));
}

DockerOptions plain_options() {
  DockerOptions o;
  o.insecure = true;
  o.retry_delay = std::chrono::milliseconds(10);
  o.max_retry_delay = std::chrono::milliseconds(50);
  return o;
}

std::unique_ptr<ImageSource> open_ok(const std::string& ref, const DockerOptions& options) {
  auto source = open_docker_source(ref, options);
  INFO((source ? "" : source.error().what()));
  REQUIRE(source);
  return std::move(*source);
}

} // namespace

TEST_CASE("pulls an OCI index, its platform manifests and their blobs into the cache",
          "[registry]") {
  SIFKIT_START_REGISTRY(reg, RegistryMode::plain);
  PushedImage amd = push_image(*reg, "test/multi", "", oci::k_media_oci_manifest, "amd64", 1);
  PushedImage arm = push_image(*reg, "test/multi", "", oci::k_media_oci_manifest, "arm64", 2);
  json amd_d = descriptor(oci::k_media_oci_manifest, amd.manifest);
  amd_d["platform"] = {{"architecture", "amd64"}, {"os", "linux"}};
  json arm_d = descriptor(oci::k_media_oci_manifest, arm.manifest);
  arm_d["platform"] = {{"architecture", "arm64"}, {"os", "linux"}, {"variant", "v8"}};
  std::string index = json{
      {"schemaVersion", 2},
      {"mediaType", oci::k_media_oci_index},
      {"manifests",
       {amd_d, arm_d}}}.dump();
  Digest index_digest =
      reg->push_manifest("test/multi", "v1", index, std::string(oci::k_media_oci_index));

  auto source = open_ok(reg->host() + "/test/multi:v1", plain_options());
  CHECK(source->describe() == "docker://" + reg->host() + "/test/multi:v1");
  CHECK(source->max_parallel() == 4);
  auto root = source->fetch_root();
  REQUIRE(root);
  CHECK(root->bytes == index);
  CHECK(root->digest == index_digest);
  CHECK(root->media_type == oci::k_media_oci_index);

  test::TempDir dir;
  auto cache = cache::Cache::open(dir.file("cache"));
  REQUIRE(cache);
  auto parsed = oci::parse_index(root->bytes);
  REQUIRE(parsed);
  REQUIRE(parsed->manifests.size() == 2);
  for (const auto& [child, image] :
       {std::pair{parsed->manifests[0], &amd}, std::pair{parsed->manifests[1], &arm}}) {
    auto m = source->fetch_manifest(child);
    REQUIRE(m);
    CHECK(m->bytes == image->manifest);
    CHECK(m->digest == image->digest);
    CHECK(m->media_type == oci::k_media_oci_manifest);
    auto manifest = oci::parse_manifest(m->bytes);
    REQUIRE(manifest);
    std::vector<oci::Descriptor> blobs = manifest->layers;
    blobs.push_back(manifest->config);
    for (const auto& blob : blobs) {
      CHECK(pull_blob(*source, *cache, blob) == image->blobs.at(blob.digest));
    }
  }

  // The same index pinned by digest.
  auto pinned = open_ok(reg->host() + "/test/multi@" + index_digest.text(), plain_options());
  auto again = pinned->fetch_root();
  REQUIRE(again);
  CHECK(again->digest == index_digest);
}

TEST_CASE("pulls a Docker v2 manifest by tag and by tag with a pinned digest", "[registry]") {
  SIFKIT_START_REGISTRY(reg, RegistryMode::plain);
  PushedImage image =
      push_image(*reg, "test/docker", "v2", oci::k_media_docker_manifest, "amd64", 3);
  auto source = open_ok(reg->host() + "/test/docker:v2", plain_options());
  auto root = source->fetch_root();
  REQUIRE(root);
  CHECK(root->media_type == oci::k_media_docker_manifest);
  CHECK(root->digest == image.digest);
  auto both = open_ok(reg->host() + "/test/docker:v2@" + image.digest.text(), plain_options());
  auto pinned = both->fetch_root();
  REQUIRE(pinned);
  CHECK(pinned->bytes == image.manifest);
}

TEST_CASE("a blob resumes with a Range request from what the writer already holds", "[registry]") {
  SIFKIT_START_REGISTRY(reg, RegistryMode::plain);
  std::string blob = random_bytes(300 * 1024, 7);
  Digest digest = reg->push_blob("test/range", blob);
  auto source = open_ok(reg->host() + "/test/range:any", plain_options());

  test::TempDir dir;
  auto cache = cache::Cache::open(dir.file("cache"));
  REQUIRE(cache);
  oci::Descriptor d;
  d.digest = digest;
  d.size = static_cast<std::int64_t>(blob.size());
  d.media_type = std::string(oci::k_media_oci_layer_gzip);
  auto slot = cache->begin_blob(d.digest, {d.size, d.media_type});
  REQUIRE(slot);
  auto& writer = std::get<cache::BlobWriter>(*slot);
  REQUIRE(writer.write(std::string_view(blob).substr(0, 100000)));
  std::int64_t last_progress = 0;
  auto fetched = source->fetch_blob(d, writer, [&](std::int64_t done) { last_progress = done; });
  REQUIRE(fetched);
  CHECK(last_progress == d.size);
  REQUIRE(writer.commit());
  CHECK(test::file_bytes(cache->blob_path(digest)) == blob);
}

TEST_CASE("fetches blobs from several threads at once", "[registry]") {
  SIFKIT_START_REGISTRY(reg, RegistryMode::plain);
  PushedImage image = push_image(*reg, "test/par", "t", oci::k_media_oci_manifest, "amd64", 11);
  auto source = open_ok(reg->host() + "/test/par:t", plain_options());
  test::TempDir dir;
  REQUIRE(cache::Cache::open(dir.file("cache")));
  std::atomic<int> ok = 0;
  std::vector<std::thread> threads;
  for (const auto& [digest, bytes] : image.blobs) {
    threads.emplace_back([&, digest = digest, size = bytes.size()] {
      auto cache = cache::Cache::open(dir.file("cache")); // one Cache per thread
      if (!cache) {
        return;
      }
      oci::Descriptor d;
      d.digest = digest;
      d.size = static_cast<std::int64_t>(size);
      auto slot = cache->begin_blob(d.digest, {d.size, ""});
      if (!slot || !std::holds_alternative<cache::BlobWriter>(*slot)) {
        return;
      }
      auto& writer = std::get<cache::BlobWriter>(*slot);
      if (source->fetch_blob(d, writer, {}) && writer.commit()) {
        ++ok;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(ok == static_cast<int>(image.blobs.size()));
}

TEST_CASE("unknown tags, manifests and blobs are not_found", "[registry]") {
  SIFKIT_START_REGISTRY(reg, RegistryMode::plain);
  PushedImage image = push_image(*reg, "test/nf", "t", oci::k_media_oci_manifest, "amd64", 5);
  auto source = open_ok(reg->host() + "/test/nf:nope", plain_options());
  auto root = source->fetch_root();
  REQUIRE_FALSE(root);
  CHECK(root.error().kind() == ErrorKind::not_found);

  oci::Descriptor missing;
  missing.digest = Digest::of("not pushed");
  missing.size = 10;
  missing.media_type = std::string(oci::k_media_oci_manifest);
  auto m = source->fetch_manifest(missing);
  REQUIRE_FALSE(m);
  CHECK(m.error().kind() == ErrorKind::not_found);

  test::TempDir dir;
  auto cache = cache::Cache::open(dir.file("cache"));
  REQUIRE(cache);
  auto slot = cache->begin_blob(missing.digest, {missing.size, ""});
  REQUIRE(slot);
  auto b = source->fetch_blob(missing, std::get<cache::BlobWriter>(*slot), {});
  REQUIRE_FALSE(b);
  CHECK(b.error().kind() == ErrorKind::not_found);

  auto no_repo = open_ok(reg->host() + "/test/none:t", plain_options())->fetch_root();
  REQUIRE_FALSE(no_repo);
  CHECK(no_repo.error().kind() == ErrorKind::not_found);
}

TEST_CASE("manifest bytes that do not match the pinned digest or size are corrupt_input",
          "[registry]") {
  SIFKIT_START_REGISTRY(reg, RegistryMode::plain);
  PushedImage image = push_image(*reg, "test/bad", "t", oci::k_media_oci_manifest, "amd64", 9);
  PushedImage other = push_image(*reg, "test/bad", "u", oci::k_media_oci_manifest, "arm64", 10);

  oci::Descriptor wrong_size;
  wrong_size.digest = image.digest;
  wrong_size.size = static_cast<std::int64_t>(image.manifest.size()) + 1;
  auto source = open_ok(reg->host() + "/test/bad:t", plain_options());
  auto sized = source->fetch_manifest(wrong_size);
  REQUIRE_FALSE(sized);
  CHECK(sized.error().kind() == ErrorKind::corrupt_input);

  // A compromised registry serves other bytes under the digest.
  reg->tamper_blob(image.digest, other.manifest);
  auto pinned = open_ok(reg->host() + "/test/bad@" + image.digest.text(), plain_options());
  auto root = pinned->fetch_root();
  REQUIRE_FALSE(root);
  CHECK(root.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(root.error().what(), Catch::Contains(image.digest.text()));
}

TEST_CASE("a plain-HTTP registry is refused unless insecure", "[registry]") {
  SIFKIT_START_REGISTRY(reg, RegistryMode::plain);
  DockerOptions options = plain_options();
  options.insecure = false;
  auto source = open_docker_source(reg->host() + "/test/x:t", options);
  REQUIRE_FALSE(source);
  CHECK(source.error().kind() == ErrorKind::network);
  CHECK_THAT(source.error().what(), Catch::Contains("TLS"));
}

TEST_CASE("a plain-HTTP registry named in a registries file is reached without --insecure",
          "[registry]") {
  SIFKIT_START_REGISTRY(reg, RegistryMode::plain);
  sifkit::test::TempDir dir;
  std::string conf = dir.file("registries.json");
  ::setenv("SIFKIT_REGISTRIES_CONF", conf.c_str(), 1);
  DockerOptions options = plain_options();
  options.insecure = false;

  std::ofstream(conf) << R"({"insecure-registries": ["other.example:5000", ")" << reg->host()
                      << R"("]})";
  auto listed = open_docker_source(reg->host() + "/test/x:t", options);
  CHECK(listed.has_value());

  std::ofstream(conf, std::ios::trunc) << R"({"insecure-registries": ["other.example:5000"]})";
  auto unlisted = open_docker_source(reg->host() + "/test/x:t", options);
  CHECK_FALSE(unlisted.has_value());

  std::ofstream(conf, std::ios::trunc) << R"({"insecure-registries": "not a list"})";
  auto malformed = open_docker_source(reg->host() + "/test/x:t", options);
  REQUIRE_FALSE(malformed.has_value());
  CHECK(malformed.error().kind() == ErrorKind::usage);
  CHECK_THAT(malformed.error().what(), Catch::Contains(conf));
  ::unsetenv("SIFKIT_REGISTRIES_CONF");
}

// ---- TLS and htpasswd ----

namespace {

DockerOptions tls_options(const TestRegistry& reg) {
  DockerOptions o;
  o.ca_cert = reg.ca_cert();
  // An empty auth file: never the developer's own ~/.docker/config.json.
  o.auth_file = std::filesystem::path(reg.ca_cert()).replace_filename("empty-auth.json").string();
  std::ofstream(o.auth_file) << "{}";
  o.retry_delay = std::chrono::milliseconds(10);
  return o;
}

const std::string k_right = std::string(TestRegistry::k_user) + ":" + TestRegistry::k_password;

void check_no_secret(const Error& e) {
  CHECK_THAT(e.what(), !Catch::Contains(TestRegistry::k_password));
  CHECK_THAT(e.what(), !Catch::Contains("wrong-password"));
  CHECK_THAT(e.what(), !Catch::Contains(
                           basic_authorization({TestRegistry::k_user, TestRegistry::k_password})));
}

} // namespace

TEST_CASE("a TLS registry is read with the test CA and the right credentials", "[registry]") {
  SIFKIT_START_REGISTRY(reg, RegistryMode::tls_htpasswd);
  PushedImage image = push_image(*reg, "sec/img", "t", oci::k_media_oci_manifest, "amd64", 21);
  DockerOptions options = tls_options(*reg);
  options.credentials = k_right;
  auto source = open_ok(reg->host() + "/sec/img:t", options);
  auto root = source->fetch_root();
  INFO((root ? "" : root.error().what()));
  REQUIRE(root);
  CHECK(root->digest == image.digest);
  test::TempDir dir;
  auto cache = cache::Cache::open(dir.file("cache"));
  REQUIRE(cache);
  auto manifest = oci::parse_manifest(root->bytes);
  REQUIRE(manifest);
  CHECK(pull_blob(*source, *cache, manifest->layers[0]) ==
        image.blobs.at(manifest->layers[0].digest));

  SECTION("a directory of hashed CA certificates is trusted like a CA file") {
    std::string ca_dir = std::filesystem::path(reg->ca_cert()).replace_filename("cas").string();
    std::filesystem::create_directory(ca_dir);
    std::filesystem::copy_file(reg->ca_cert(), ca_dir + "/test-ca.pem");
    REQUIRE(test::run_command("openssl rehash " + ca_dir).exit_code == 0);
    DockerOptions with_dir = options;
    with_dir.ca_cert = ca_dir;
    auto r = open_ok(reg->host() + "/sec/img:t", with_dir)->fetch_root();
    REQUIRE(r);
    CHECK(r->digest == image.digest);
  }
  SECTION("insecure skips verification without the CA") {
    DockerOptions insecure = options;
    insecure.ca_cert.clear();
    insecure.insecure = true;
    auto r = open_ok(reg->host() + "/sec/img:t", insecure)->fetch_root();
    REQUIRE(r);
    CHECK(r->digest == image.digest);
  }
}

TEST_CASE("credentials for a TLS registry come from a docker config.json", "[registry]") {
  SIFKIT_START_REGISTRY(reg, RegistryMode::tls_htpasswd);
  PushedImage image = push_image(*reg, "sec/cfg", "t", oci::k_media_oci_manifest, "amd64", 22);
  test::TempDir dir;
  std::string config = dir.file("config.json");
  {
    std::ofstream out(config);
    // base64 of "sifkit-user:Pa55-w0rd:with-colon", without the "Basic " prefix
    std::string auth =
        basic_authorization({TestRegistry::k_user, TestRegistry::k_password}).substr(6);
    out << json{{"auths", {{"https://" + reg->host(), {{"auth", auth}}}}}}.dump();
  }
  DockerOptions options = tls_options(*reg);
  SECTION("named in the options") {
    options.auth_file = config;
  }
  SECTION("named by $REGISTRY_AUTH_FILE") {
    options.auth_file.clear();
    ::setenv("REGISTRY_AUTH_FILE", config.c_str(), 1);
  }
  auto root = open_ok(reg->host() + "/sec/cfg:t", options)->fetch_root();
  ::unsetenv("REGISTRY_AUTH_FILE");
  INFO((root ? "" : root.error().what()));
  REQUIRE(root);
  CHECK(root->digest == image.digest);
}

TEST_CASE("without the test CA the TLS registry is a network error about TLS", "[registry]") {
  SIFKIT_START_REGISTRY(reg, RegistryMode::tls_htpasswd);
  DockerOptions options = tls_options(*reg);
  options.ca_cert.clear();
  options.credentials = k_right;
  auto source = open_docker_source(reg->host() + "/sec/img:t", options);
  REQUIRE_FALSE(source);
  CHECK(source.error().kind() == ErrorKind::network);
  CHECK_THAT(source.error().what(), Catch::Contains("TLS"));
  check_no_secret(source.error());
}

TEST_CASE("wrong or missing credentials are auth errors that never show a secret", "[registry]") {
  SIFKIT_START_REGISTRY(reg, RegistryMode::tls_htpasswd);
  push_image(*reg, "sec/img", "t", oci::k_media_oci_manifest, "amd64", 23);
  DockerOptions options = tls_options(*reg);
  SECTION("wrong password") {
    options.credentials = std::string(TestRegistry::k_user) + ":wrong-password";
  }
  SECTION("no credentials") {}
  auto root = open_ok(reg->host() + "/sec/img:t", options)->fetch_root();
  REQUIRE_FALSE(root);
  CHECK(root.error().kind() == ErrorKind::auth);
  check_no_secret(root.error());
}

} // namespace sifkit::registry
