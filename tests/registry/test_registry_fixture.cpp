#include <registry/auth.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "registry/registry_fixture.h"
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

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

void run_or_fail(const std::string& command) {
  CommandResult r = run_command(command);
  INFO(command << "\n" << r.err);
  REQUIRE(r.exit_code == 0);
}

// A bcrypt htpasswd line. Debian 12's libcrypt (libxcrypt) does bcrypt, reached through
// perl's crypt(), so apache2-utils' htpasswd is not needed. Cost 5 keeps it fast.
std::string htpasswd_line(const std::string& user, const std::string& password) {
  static const char alphabet[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::mt19937 rng(std::random_device{}());
  std::string salt = "$2b$05$";
  for (int i = 0; i < 21; ++i) {
    salt += alphabet[rng() % 64];
  }
  salt += 'u'; // the 22nd character carries only 2 bits; keep it canonical
  CommandResult r =
      run_command("perl -e 'print crypt($ARGV[0], $ARGV[1])' '" + password + "' '" + salt + "'");
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.starts_with("$2b$05$"));
  return user + ":" + r.out + "\n";
}

} // namespace

TestRegistry::TestRegistry(RegistryMode mode) : m_mode(mode) {}

std::unique_ptr<TestRegistry> TestRegistry::start(RegistryMode mode, std::string& skip_reason) {
  if (::access(k_registry_binary, X_OK) != 0) {
    skip_reason = std::string(k_registry_binary) +
                  " is not installed (Debian package docker-registry, see scripts/setup.sh)";
    return nullptr;
  }
  if (mode == RegistryMode::tls_htpasswd &&
      (::access("/usr/bin/openssl", X_OK) != 0 || ::access("/usr/bin/perl", X_OK) != 0)) {
    skip_reason = "the TLS registry needs /usr/bin/openssl and /usr/bin/perl";
    return nullptr;
  }
  std::unique_ptr<TestRegistry> reg(new TestRegistry(mode));
  const TempDir& dir = reg->m_dir;
  reg->m_port = free_loopback_port();
  std::string extra;
  registry::HttpOptions http_options;
  if (mode == RegistryMode::tls_htpasswd) {
    std::string d = dir.path().string();
    run_or_fail(
        "cd " + d +
        " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        " -days 2 -subj '/CN=sifkit test CA' -keyout ca.key -out ca.crt"
        " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        " -subj '/CN=localhost' -keyout server.key -out server.csr"
        " && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\n"
        "extendedKeyUsage=serverAuth\\n' >server.ext"
        " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
        " -days 2 -extfile server.ext -out server.crt");
    write_file(dir.file("htpasswd"), htpasswd_line(k_user, k_password));
    extra = "  tls:\n    certificate: " + dir.file("server.crt") +
            "\n    key: " + dir.file("server.key") +
            "\nauth:\n  htpasswd:\n    realm: sifkit-test\n    path: " + dir.file("htpasswd") +
            "\n";
    http_options.ca_cert = dir.file("ca.crt");
  }
  reg->m_http = std::make_unique<registry::HttpClient>(http_options);
  write_file(dir.file("config.yml"),
             "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: " +
                 dir.file("data") +
                 "\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n"
                 "      enabled: false\nhttp:\n  addr: 127.0.0.1:" +
                 std::to_string(reg->m_port) + "\n  secret: sifkit-test-secret\n" + extra);

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
    auto ping = reg->m_http->perform(reg->request("GET", reg->base_url() + "/v2/"));
    if (ping && (ping->status == 200 || ping->status == 401)) {
      break;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      reg->m_pid = -1;
      FAIL("docker-registry exited: " << file_bytes(log));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      FAIL("docker-registry did not answer /v2/ within 15 s: " << file_bytes(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return reg;
}

TestRegistry::~TestRegistry() {
  if (m_pid > 0) {
    ::kill(m_pid, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
}

std::string TestRegistry::base_url() const {
  return (m_mode == RegistryMode::plain ? "http://" : "https://") + host();
}

registry::HttpRequest TestRegistry::request(std::string method, std::string url) const {
  registry::HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  if (m_mode == RegistryMode::tls_htpasswd) {
    r.authorization = registry::basic_authorization({k_user, k_password});
  }
  return r;
}

Digest TestRegistry::push_blob(const std::string& repo, const std::string& bytes) {
  Digest digest = Digest::of(bytes);
  auto start = m_http->perform(request("POST", base_url() + "/v2/" + repo + "/blobs/uploads/"));
  REQUIRE(start);
  REQUIRE(start->status == 202);
  std::string location = registry::resolve_url(base_url() + "/", start->header("Location").value());
  auto put = request("PUT", location + (location.find('?') == std::string::npos ? "?" : "&") +
                                "digest=" + registry::url_escape(digest.text()));
  put.headers.emplace_back("Content-Type: application/octet-stream");
  put.body = bytes;
  auto done = m_http->perform(put);
  REQUIRE(done);
  INFO(done->body);
  REQUIRE(done->status == 201);
  return digest;
}

Digest TestRegistry::push_manifest(const std::string& repo, const std::string& ref,
                                   const std::string& bytes, const std::string& media_type) {
  auto put = request("PUT", base_url() + "/v2/" + repo + "/manifests/" + ref);
  put.headers.emplace_back("Content-Type: " + media_type);
  put.body = bytes;
  auto done = m_http->perform(put);
  REQUIRE(done);
  INFO(done->body);
  REQUIRE(done->status == 201);
  return Digest::of(bytes);
}

void TestRegistry::tamper_blob(const Digest& digest, const std::string& bytes) {
  std::string path = storage_dir() + "/docker/registry/v2/blobs/sha256/" +
                     digest.hex().substr(0, 2) + "/" + digest.hex() + "/data";
  REQUIRE(std::filesystem::exists(path));
  std::filesystem::permissions(path, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  write_file(path, bytes);
}

TEST_CASE("the test registry starts, answers /v2/ and accepts a blob", "[registry]") {
  SIFKIT_START_REGISTRY(reg, RegistryMode::plain);
  Digest d = reg->push_blob("fixture/check", "hello");
  CHECK(d == Digest::of("hello"));
}

} // namespace sifkit::test
