#include "reference_sif.h"

#include <cache/cache.h>
#include <cache/location.h>
#include <convert/cached_convert.h>
#include <registry/open_source.h>
#include <registry/pull.h>
#include <registry/reference.h>
#include <registry/sif_fetch.h>

#include <fmt/format.h>

namespace sifkit::convert {

namespace {

void tell(const ReferenceSifOptions& options, const std::string& text) {
  if (options.note) {
    options.note(text);
  }
}

Result<cache::Cache> open_cache(const ReferenceSifOptions& options) {
  auto root = cache::resolve_cache_directory(options.cache_dir);
  if (!root) {
    return std::unexpected(root.error());
  }
  return cache::Cache::open(*root, {});
}

// The manifest of `reference` in `cache`: pulled now, or, when the source cannot be
// reached, the one an earlier pull recorded.
Result<Digest> pulled_manifest(const registry::ImageReference& reference, cache::Cache& cache,
                               const ReferenceSifOptions& options, const std::string& text) {
  auto pull_options = registry::pull_options_for(reference, options.platform);
  if (!pull_options) {
    return std::unexpected(pull_options.error());
  }
  tell(options, "pulling " + text);
  auto source = registry::open_source(reference, options.registry);
  auto pulled = source ? registry::pull_image(**source, cache, *pull_options)
                       : Result<registry::PullResult>(std::unexpected(source.error()));
  if (pulled) {
    return pulled->manifest_digest;
  }
  if (pulled.error().kind() != ErrorKind::network) {
    return std::unexpected(pulled.error());
  }
  auto cached = registry::find_pulled_manifest(cache, *pull_options);
  if (!cached || !*cached) {
    return std::unexpected(pulled.error());
  }
  tell(options,
       fmt::format("{}; using the cached image {}", pulled.error().what(), (*cached)->text()));
  return **cached;
}

// `path` (the stored blob `digest`), leased to the holder the caller named, if any.
Result<std::string> handed_over(cache::Cache& cache, const Digest& digest, std::string path,
                                const ReferenceSifOptions& options) {
  if (options.lease_holder) {
    if (auto leased = cache.lease_to(digest, *options.lease_holder); !leased) {
      return std::unexpected(leased.error());
    }
  }
  return path;
}

} // namespace

Result<std::string> reference_sif(const std::string& text, const ReferenceSifOptions& options) {
  auto reference = registry::parse_reference(text);
  if (!reference) {
    return std::unexpected(std::move(reference.error()));
  }
  auto cache = open_cache(options);
  if (!cache) {
    return std::unexpected(cache.error());
  }
  if (registry::is_sif_reference(*reference)) {
    tell(options, "fetching " + text);
    registry::SifFetchOptions fetch;
    fetch.registry = options.registry;
    auto fetched = registry::fetch_sif(*reference, *cache, fetch);
    if (!fetched) {
      return std::unexpected(fetched.error());
    }
    return handed_over(*cache, fetched->digest, fetched->path, options);
  }
  auto manifest = pulled_manifest(*reference, *cache, options, text);
  if (!manifest) {
    return std::unexpected(manifest.error());
  }
  auto converted = convert_cached(*cache, *manifest, ConvertOptions{});
  if (!converted) {
    return std::unexpected(std::move(converted.error()).with_context("converting " + text));
  }
  if (!converted->reused) {
    tell(options, "converted " + text + " to OCI-SIF " + converted->sif.text());
  }
  return handed_over(*cache, converted->sif, converted->path, options);
}

} // namespace sifkit::convert
