#pragma once

// The docker:// transport: images in a registry speaking the OCI distribution API
// (Docker Hub, distribution, Harbor, ...), read over HTTPS with token or Basic auth.
#include <registry/auth.h>
#include <registry/docker_reference.h>
#include <registry/http.h>
#include <registry/image_source.h>
#include <registry/registry_options.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sifkit::registry {

// How to reach a registry. (Named apart from registry_options.h's RegistryOptions, the
// tool-facing options, which map onto these.)
struct DockerOptions {
  std::optional<std::string> credentials; // "user:password"; else looked up (auth.h)
  std::string ca_cert;                    // CA file or directory to trust instead of the system CAs
  bool insecure = false;                  // skip TLS verification, and fall back to plain http
  std::string auth_file; // credentials file instead of $REGISTRY_AUTH_FILE / Docker's
  int max_attempts = 5;  // per request, for 5xx/429 answers and dropped connections
  std::chrono::milliseconds retry_delay = k_default_retry_delay; // first backoff, doubled each time
  std::chrono::milliseconds max_retry_delay{10000};              // cap, also for Retry-After
  long connect_timeout_s = 30;
  LowSpeed low_speed = default_low_speed();
};

// Opens `reference` (without "docker://"): parses it, finds credentials, and asks the
// registry's /v2/ endpoint which scheme and authentication it uses. `usage` for a bad
// reference, `network` when the registry cannot be reached (TLS errors say so), `auth`.
Result<std::unique_ptr<ImageSource>> open_docker_source(std::string_view reference,
                                                        const DockerOptions& options);

class DockerSource : public ImageSource {
public:
  // Use open_docker_source; `base_url` is "https://host[:port]".
  DockerSource(DockerReference reference, std::string base_url, const DockerOptions& options,
               std::optional<Credentials> credentials, std::unique_ptr<HttpClient> http);

  std::string describe() const override;
  // Fetches the manifest by tag or digest with every supported media type accepted;
  // `unsupported` for schema 1 manifests, `corrupt_input` when the bytes do not match a
  // pinned digest or the Docker-Content-Digest header, `not_found` for an unknown tag.
  Result<FetchedManifest> fetch_root() override;
  Result<FetchedManifest> fetch_manifest(const oci::Descriptor& descriptor) override;
  // Streams the blob, resuming with a Range request after a dropped connection.
  Result<void> fetch_blob(const oci::Descriptor& descriptor, cache::BlobWriter& writer,
                          const BlobProgress& progress) override;
  int max_parallel() const override { return 4; }

  const DockerReference& reference() const { return m_reference; }

  // Performs `request` (a path under /v2/<repo>/ in `request.url`) with authentication,
  // a token refresh on 401 and retries of 5xx/429 answers. Exposed for tests.
  Result<HttpResponse> send(HttpRequest request, const BodySink& sink = {});

private:
  Result<FetchedManifest> fetch_manifest_bytes(const std::string& reference,
                                               const std::optional<Digest>& expected,
                                               std::optional<std::int64_t> expected_size);

  DockerReference m_reference;
  std::string m_base_url;
  DockerOptions m_options;
  std::unique_ptr<HttpClient> m_http;
  Authenticator m_auth;
};

} // namespace sifkit::registry
