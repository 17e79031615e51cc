#include <registry/docker_source.h>
#include <registry/insecure_registries.h>
#include <sif/oci_parse.h>

#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

namespace sifkit::registry {

namespace {

constexpr std::string_view k_manifest_accept =
    "Accept: application/vnd.oci.image.index.v1+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

bool transient_status(long status) {
  return status == 429 || status >= 500;
}

// How long to wait before attempt `attempt` (1-based) after `response`: its Retry-After
// in seconds when given, else exponential backoff; capped either way.
std::chrono::milliseconds retry_delay(const DockerOptions& options, int attempt,
                                      const HttpResponse* response) {
  std::chrono::milliseconds delay = options.retry_delay * (1LL << std::min(attempt - 1, 10));
  if (response != nullptr) {
    if (auto after = response->header("Retry-After")) {
      char* end = nullptr;
      long seconds = std::strtol(after->c_str(), &end, 10);
      if (end != after->c_str() && *end == '\0' && seconds >= 0) {
        delay = std::chrono::seconds(seconds);
      }
    }
  }
  return std::min(delay, options.max_retry_delay);
}

std::string media_type_of(const HttpResponse& response) {
  std::string type = response.header("Content-Type").value_or("");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') {
    type.pop_back();
  }
  return type;
}

bool is_schema1(std::string_view media_type, std::string_view body) {
  if (media_type.starts_with("application/vnd.docker.distribution.manifest.v1")) {
    return true;
  }
  auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  return doc.is_object() && doc.contains("schemaVersion") && doc["schemaVersion"] == 1;
}

} // namespace

Result<std::unique_ptr<ImageSource>> open_docker_source(std::string_view reference,
                                                        const DockerOptions& options) {
  SIFKIT_TRY_ASSIGN(auto ref, DockerReference::parse(reference));
  std::string what = "docker://" + ref.to_string();
  SIFKIT_TRY_ASSIGN(
      auto credentials,
      with_context(find_credentials(ref.domain, {options.credentials, options.auth_file}),
                   "credentials for " + what));
  // --insecure, or a configuration file that names this registry (insecure_registries.h).
  bool insecure = options.insecure;
  if (!insecure) {
    SIFKIT_TRY_ASSIGN(auto listed, with_context(registry_listed_insecure(ref.domain),
                                                "reading insecure registries"));
    insecure = listed;
  }
  HttpOptions http_options;
  http_options.ca_cert = options.ca_cert;
  http_options.tls_verify = insecure ? TlsVerify::no : TlsVerify::yes;
  http_options.connect_timeout_s = options.connect_timeout_s;
  http_options.low_speed = options.low_speed;
  auto http = std::make_unique<HttpClient>(http_options);

  // The /v2/ ping says whether this is a registry; an insecure registry that does not
  // speak TLS is retried over plain http, as Docker does for insecure registries.
  std::string base = "https://" + ref.registry_host();
  auto ping = http->perform(HttpRequest{.url = base + "/v2/"});
  if (!ping && insecure && ping.error().kind() == ErrorKind::network) {
    base = "http://" + ref.registry_host();
    ping = http->perform(HttpRequest{.url = base + "/v2/"});
  }
  if (!ping) {
    return std::unexpected(std::move(ping.error()).with_context("contacting " + what));
  }
  if (ping->status != 200 && ping->status != 401) {
    return std::unexpected(http_status_error(*ping, "GET " + base + "/v2/")
                               .with_context(ref.registry_host() + " is not an OCI registry"));
  }
  return std::make_unique<DockerSource>(ref, base, options, credentials, std::move(http));
}

DockerSource::DockerSource(DockerReference reference, std::string base_url,
                           const DockerOptions& options, std::optional<Credentials> credentials,
                           std::unique_ptr<HttpClient> http)
    : m_reference(std::move(reference)), m_base_url(std::move(base_url)), m_options(options),
      m_http(std::move(http)),
      m_auth(std::move(credentials), m_reference.repository, *m_http, m_base_url) {}

std::string DockerSource::describe() const {
  return "docker://" + m_reference.to_string();
}

Result<HttpResponse> DockerSource::send(HttpRequest request, const BodySink& sink) {
  request.url = m_base_url + request.url;
  bool reauthenticated = false;
  for (int attempt = 1;; ++attempt) {
    SIFKIT_TRY_ASSIGN(auto authorization, m_auth.current());
    request.authorization = authorization;
    auto response = m_http->perform(request, sink);
    if (!response) {
      // Without a sink nothing was consumed yet, so a dropped connection is retried here;
      // a streaming caller resumes on its own.
      if (!sink && response.error().kind() == ErrorKind::network &&
          attempt < m_options.max_attempts) {
        std::this_thread::sleep_for(retry_delay(m_options, attempt, nullptr));
        continue;
      }
      return response;
    }
    if (response->status == 401) {
      auto challenge = response->header("WWW-Authenticate");
      if (reauthenticated || !challenge) {
        return fail(ErrorKind::auth,
                    request.method + " " + request.url + ": HTTP 401: " +
                        (request.authorization ? "the registry refused the credentials"
                                               : "the registry requires authentication"));
      }
      // First 401, or the token expired mid-pull: answer the challenge once and retry.
      reauthenticated = true;
      SIFKIT_TRY(with_context(m_auth.on_unauthorized(*challenge),
                              "authenticating to " + m_reference.domain));
      --attempt;
      continue;
    }
    if (transient_status(response->status) && attempt < m_options.max_attempts) {
      std::this_thread::sleep_for(retry_delay(m_options, attempt, &*response));
      continue;
    }
    return response;
  }
}

Result<FetchedManifest>
DockerSource::fetch_manifest_bytes(const std::string& reference,
                                   const std::optional<Digest>& expected,
                                   std::optional<std::int64_t> expected_size) {
  std::string what = "manifest " + reference + " of " + describe();
  HttpRequest request;
  request.url = "/v2/" + m_reference.repository + "/manifests/" + reference;
  request.headers.emplace_back(k_manifest_accept);
  SIFKIT_TRY_ASSIGN(auto response, with_context(send(std::move(request)), "fetching " + what));
  if (response.status != 200) {
    return std::unexpected(http_status_error(response, "fetching " + what));
  }
  FetchedManifest out;
  out.bytes = std::move(response.body);
  out.media_type = media_type_of(response);
  if (is_schema1(out.media_type, out.bytes)) {
    return fail(ErrorKind::unsupported,
                what + " is a Docker schema 1 manifest, which is not supported (push the image "
                       "again with a current client)");
  }
  if (static_cast<std::int64_t>(out.bytes.size()) > oci::k_max_manifest_size) {
    return fail(ErrorKind::corrupt_input,
                what + " is larger than " + std::to_string(oci::k_max_manifest_size) + " bytes");
  }
  out.digest = Digest::of(out.bytes);
  if (expected && out.digest != *expected) {
    return fail(ErrorKind::corrupt_input, what + ": the registry sent bytes with digest " +
                                              out.digest.text() + ", expected " + expected->text());
  }
  if (expected_size && static_cast<std::int64_t>(out.bytes.size()) != *expected_size) {
    return fail(ErrorKind::corrupt_input,
                what + ": the registry sent " + std::to_string(out.bytes.size()) +
                    " bytes, the descriptor says " + std::to_string(*expected_size));
  }
  if (auto header = response.header("Docker-Content-Digest")) {
    auto announced = Digest::parse(*header);
    if (announced && *announced != out.digest) {
      return fail(ErrorKind::corrupt_input, what + ": Docker-Content-Digest is " +
                                                announced->text() + " but the bytes hash to " +
                                                out.digest.text());
    }
  }
  if (!oci::is_index_media_type(out.media_type) && !oci::is_image_media_type(out.media_type)) {
    SIFKIT_TRY_ASSIGN(auto sniffed,
                      with_context(oci::sniff_media_type(out.bytes), "reading " + what));
    out.media_type = sniffed;
  }
  return out;
}

Result<FetchedManifest> DockerSource::fetch_root() {
  std::optional<Digest> pinned;
  if (!m_reference.digest.empty()) {
    pinned = m_reference.digest;
  }
  return fetch_manifest_bytes(m_reference.manifest_reference(), pinned, std::nullopt);
}

Result<FetchedManifest> DockerSource::fetch_manifest(const oci::Descriptor& descriptor) {
  if (descriptor.size > oci::k_max_manifest_size) {
    return fail(ErrorKind::corrupt_input, "manifest " + descriptor.digest.text() + " of " +
                                              describe() + " declares " +
                                              std::to_string(descriptor.size) + " bytes");
  }
  return fetch_manifest_bytes(descriptor.digest.text(), descriptor.digest, descriptor.size);
}

Result<void> DockerSource::fetch_blob(const oci::Descriptor& descriptor, cache::BlobWriter& writer,
                                      const BlobProgress& progress) {
  std::string what = "blob " + descriptor.digest.text() + " of " + describe();
  for (int attempt = 1;; ++attempt) {
    HttpRequest request;
    request.url = "/v2/" + m_reference.repository + "/blobs/" + descriptor.digest.text();
    std::int64_t start = writer.bytes_written();
    if (start > 0) {
      request.range_start = start;
    }
    std::int64_t to_skip = 0;
    bool first = true;
    BodySink sink = [&](long status, std::string_view bytes) -> Result<void> {
      if (first) {
        first = false;
        // A server that ignores Range sends the whole blob again: skip what we have.
        to_skip = status == 200 ? start : 0;
      }
      std::size_t skip = static_cast<std::size_t>(
          std::min<std::int64_t>(to_skip, static_cast<std::int64_t>(bytes.size())));
      to_skip -= static_cast<std::int64_t>(skip);
      bytes.remove_prefix(skip);
      if (bytes.empty()) {
        return {};
      }
      SIFKIT_TRY(writer.write(bytes));
      if (progress) {
        progress(writer.bytes_written());
      }
      return {};
    };
    auto response = send(std::move(request), sink);
    if (!response) {
      if (response.error().kind() == ErrorKind::network && attempt < m_options.max_attempts) {
        std::this_thread::sleep_for(retry_delay(m_options, attempt, nullptr));
        continue; // resume from what the writer holds
      }
      return std::unexpected(std::move(response.error()).with_context("fetching " + what));
    }
    if (response->status == 200 || response->status == 206) {
      return {};
    }
    if (response->status == 416 && start == descriptor.size) {
      return {}; // everything had arrived before the connection dropped
    }
    return std::unexpected(http_status_error(*response, "fetching " + what));
  }
}

} // namespace sifkit::registry
