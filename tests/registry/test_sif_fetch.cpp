// SIF files fetched into the cache: http(s):// from a scripted server (the cases a
// plain file server does not produce on demand: dropped connections, ignored Range),
// oras:// from a real registry, docker-daemon: through the daemon's socket when one
// answers, and sif-pull over them.
#include <cache/cache.h>
#include <registry/docker_daemon_source.h>
#include <registry/open_source.h>
#include <registry/sif_fetch.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "archive_support.h"
#include "pull_support.h"
#include "registry_fixture.h"
#include "support/fixtures.h"
#include "support/http_server.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace sifkit;
using namespace sifkit::test;
namespace fs = std::filesystem;

namespace {

const std::string k_etag = "\"v1\"";

// A response of `status` announcing `length` body bytes but carrying `body` (shorter
// when the connection is to drop mid-body).
Response answer(int status, const std::string& body,
                std::optional<std::size_t> length = std::nullopt, const std::string& headers = "") {
  Response out = reply(status, body, "ETag: " + k_etag + "\r\n" + headers);
  if (length) {
    out.length = static_cast<std::int64_t>(*length);
  }
  return out;
}

// Serves `bytes` at /image.sif honouring Range; 404 elsewhere.
Response serve_file(const Request& r, const std::string& bytes) {
  if (r.target != "/image.sif") {
    return answer(404, "no such file");
  }
  auto range = r.headers.find("range");
  if (range == r.headers.end()) {
    return answer(200, bytes);
  }
  std::size_t from = std::stoul(range->second.substr(6)); // "bytes=N-"
  return answer(206, bytes.substr(from), std::nullopt,
                "Content-Range: bytes " + std::to_string(from) + "-" +
                    std::to_string(bytes.size() - 1) + "/" + std::to_string(bytes.size()) + "\r\n");
}

registry::SifFetchOptions fast_options() {
  registry::SifFetchOptions options;
  options.max_attempts = 3;
  options.registry.retry_delay = std::chrono::milliseconds(5);
  options.registry.insecure = true;
  return options;
}

Result<registry::SifPullResult> fetch_text(cache::Cache& cache, const std::string& text,
                                           const registry::SifFetchOptions& options) {
  auto reference = registry::parse_reference(text);
  REQUIRE(reference);
  return registry::fetch_sif(*reference, cache, options);
}

const char* const k_sif = "sif-upstream/test/images/one-group.sif";
const char* const k_oci_sif = "sif-upstream/test/images/one-object-oci-root-index.sif";

// The names of the files under the cache's tmp/ (work directories included).
std::vector<std::string> temp_entries(const TempDir& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir.file("cache") + "/tmp")) {
    out.push_back(e.path().filename().string());
  }
  return out;
}

} // namespace

TEST_CASE("an http SIF lands in the cache under its digest and is found again", "[registry]") {
  for (const char* name : {k_sif, k_oci_sif}) {
    std::string bytes = fixture_bytes(name);
    HttpServer server([&](const Request& r) { return serve_file(r, bytes); });
    TempDir dir;
    auto cache = open_test_cache(dir);
    std::string url = server.url() + "/image.sif";
    auto got = fetch_text(cache, url, fast_options());
    REQUIRE(got);
    CHECK(got->digest == Digest::of(bytes));
    CHECK(got->size == static_cast<std::int64_t>(bytes.size()));
    CHECK(got->reference == url);
    CHECK(file_bytes(got->path) == bytes);
    auto blob = cache.find_blob(got->digest);
    REQUIRE(blob);
    REQUIRE(*blob);
    CHECK((*blob)->media_type == registry::k_media_sif_layer);
    auto ref = cache.find_ref({url, ""});
    REQUIRE(ref);
    REQUIRE(*ref);
    CHECK((*ref)->manifest == got->manifest);
    CHECK(cache_is_clean(cache));

    auto again = fetch_text(cache, url, fast_options());
    REQUIRE(again);
    CHECK(again->reused);
    CHECK(again->manifest == got->manifest); // the record is deterministic
  }
}

TEST_CASE("an http body that is not a SIF is corrupt input and stores nothing", "[registry]") {
  std::string bytes = "<html>not a SIF</html>";
  HttpServer server([&](const Request& r) { return serve_file(r, bytes); });
  TempDir dir;
  auto cache = open_test_cache(dir);
  std::string url = server.url() + "/image.sif";
  auto got = fetch_text(cache, url, fast_options());
  REQUIRE_FALSE(got);
  CHECK(got.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(got.error().what(), Catch::Contains("is not a SIF file"));
  auto blob = cache.find_blob(Digest::of(bytes));
  REQUIRE(blob);
  CHECK_FALSE(*blob);
  auto ref = cache.find_ref({url, ""});
  REQUIRE(ref);
  CHECK_FALSE(*ref);
  CHECK(temp_entries(dir).empty());
}

TEST_CASE("an http 404 is not_found", "[registry]") {
  HttpServer server([&](const Request& r) { return serve_file(r, ""); });
  TempDir dir;
  auto cache = open_test_cache(dir);
  auto got = fetch_text(cache, server.url() + "/missing.sif", fast_options());
  REQUIRE_FALSE(got);
  CHECK(got.error().kind() == ErrorKind::not_found);
}

TEST_CASE("a dropped http download resumes with Range and If-Range", "[registry]") {
  std::string bytes = fixture_bytes(k_sif);
  std::atomic<int> gets = 0;
  HttpServer server([&](const Request& r) {
    if (r.method == "GET" && gets++ == 0) { // half the body, then the connection drops
      return answer(200, bytes.substr(0, bytes.size() / 2), bytes.size());
    }
    return serve_file(r, bytes);
  });
  TempDir dir;
  auto cache = open_test_cache(dir);
  auto got = fetch_text(cache, server.url() + "/image.sif", fast_options());
  REQUIRE(got);
  CHECK(got->digest == Digest::of(bytes));
  CHECK(got->bytes_fetched == static_cast<std::int64_t>(bytes.size()));
  auto seen = server.requests();
  REQUIRE(seen.size() == 3); // HEAD, GET, GET with Range
  CHECK(seen[2].headers["range"] == "bytes=" + std::to_string(bytes.size() / 2) + "-");
  CHECK(seen[2].headers["if-range"] == k_etag);
}

TEST_CASE("a server that ignores Range sends the SIF again from the start", "[registry]") {
  std::string bytes = fixture_bytes(k_sif);
  std::atomic<int> gets = 0;
  HttpServer server([&](const Request& r) {
    std::size_t length = gets == 0 ? bytes.size() / 3 : bytes.size();
    if (r.method == "GET") {
      ++gets;
    }
    return answer(200, bytes.substr(0, length), bytes.size());
  });
  TempDir dir;
  auto cache = open_test_cache(dir);
  auto got = fetch_text(cache, server.url() + "/image.sif", fast_options());
  REQUIRE(got);
  CHECK(got->digest == Digest::of(bytes));
  CHECK(got->bytes_fetched == static_cast<std::int64_t>(bytes.size() + bytes.size() / 3));
}

namespace {

// Pushes `sif` to `registry` as SingularityCE does: config `{}` of `config_type`, the
// SIF as the one layer.
void push_sif(TestRegistry& registry, const std::string& repo, const std::string& tag,
              const std::string& sif, const std::string& config_type) {
  Digest config = registry.push_blob(repo, "{}");
  Digest layer = registry.push_blob(repo, sif);
  nlohmann::ordered_json manifest = {
      {"schemaVersion", 2},
      {"mediaType", oci::k_media_oci_manifest},
      {"config", {{"mediaType", config_type}, {"digest", config.text()}, {"size", 2}}},
      {"layers", nlohmann::ordered_json::array(
                     {{{"mediaType", registry::k_media_sif_layer},
                       {"digest", layer.text()},
                       {"size", sif.size()},
                       {"annotations", {{"org.opencontainers.image.title", "image.sif"}}}}})}};
  registry.push_manifest(repo, tag, manifest.dump(), std::string(oci::k_media_oci_manifest));
}

} // namespace

TEST_CASE("an oras SIF artifact is fetched into the cache and found again", "[registry]") {
  SIFKIT_START_REGISTRY(registry, RegistryMode::plain);
  std::string sif = fixture_bytes(k_oci_sif);
  push_sif(*registry, "team/sif", "v1", sif, std::string(registry::k_media_sif_config));
  push_sif(*registry, "team/image", "v1", sif, std::string(oci::k_media_oci_config));
  TempDir dir;
  auto cache = open_test_cache(dir);

  std::string text = "oras://" + registry->host() + "/team/sif:v1";
  auto got = fetch_text(cache, text, fast_options());
  REQUIRE(got);
  CHECK(got->digest == Digest::of(sif));
  CHECK_FALSE(got->reused);
  CHECK(file_bytes(got->path) == sif);
  auto ref = cache.find_ref({text, ""});
  REQUIRE(ref);
  REQUIRE(*ref);
  CHECK((*ref)->manifest == got->manifest);
  CHECK(cache_is_clean(cache));
  auto again = fetch_text(cache, text, fast_options());
  REQUIRE(again);
  CHECK(again->reused);
  CHECK(again->bytes_fetched == 0);

  auto image = fetch_text(cache, "oras://" + registry->host() + "/team/image:v1", fast_options());
  REQUIRE_FALSE(image);
  CHECK(image.error().kind() == ErrorKind::unsupported);
  CHECK_THAT(image.error().what(), Catch::Contains("is not a SIF artifact"));
  auto missing = fetch_text(cache, "oras://" + registry->host() + "/team/sif:v2", fast_options());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind() == ErrorKind::not_found);
}

TEST_CASE("sif-pull writes an oras or http SIF out byte for byte", "[registry]") {
  SIFKIT_START_REGISTRY(registry, RegistryMode::plain);
  std::string sif = fixture_bytes(k_oci_sif);
  push_sif(*registry, "team/sif", "v1", sif, std::string(registry::k_media_sif_config));
  HttpServer server([&](const Request& r) { return serve_file(r, sif); });
  TempDir dir;
  std::string pull =
      "'" + tool("sif-pull") + "' --quiet --insecure --cache '" + dir.file("cache") + "' ";
  for (const std::string& ref :
       {"oras://" + registry->host() + "/team/sif:v1", server.url() + "/image.sif"}) {
    auto run = run_command(pull + "'" + ref + "' -o '" + dir.file("x.sif") + "'");
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out == Digest::of(sif).text() + "\n");
    CHECK(file_bytes(dir.file("x.sif")) == sif);
    fs::remove(dir.file("x.sif"));
  }
  auto json = run_command(pull + "--json '" + server.url() + "/image.sif'");
  REQUIRE(json.exit_code == 0);
  auto doc = nlohmann::json::parse(json.out);
  CHECK(doc["sif"] == Digest::of(sif).text());
  CHECK(doc["size"] == sif.size());
  CHECK(doc["reused"] == true);
  auto layout = run_command(pull + "'" + server.url() + "/image.sif' --oci-layout '" +
                            dir.file("layout") + "'");
  CHECK(layout.exit_code == 2);
  CHECK_THAT(layout.err, Catch::Contains("names a SIF file"));
}

TEST_CASE("docker-daemon: says clearly when no daemon answers", "[registry]") {
  TempDir dir;
  auto cache = open_test_cache(dir);
  auto reference = registry::parse_reference("docker-daemon:busybox:latest");
  REQUIRE(reference);
  registry::RegistryOptions options;
  options.work_cache = dir.file("cache");

  auto absent =
      registry::open_docker_daemon_source("busybox:latest", dir.file("no.sock"), cache.layout());
  REQUIRE_FALSE(absent);
  CHECK(absent.error().kind() == ErrorKind::unsupported);
  CHECK_THAT(absent.error().what(), Catch::Contains("no Docker daemon at " + dir.file("no.sock")) &&
                                        Catch::Contains("set DOCKER_HOST=unix://PATH"));

  auto tcp = registry::docker_socket_path("tcp://127.0.0.1:2375");
  REQUIRE_FALSE(tcp);
  CHECK(tcp.error().kind() == ErrorKind::unsupported);
  CHECK(registry::docker_socket_path(std::nullopt).value() == "/var/run/docker.sock");
  CHECK(registry::docker_socket_path("unix:///run/d.sock").value() == "/run/d.sock");

  const char* host = std::getenv("DOCKER_HOST");
  auto socket =
      registry::docker_socket_path(host ? std::optional<std::string>(host) : std::nullopt);
  if (!socket || !fs::exists(*socket)) {
    auto opened = registry::open_source(*reference, options);
    REQUIRE_FALSE(opened);
    CHECK_THAT(opened.error().what(), Catch::Contains("no Docker daemon at"));
    SIFKIT_SKIP(host, "no Docker daemon socket here, so no image was pulled from one");
    return;
  }
  auto opened = registry::open_source(*reference, options);
  if (!opened) {
    SIFKIT_SKIP(host, "the Docker daemon has no busybox:latest: " << opened.error().what());
    return;
  }
  registry::PullOptions pull_options;
  pull_options.reference_name = reference->canonical();
  auto pulled = registry::pull_image(**opened, cache, pull_options);
  REQUIRE(pulled);
  CHECK_FALSE(pulled->layers.empty());
}

TEST_CASE("docker-daemon: exports the image through the daemon socket", "[registry]") {
  TempDir dir;
  write_tar(dir.file("layer.tar"), {{"hello.txt", "hello", ""}});
  std::string config =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  write_tar(
      dir.file("save.tar"),
      {{"manifest.json", R"([{"Config":"c.json","RepoTags":["hello:1"],"Layers":["l.tar"]}])", ""},
       {"c.json", config, ""},
       {"l.tar", file_bytes(dir.file("layer.tar")), ""}});
  std::string saved = file_bytes(dir.file("save.tar"));
  HttpServer daemon(
      [&](const Request& r) {
        if (r.target == "/images/hello%3A1/get") {
          return answer(200, saved);
        }
        return answer(404, R"({"message":"No such image"})");
      },
      dir.file("docker.sock"));
  auto cache = open_test_cache(dir);
  auto source =
      registry::open_docker_daemon_source("hello:1", dir.file("docker.sock"), cache.layout());
  REQUIRE(source);
  registry::PullOptions options;
  options.reference_name = "docker-daemon:hello:1";
  auto pulled = registry::pull_image(**source, cache, options);
  REQUIRE(pulled);
  REQUIRE(pulled->layers.size() == 1);
  CHECK(pulled->layers[0].digest == Digest::of(file_bytes(dir.file("layer.tar"))));
  source->reset(); // the exported tar goes with the source
  CHECK(temp_entries(dir).empty());

  auto absent =
      registry::open_docker_daemon_source("nope:1", dir.file("docker.sock"), cache.layout());
  REQUIRE_FALSE(absent);
  CHECK(absent.error().kind() == ErrorKind::not_found);
}
