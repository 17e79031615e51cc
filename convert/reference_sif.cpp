#include "reference_sif.h"

#include <cache/location.h>
#include <convert/cached_convert.h>
#include <registry/open_source.h>
#include <registry/sif_fetch.h>

#include <fmt/format.h>

namespace sifkit::convert {

namespace {

using Clock = std::chrono::steady_clock;

void tell(const ReferenceOptions& options, Note kind, const std::string& text) {
  if (options.note) {
    options.note(kind, text);
  }
}

// The registry options `options` give, with the docker-daemon: export going into
// `cache`'s tmp/ (the daemon's image has no other place to be read from).
registry::RegistryOptions registry_options(const ReferenceOptions& options,
                                           const cache::Cache& cache) {
  registry::RegistryOptions registry = options.registry;
  registry.work_cache = cache.layout().root();
  return registry;
}

// Leases the stored blob `digest` to the holder the caller named, if any.
Result<void> hand_over(cache::Cache& cache, const Digest& digest,
                       const ReferenceSifOptions& options) {
  if (!options.lease_holder) {
    return {};
  }
  return cache.lease_to(digest, *options.lease_holder);
}

// A SIF reference: fetched into the cache as it is.
Result<ReferenceSif> fetched_sif(OpenedReference& opened, const std::string& text,
                                 const ReferenceSifOptions& options) {
  tell(options.source, Note::step, "fetching " + text);
  registry::SifFetchOptions fetch;
  fetch.registry = registry_options(options.source, opened.cache);
  SIFKIT_TRY_ASSIGN(auto fetched, registry::fetch_sif(opened.reference, opened.cache, fetch));
  ReferenceSif sif;
  sif.path = fetched.path;
  sif.sif = fetched.digest;
  sif.reused = fetched.reused;
  return sif;
}

// An image: pulled (or found offline), then converted through the cache.
Result<ReferenceSif> converted_image(OpenedReference& opened, const std::string& text,
                                     const ReferenceSifOptions& options) {
  tell(options.source, Note::step, "pulling " + text);
  SIFKIT_TRY_ASSIGN(auto pulled, pull_reference(opened, options.source));
  auto start = Clock::now();
  SIFKIT_TRY_ASSIGN(auto converted, with_context(convert_cached(opened.cache, pulled.manifest,
                                                                options.convert, options.progress),
                                                 "converting " + text));
  if (!converted.reused) {
    tell(options.source, Note::step, "converted " + text + " to OCI-SIF " + converted.sif.text());
  }
  ReferenceSif sif;
  sif.path = converted.path;
  sif.sif = converted.sif;
  sif.manifest = pulled.manifest;
  sif.pulled = std::move(pulled.pulled);
  sif.reused = converted.reused;
  sif.result = std::move(converted.result);
  sif.convert_time = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return sif;
}

} // namespace

Result<OpenedReference> open_reference(const std::string& text, const ReferenceOptions& options) {
  SIFKIT_TRY_ASSIGN(auto reference, registry::parse_reference(text));
  SIFKIT_TRY_ASSIGN(auto pull, registry::pull_options_for(reference, options.platform));
  SIFKIT_TRY_ASSIGN(auto root, cache::resolve_cache_directory(options.cache_dir));
  cache::CacheOptions cache_options;
  cache_options.on_wait = options.on_wait;
  SIFKIT_TRY_ASSIGN(auto cache, cache::Cache::open(root, std::move(cache_options)));
  return OpenedReference{std::move(reference), std::move(pull), std::move(cache)};
}

Result<PulledReference> pull_reference(OpenedReference& opened, const ReferenceOptions& options) {
  auto source = registry::open_source(opened.reference, registry_options(options, opened.cache));
  auto pulled =
      source ? registry::pull_image(**source, opened.cache, opened.pull, options.pull_progress)
             : Result<registry::PullResult>(std::unexpected(source.error()));
  if (pulled) {
    Digest manifest = pulled->manifest_digest;
    return PulledReference{manifest, std::move(*pulled)};
  }
  if (pulled.error().kind() != ErrorKind::network || options.offline != WhenOffline::use_cached) {
    return std::unexpected(pulled.error());
  }
  auto cached = registry::find_pulled_manifest(opened.cache, opened.pull);
  if (!cached || !*cached) {
    return std::unexpected(pulled.error());
  }
  tell(options, Note::offline,
       fmt::format("{}; using the cached image {}", pulled.error().what(), (*cached)->text()));
  return PulledReference{**cached, std::nullopt};
}

Result<ReferenceSif> reference_sif(const std::string& text, const ReferenceSifOptions& options) {
  SIFKIT_TRY_ASSIGN(auto opened, open_reference(text, options.source));
  bool fetch = options.sif_files == SifFiles::fetch && registry::is_sif_reference(opened.reference);
  auto sif = fetch ? fetched_sif(opened, text, options) : converted_image(opened, text, options);
  if (!sif) {
    return sif;
  }
  SIFKIT_TRY(hand_over(opened.cache, sif->sif, options));
  return sif;
}

} // namespace sifkit::convert
