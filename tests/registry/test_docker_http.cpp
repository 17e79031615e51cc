// The docker:// client against a scripted HTTP server: the cases a real registry does not
// produce on demand (redirects to another origin, dropped connections, 503/429, Bearer
// tokens, schema 1, a lying Docker-Content-Digest).
#include <cache/cache.h>
#include <registry/docker_source.h>
#include <registry/http.h>

#include <atomic>

#include "support/fixtures.h"
#include "support/http_server.h"
#include <catch2/catch.hpp>

namespace sifkit::registry {

namespace {

using test::HttpServer;
using test::reply;
using test::Request;

DockerOptions fast_options() {
  DockerOptions o;
  o.insecure = true;
  o.retry_delay = std::chrono::milliseconds(5);
  o.max_retry_delay = std::chrono::milliseconds(20);
  o.max_attempts = 3;
  o.credentials = "user:hunter2";
  return o;
}

const std::string k_manifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
    std::string(64, '0') + R"(","size":2},"layers":[]})";
const std::string k_manifest_headers =
    "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n";

} // namespace

TEST_CASE("same_origin compares scheme, host and port", "[registry]") {
  CHECK(same_origin("https://a.example/v2/x", "https://A.example:443/other?q"));
  CHECK(same_origin("http://127.0.0.1:5000/a", "http://127.0.0.1:5000/b"));
  CHECK_FALSE(same_origin("https://a.example/", "http://a.example/"));
  CHECK_FALSE(same_origin("https://a.example/", "https://b.example/"));
  CHECK_FALSE(same_origin("http://127.0.0.1:5000/", "http://127.0.0.1:5001/"));
  CHECK_FALSE(same_origin("http://127.0.0.1:5000/", "http://localhost:5000/"));
  CHECK_FALSE(same_origin("not a url", "not a url"));
}

TEST_CASE("redirects keep Authorization on the same origin and drop it elsewhere", "[registry]") {
  HttpServer other([](const Request&) { return reply(200, "elsewhere"); });
  HttpServer origin([&](const Request& r) {
    if (r.target == "/same") {
      return reply(302, "", "Location: /final\r\n");
    }
    if (r.target == "/cross") {
      return reply(307, "", "Location: http://" + other.host() + "/blob\r\n");
    }
    if (r.target == "/by-name") {
      return reply(301, "",
                   "Location: http://localhost:" + std::to_string(other.port()) + "/n\r\n");
    }
    return reply(200, "here");
  });
  HttpClient http;
  for (const char* path : {"/same", "/cross", "/by-name"}) {
    HttpRequest request;
    request.url = "http://" + origin.host() + path;
    request.headers.emplace_back("Accept: application/x-test");
    request.authorization = "Bearer secret-token";
    auto response = http.perform(request);
    REQUIRE(response);
    CHECK(response->status == 200);
  }
  auto seen_origin = origin.requests();
  REQUIRE(seen_origin.size() == 4);
  CHECK(seen_origin[1].target == "/final");
  CHECK(seen_origin[1].header("authorization") == "Bearer secret-token");
  auto seen_other = other.requests();
  REQUIRE(seen_other.size() == 2);
  for (const auto& r : seen_other) {
    CHECK(r.header("authorization").empty());
    CHECK(r.header("accept") == "application/x-test");
  }
}

TEST_CASE("a blob whose connection drops resumes with a Range request", "[registry]") {
  std::string blob(200000, 'x');
  for (std::size_t i = 0; i < blob.size(); ++i) {
    blob[i] = static_cast<char>(i * 7);
  }
  const std::size_t half = 70000;
  HttpServer server([&](const Request& r) {
    if (r.target == "/v2/") {
      return reply(200, "{}");
    }
    if (r.header("range").empty()) { // promise everything, send part, hang up
      test::Response partial = reply(200, blob);
      partial.delivery = test::Delivery::truncate;
      partial.bytes = static_cast<std::int64_t>(blob.size() - half);
      return partial;
    }
    return reply(206, blob.substr(half),
                 "Content-Range: bytes " + std::to_string(half) + "-" +
                     std::to_string(blob.size() - 1) + "/" + std::to_string(blob.size()) + "\r\n");
  });
  auto source = open_docker_source(server.host() + "/r/x:t", fast_options());
  REQUIRE(source);
  test::TempDir dir;
  auto cache = cache::Cache::open(dir.file("cache"));
  REQUIRE(cache);
  oci::Descriptor d;
  d.digest = Digest::of(blob);
  d.size = static_cast<std::int64_t>(blob.size());
  auto slot = cache->begin_blob(d.digest, {d.size, ""});
  REQUIRE(slot);
  auto& writer = std::get<cache::BlobWriter>(*slot);
  auto fetched = (*source)->fetch_blob(d, writer, {});
  INFO((fetched ? "" : fetched.error().what()));
  REQUIRE(fetched);
  REQUIRE(writer.commit());
  auto seen = server.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[2].header("range") == "bytes=" + std::to_string(half) + "-");
}

TEST_CASE("a blob longer than its descriptor says fails at once, without retries", "[registry]") {
  std::string blob(5000, 'b');
  HttpServer server([&](const Request& r) {
    return r.target == "/v2/" ? reply(200, "{}") : reply(200, blob + "extra");
  });
  auto source = open_docker_source(server.host() + "/r/x:t", fast_options());
  REQUIRE(source);
  test::TempDir dir;
  auto cache = cache::Cache::open(dir.file("cache"));
  REQUIRE(cache);
  oci::Descriptor d;
  d.digest = Digest::of(blob);
  d.size = static_cast<std::int64_t>(blob.size());
  auto slot = cache->begin_blob(d.digest, {d.size, ""});
  REQUIRE(slot);
  auto fetched = (*source)->fetch_blob(d, std::get<cache::BlobWriter>(*slot), {});
  REQUIRE_FALSE(fetched);
  CHECK(fetched.error().kind() == ErrorKind::corrupt_input);
  CHECK(server.requests().size() == 2); // the ping and one GET
}

TEST_CASE("5xx and 429 answers are retried a bounded number of times", "[registry]") {
  std::atomic<int> manifest_calls = 0;
  std::atomic<bool> always_fail = false;
  HttpServer server([&](const Request& r) {
    if (r.target == "/v2/") {
      return reply(200, "{}");
    }
    int n = ++manifest_calls;
    if (always_fail || n == 1) {
      return reply(503, "", "Retry-After: 0\r\n");
    }
    if (n == 2) {
      return reply(429, "");
    }
    return reply(200, k_manifest, k_manifest_headers);
  });
  auto source = open_docker_source(server.host() + "/r/x:t", fast_options());
  REQUIRE(source);
  auto root = (*source)->fetch_root();
  REQUIRE(root);
  CHECK(manifest_calls == 3);

  always_fail = true;
  manifest_calls = 0;
  auto failed = (*source)->fetch_root();
  REQUIRE_FALSE(failed);
  CHECK(failed.error().kind() == ErrorKind::network);
  CHECK(manifest_calls == 3);
}

TEST_CASE("Bearer tokens are fetched with Basic credentials and renewed after a 401",
          "[registry]") {
  std::atomic<int> tokens = 0;
  std::atomic<bool> expire_next = false;
  std::string realm;
  HttpServer server([&](const Request& r) {
    const std::string challenge = "WWW-Authenticate: Bearer realm=\"" + realm +
                                  "\",service=\"test-service\",scope=\"repository:r/x:pull\"\r\n";
    if (r.target.starts_with("/token")) {
      if (r.header("authorization") != basic_authorization({"user", "hunter2"})) {
        return reply(401, "");
      }
      return reply(200,
                   R"({"access_token":"tok)" + std::to_string(++tokens) + R"(","expires_in":300})");
    }
    if (r.header("authorization") != "Bearer tok" + std::to_string(tokens) ||
        expire_next.exchange(false)) {
      return reply(401,
                   R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
                   challenge);
    }
    return reply(200, k_manifest, k_manifest_headers);
  });
  realm = "http://" + server.host() + "/token";
  auto source = open_docker_source(server.host() + "/r/x:t", fast_options());
  REQUIRE(source);
  auto root = (*source)->fetch_root();
  INFO((root ? "" : root.error().what()));
  REQUIRE(root);
  CHECK(tokens == 1);

  expire_next = true; // the registry drops the token mid-pull
  REQUIRE((*source)->fetch_root());
  CHECK(tokens == 2);

  bool saw_token_request = false;
  for (const auto& r : server.requests()) {
    if (r.target.starts_with("/token")) {
      saw_token_request = true;
      CHECK(r.target == "/token?service=test-service&scope=repository%3Ar%2Fx%3Apull");
    } else {
      CHECK(r.header("authorization").find("Basic") == std::string::npos);
    }
  }
  CHECK(saw_token_request);

  DockerOptions wrong = fast_options();
  wrong.credentials = "user:wrong-hunter";
  auto refused = open_docker_source(server.host() + "/r/x:t", wrong);
  REQUIRE(refused);
  auto denied = (*refused)->fetch_root();
  REQUIRE_FALSE(denied);
  CHECK(denied.error().kind() == ErrorKind::auth);
  CHECK_THAT(denied.error().what(), !Catch::Contains("wrong-hunter"));
}

TEST_CASE("schema 1 manifests are unsupported and a lying Docker-Content-Digest is corrupt",
          "[registry]") {
  HttpServer server([&](const Request& r) {
    if (r.target == "/v2/") {
      return reply(200, "{}");
    }
    if (r.target.ends_with("/v1")) {
      return reply(200, R"({"schemaVersion":1,"name":"r/x","tag":"v1","fsLayers":[]})",
                   "Content-Type: application/vnd.docker.distribution.manifest.v1+prettyjws\r\n");
    }
    return reply(200, k_manifest,
                 k_manifest_headers + "Docker-Content-Digest: " + Digest::of("other").text() +
                     "\r\n");
  });
  auto v1 = open_docker_source(server.host() + "/r/x:v1", fast_options());
  REQUIRE(v1);
  auto old = (*v1)->fetch_root();
  REQUIRE_FALSE(old);
  CHECK(old.error().kind() == ErrorKind::unsupported);
  CHECK_THAT(old.error().what(), Catch::Contains("schema 1"));

  auto lie = open_docker_source(server.host() + "/r/x:t", fast_options());
  REQUIRE(lie);
  auto root = (*lie)->fetch_root();
  REQUIRE_FALSE(root);
  CHECK(root.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(root.error().what(), Catch::Contains("Docker-Content-Digest"));
}

} // namespace sifkit::registry
