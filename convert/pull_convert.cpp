#include <convert/pull_convert.h>

#include <atomic>
#include <optional>
#include <thread>

namespace sifkit::convert {

namespace {

// A second Cache on `pulling`'s directory, for the conversion's thread (a Cache is not
// thread-safe; the pull uses `pulling`).
Result<cache::Cache> open_beside(const cache::Cache& pulling) {
  cache::CacheOptions options = pulling.options();
  options.sweep_on_open = cache::SweepOnOpen::no;
  return cache::Cache::open(pulling.layout().root(), options);
}

// The conversion's side: waits for the manifest, then converts through `cache`.
Result<CachedConversion> convert_arriving(cache::Cache& cache, registry::BlobFeed& feed,
                                          const ConvertOptions& options,
                                          const SquashProgressCallback& progress) {
  SIFKIT_TRY_ASSIGN(auto manifest, feed.wait_manifest());
  ArrivingBlobSource blobs(cache, feed);
  return convert_cached(cache, blobs, manifest, options, progress);
}

} // namespace

Result<PulledConversion> pull_and_convert(OpenedReference& opened, const ReferenceOptions& source,
                                          const ConvertOptions& options,
                                          const PulledCallback& on_pulled,
                                          const SquashProgressCallback& progress) {
  SIFKIT_TRY_ASSIGN(auto converting, open_beside(opened.cache));
  ReferenceOptions pull_options = source;
  pull_options.offline = WhenOffline::fail;
  registry::BlobFeed feed;
  opened.pull.feed = &feed;
  std::atomic<bool> pull_over{false};
  std::optional<Result<PulledReference>> pulled;
  std::thread puller([&] {
    auto result = pull_reference(opened, pull_options);
    if (result && on_pulled) {
      on_pulled(*result->pulled);
    }
    pull_over = true;
    feed.closed(result ? std::nullopt : std::optional<Error>(result.error()));
    pulled = std::move(result);
  });
  SquashProgressCallback shown;
  if (progress) {
    shown = [&](const SquashProgress& p) {
      if (pull_over) {
        progress(p);
      }
    };
  }
  auto converted = convert_arriving(converting, feed, options, shown);
  puller.join();
  opened.pull.feed = nullptr;
  if (!*pulled) {
    return std::unexpected(pulled->error());
  }
  if (!converted) {
    return std::unexpected(converted.error());
  }
  // Leased here too before the conversion's Cache (and its leases) goes, for the caller.
  SIFKIT_TRY(opened.cache.find_blob(converted->sif));
  return PulledConversion{std::move(*(*pulled)->pulled), std::move(*converted)};
}

} // namespace sifkit::convert
