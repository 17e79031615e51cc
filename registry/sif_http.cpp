// http(s):// SIF downloads: into a work directory of the cache (so a crash leaves
// nothing the sweep cannot remove), hashed as the bytes arrive, resumed with Range after
// a dropped connection, checked as a SIF, and only then stored.
#include <cache/work_dir.h>
#include <common/disk_space.h>
#include <common/file.h>
#include <registry/http.h>
#include <registry/sif_sources.h>

#include <algorithm>
#include <thread>

namespace sifkit::registry {

namespace {

// What a HEAD request says about the file: a validator for If-Range (so a file that
// changed between attempts is sent whole, not spliced) and its length.
struct Probe {
  std::optional<std::string> validator;
  std::optional<std::int64_t> length;
};

// Best effort: servers that refuse HEAD (some signed-URL stores) just get no validator.
Probe probe(const HttpClient& http, const std::string& url) {
  Probe out;
  auto head = http.perform(HttpRequest{.method = "HEAD", .url = url});
  if (!head || head->status < 200 || head->status >= 300) {
    return out;
  }
  if (auto etag = head->header("ETag"); etag && !etag->starts_with("W/")) {
    out.validator = *etag; // a weak ETag may not be used with If-Range
  } else if (auto modified = head->header("Last-Modified")) {
    out.validator = *modified;
  }
  if (auto length = head->header("Content-Length")) {
    char* end = nullptr;
    long long n = std::strtoll(length->c_str(), &end, 10);
    if (end != length->c_str() && *end == '\0' && n >= 0) {
      out.length = n;
    }
  }
  return out;
}

struct Download {
  Digest digest;
  std::int64_t size = 0;
  std::int64_t received = 0;
};

// Downloads `url` into `file` (empty, in `directory`), retrying dropped connections, 5xx
// and 429 with backoff and resuming from what it holds; a declared length that does not
// fit in `directory` is refused before the first byte.
Result<Download> download(const HttpClient& http, const std::string& url, File& file,
                          const std::string& directory, const SifFetchOptions& options,
                          const SifProgress& progress) {
  Probe info = probe(http, url);
  if (info.length) {
    SIFKIT_TRY(check_free_space(directory, *info.length, url));
  }
  DigestHasher hasher;
  std::int64_t offset = 0;
  std::int64_t received = 0;
  auto restart = [&]() -> Result<void> {
    offset = 0;
    hasher = DigestHasher();
    return file.truncate(0);
  };
  for (int attempt = 1;; ++attempt) {
    HttpRequest request{.url = url};
    if (offset > 0) {
      request.range_start = offset;
      if (info.validator) {
        request.headers.push_back("If-Range: " + *info.validator);
      }
    }
    bool first = true;
    BodySink sink = [&](long status, std::string_view bytes) -> Result<void> {
      if (first) {
        first = false;
        if (status == 200 && offset > 0) { // Range ignored, or the file changed: start over
          SIFKIT_TRY(restart());
        }
      }
      auto data = std::as_bytes(std::span(bytes.data(), bytes.size()));
      SIFKIT_TRY(file.pwrite_all(data, offset));
      hasher.update(bytes);
      offset += static_cast<std::int64_t>(bytes.size());
      received += static_cast<std::int64_t>(bytes.size());
      if (progress) {
        progress(offset, info.length);
      }
      return {};
    };
    auto response = http.perform(request, sink);
    bool retry = false;
    if (!response) {
      if (response.error().kind() != ErrorKind::network || attempt >= options.max_attempts) {
        return std::unexpected(response.error());
      }
      retry = true;
    } else if (response->status == 200 || response->status == 206) {
      if (response->status == 200 && first && offset > 0) { // an empty body after a restart
        SIFKIT_TRY(restart());
      }
      return Download{hasher.finish(), offset, received};
    } else if (response->status == 416 && offset > 0 && info.length == offset) {
      return Download{hasher.finish(), offset, received}; // all had arrived before the drop
    } else if ((response->status == 429 || response->status >= 500) &&
               attempt < options.max_attempts) {
      retry = true;
    } else {
      return std::unexpected(http_status_error(*response, "GET " + url));
    }
    if (retry) {
      auto delay = options.registry.retry_delay * (1LL << std::min(attempt - 1, 10));
      std::this_thread::sleep_for(
          std::min<std::chrono::milliseconds>(delay, std::chrono::seconds(10)));
    }
  }
}

} // namespace

Result<SifPullResult> fetch_http_sif(const ImageReference& reference, cache::Cache& cache,
                                     const SifFetchOptions& options, const SifProgress& progress) {
  const std::string& url = reference.location;
  HttpOptions http_options;
  http_options.ca_cert = options.registry.ca_cert.value_or("");
  http_options.tls_verify = options.registry.insecure ? TlsVerify::no : TlsVerify::yes;
  HttpClient http(http_options);

  SIFKIT_TRY_ASSIGN(auto work, cache::WorkDir::create(cache.layout(), "http"));
  std::string path = work.file("download.sif");
  SIFKIT_TRY_ASSIGN(auto file, File::create_exclusive(path, 0600));
  SIFKIT_TRY_ASSIGN(auto got,
                    download(http, url, file, cache.layout().temp_directory(), options, progress));
  SIFKIT_TRY(check_sif_file(path, url));
  SIFKIT_TRY_ASSIGN(auto source, source_from_path(path));
  SIFKIT_TRY_ASSIGN(
      auto stored,
      with_context(
          cache.put(got.digest, source, cache::BlobInfo{got.size, std::string(k_media_sif_layer)}),
          "storing " + got.digest.text()));
  std::string config(k_sif_config_bytes);
  auto config_digest = Digest::of(config);
  SIFKIT_TRY(cache.put(
      config_digest, source_from_string(config),
      cache::BlobInfo{static_cast<std::int64_t>(config.size()), std::string(k_media_sif_config)}));
  FetchedManifest manifest = sif_manifest(got.digest, got.size);
  std::vector<Digest> children{config_digest, got.digest};
  SIFKIT_TRY(record_sif(cache, reference.canonical(), manifest, children));
  SifPullResult out;
  out.digest = got.digest;
  out.size = got.size;
  out.path = cache.blob_path(got.digest);
  out.manifest = manifest.digest;
  out.reused = stored.outcome == cache::PutOutcome::already_stored;
  out.bytes_fetched = got.received;
  return out;
}

} // namespace sifkit::registry
