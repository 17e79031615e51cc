#pragma once

// A real registry for the docker:// tests: Debian's docker-registry (CNCF distribution)
// started on 127.0.0.1 with a free port, temporary storage and config, either plain HTTP
// or TLS (a CA and server certificate made here with the openssl CLI) with htpasswd
// Basic auth. Stopped when the object is destroyed. Also pushes test content through
// the distribution API. Implemented in test_registry_fixture.cpp (the test glob only
// compiles test_*.cpp files).
#include <common/digest.h>
#include <registry/http.h>

#include <memory>
#include <string>

#include "support/fixtures.h"
#include <sys/types.h>

namespace sifkit::test {

enum class RegistryMode { plain, tls_htpasswd };

class TestRegistry {
public:
  static constexpr const char* k_user = "sifkit-user";
  static constexpr const char* k_password = "Pa55-w0rd:with-colon";

  // Starts a registry; nullptr with `skip_reason` set when this machine has no
  // docker-registry or openssl. Fails the test when the registry does not come up.
  static std::unique_ptr<TestRegistry> start(RegistryMode mode, std::string& skip_reason);
  ~TestRegistry();

  std::string host() const { return "127.0.0.1:" + std::to_string(m_port); }
  std::string base_url() const;
  std::string ca_cert() const { return m_dir.file("ca.crt"); }
  std::string storage_dir() const { return m_dir.file("data"); }

  // Uploads `bytes` as a blob of `repo` (monolithic upload); returns its digest.
  Digest push_blob(const std::string& repo, const std::string& bytes);
  // PUTs manifest `bytes` of `media_type` under `ref` (tag or digest) of `repo`.
  Digest push_manifest(const std::string& repo, const std::string& ref, const std::string& bytes,
                       const std::string& media_type);
  // Replaces the stored bytes of blob `digest` (to play a compromised registry).
  void tamper_blob(const Digest& digest, const std::string& bytes);

private:
  TestRegistry(RegistryMode mode);
  registry::HttpRequest request(std::string method, std::string url) const;

  RegistryMode m_mode;
  TempDir m_dir;
  int m_port = 0;
  pid_t m_pid = -1;
  std::unique_ptr<registry::HttpClient> m_http;
};

} // namespace sifkit::test

// Starts a registry into `var`, or warns visibly and returns from the test case.
#define SIFKIT_START_REGISTRY(var, mode)                                                           \
  std::string var##_skip;                                                                          \
  auto var = ::sifkit::test::TestRegistry::start(mode, var##_skip);                                \
  if (!var) {                                                                                      \
    SIFKIT_SKIP(program, var##_skip);                                                            \
    return;                                                                                        \
  }
