// The registry half of token_server.h: docker-registry with `auth: token` trusting the
// token server's certificate, and pushes made with tokens minted for them.
#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

#include "registry/token_server.h"
#include "support/http_server.h"
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sifkit::test {

namespace {

constexpr const char* k_registry_binary = "/usr/bin/docker-registry";

} // namespace

std::unique_ptr<TokenRegistry> TokenRegistry::start(std::string& skip_reason) {
  if (::access(k_registry_binary, X_OK) != 0) {
    skip_reason = std::string(k_registry_binary) +
                  " is not installed (Debian package docker-registry, see scripts/setup.sh)";
    return nullptr;
  }
  std::unique_ptr<TokenRegistry> reg(new TokenRegistry());
  const TempDir& dir = reg->m_dir;
  reg->m_tokens = std::make_unique<TokenServer>(dir.file("token.crt"));
  reg->m_port = free_loopback_port();
  {
    std::ofstream config(dir.file("config.yml"));
    config << "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: "
           << dir.file("data") << "\nhttp:\n  addr: " << reg->host()
           << "\n  secret: sifkit-test-secret\nauth:\n  token:\n    realm: "
           << reg->m_tokens->realm() << "\n    service: " << TokenServer::k_service
           << "\n    issuer: " << TokenServer::k_issuer
           << "\n    rootcertbundle: " << dir.file("token.crt") << "\n";
    REQUIRE(config.good());
  }
  std::string config = dir.file("config.yml");
  std::string log = dir.file("registry.log");
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execl(k_registry_binary, k_registry_binary, "serve", config.c_str(), nullptr);
    ::_exit(127);
  }
  reg->m_pid = pid;

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (true) {
    auto ping = reg->m_http.perform(registry::HttpRequest{.url = reg->base_url() + "/v2/"});
    if (ping && ping->status == 401) {
      break;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      reg->m_pid = -1;
      FAIL("docker-registry exited: " << file_bytes(log));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      FAIL("docker-registry did not ask for a token at /v2/ within 15 s: " << file_bytes(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return reg;
}

TokenRegistry::~TokenRegistry() {
  if (m_pid > 0) {
    ::kill(m_pid, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
}

std::string TokenRegistry::log() const {
  return file_bytes(m_dir.file("registry.log"));
}

registry::HttpRequest TokenRegistry::request(std::string method, std::string url,
                                             const std::string& repo) const {
  registry::HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.authorization = "Bearer " + m_tokens->mint(repo, {"pull", "push"}, std::chrono::seconds(300));
  return r;
}

Digest TokenRegistry::push_blob(const std::string& repo, const std::string& bytes) {
  Digest digest = Digest::of(bytes);
  auto start =
      m_http.perform(request("POST", base_url() + "/v2/" + repo + "/blobs/uploads/", repo));
  REQUIRE(start);
  INFO(start->body);
  REQUIRE(start->status == 202);
  std::string location = registry::resolve_url(base_url() + "/", start->header("Location").value());
  auto put = request("PUT",
                     location + (location.find('?') == std::string::npos ? "?" : "&") +
                         "digest=" + registry::url_escape(digest.text()),
                     repo);
  put.headers.emplace_back("Content-Type: application/octet-stream");
  put.body = bytes;
  auto done = m_http.perform(put);
  REQUIRE(done);
  INFO(done->body);
  REQUIRE(done->status == 201);
  return digest;
}

Digest TokenRegistry::push_manifest(const std::string& repo, const std::string& ref,
                                    const std::string& bytes, const std::string& media_type) {
  auto put = request("PUT", base_url() + "/v2/" + repo + "/manifests/" + ref, repo);
  put.headers.emplace_back("Content-Type: " + media_type);
  put.body = bytes;
  auto done = m_http.perform(put);
  REQUIRE(done);
  INFO(done->body);
  REQUIRE(done->status == 201);
  return Digest::of(bytes);
}

TEST_CASE("the token registry refuses anonymous requests and accepts a minted token",
          "[registry]") {
  SIFKIT_START_TOKEN_REGISTRY(reg);
  Digest d = reg->push_blob("fixture/token", "hello");
  CHECK(d == Digest::of("hello"));
  registry::HttpClient http;
  std::string url = reg->base_url() + "/v2/fixture/token/blobs/" + d.text();
  auto anonymous = http.perform(registry::HttpRequest{.url = url});
  REQUIRE(anonymous);
  CHECK(anonymous->status == 401);
  CHECK_THAT(anonymous->header("WWW-Authenticate").value_or(""),
             Catch::Contains("realm=\"" + reg->token_server().realm() + "\""));
  auto granted = http.perform(registry::HttpRequest{
      .url = url,
      .authorization = "Bearer " + reg->token_server().mint("fixture/token", {"pull"},
                                                            std::chrono::seconds(60))});
  REQUIRE(granted);
  INFO(reg->log());
  CHECK(granted->status == 200);
  CHECK(granted->body == "hello");
  auto elsewhere = http.perform(registry::HttpRequest{
      .url = url,
      .authorization = "Bearer " + reg->token_server().mint("fixture/other", {"pull"},
                                                            std::chrono::seconds(60))});
  REQUIRE(elsewhere);
  CHECK(elsewhere->status == 401);
  CHECK(reg->token_server().tokens_issued() == 0);
}

} // namespace sifkit::test
