#include <common/disk_space.h>
#include <common/text_escape.h>
#include <registry/pull.h>
#include <sif/oci_parse.h>
#include <sif/oci_select.h>
#include <sif/oci_walk.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

namespace sifkit::registry {

namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

Result<void> store_manifest(cache::Cache& cache, const FetchedManifest& manifest) {
  cache::BlobInfo info{static_cast<std::int64_t>(manifest.bytes.size()), manifest.media_type};
  SIFKIT_TRY(with_context(cache.put(manifest.digest, source_from_string(manifest.bytes), info),
                          "storing " + manifest.digest.text()));
  return {};
}

// The entry of `index` for `want`: an image whose descriptor names a matching
// platform, else a nested index that may hold one, else the only image when no entry
// names a platform at all.
Result<oci::Descriptor> choose_entry(const oci::Index& index, const Digest& index_digest,
                                     const oci::Platform& want) {
  std::vector<std::string> available;
  const oci::Descriptor* lone_image = nullptr;
  int images = 0;
  for (const auto& entry : index.manifests) {
    if (!oci::is_image_media_type(entry.media_type)) {
      continue;
    }
    ++images;
    if (!entry.platform) {
      lone_image = &entry;
      continue;
    }
    available.push_back(entry.platform->to_string());
    if (oci::platform_matches(want, *entry.platform)) {
      return entry;
    }
  }
  for (const auto& entry : index.manifests) {
    if (oci::is_index_media_type(entry.media_type) &&
        (!entry.platform || oci::platform_matches(want, *entry.platform))) {
      return entry;
    }
  }
  if (images == 1 && lone_image != nullptr) {
    return *lone_image;
  }
  std::string list;
  for (const auto& p : available) {
    list += (list.empty() ? "" : ", ") + p;
  }
  return fail(ErrorKind::not_found, "index " + index_digest.text() + " has no image for platform " +
                                        want.to_string() +
                                        " (available: " + (list.empty() ? "none" : list) + ")");
}

// What the workers share: the blobs to fetch, the running totals, the first error.
struct FetchState {
  ImageSource* source = nullptr;
  const PullProgress* progress = nullptr;
  BlobFeed* feed = nullptr;
  std::vector<PulledBlob*> todo;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex; // guards everything below and serialises progress calls
  std::optional<Error> error;
  PullEvent totals;
  std::int64_t fetched = 0;
  std::int64_t reused = 0;

  void emit(PullEvent::Kind kind, const PulledBlob& blob, std::int64_t done) {
    if (!*progress) {
      return;
    }
    PullEvent event = totals;
    event.kind = kind;
    event.digest = blob.digest;
    event.media_type = blob.media_type;
    event.blob_done = done;
    event.blob_size = blob.size;
    (*progress)(event);
  }
};

Result<void> fetch_one(FetchState& state, cache::Cache& cache, PulledBlob& blob) {
  oci::Descriptor descriptor;
  descriptor.digest = blob.digest;
  descriptor.size = blob.size;
  descriptor.media_type = blob.media_type;
  SIFKIT_TRY_ASSIGN(auto slot,
                    cache.begin_blob(blob.digest, cache::BlobInfo{blob.size, blob.media_type}));
  std::unique_lock lock(state.mutex);
  if (std::holds_alternative<cache::BlobRecord>(slot)) { // another process stored it
    blob.reused = true;
    state.reused += blob.size;
    state.totals.total_done += blob.size;
    ++state.totals.blobs_done;
    state.emit(PullEvent::Kind::blob_reused, blob, blob.size);
    if (state.feed != nullptr) {
      state.feed->finished(blob.digest, std::nullopt);
    }
    return {};
  }
  state.emit(PullEvent::Kind::blob_started, blob, 0);
  lock.unlock();
  auto& writer = std::get<cache::BlobWriter>(slot);
  if (state.feed != nullptr) {
    SIFKIT_TRY_ASSIGN(auto readable, writer.reader());
    state.feed->started(blob.digest, std::move(readable));
  }
  std::int64_t reported = 0;
  auto on_bytes = [&](std::int64_t done) {
    if (state.feed != nullptr) {
      state.feed->arrived(blob.digest, done);
    }
    std::lock_guard progress_lock(state.mutex);
    state.totals.total_done += done - reported;
    reported = done;
    state.emit(PullEvent::Kind::blob_progress, blob, done);
  };
  auto fetched = state.source->fetch_blob(descriptor, writer, on_bytes);
  auto committed =
      fetched ? writer.commit() : Result<cache::BlobRecord>(std::unexpected(fetched.error()));
  if (state.feed != nullptr) {
    state.feed->finished(blob.digest,
                         committed ? std::nullopt : std::optional<Error>(committed.error()));
  }
  lock.lock();
  if (!committed) {
    return std::unexpected(
        std::move(committed.error()).with_context("fetching " + blob.digest.text()));
  }
  state.totals.total_done += blob.size - reported;
  state.fetched += blob.size;
  ++state.totals.blobs_done;
  state.emit(PullEvent::Kind::blob_done, blob, blob.size);
  return {};
}

void worker(FetchState& state, cache::Cache& cache) {
  while (!state.failed) {
    std::size_t i = state.next++;
    if (i >= state.todo.size()) {
      return;
    }
    if (auto r = fetch_one(state, cache, *state.todo[i]); !r) {
      std::lock_guard lock(state.mutex);
      if (!state.error) {
        state.error = r.error();
      }
      state.failed = true;
    }
  }
}

// Fetches `blobs` not already stored, with up to `source.max_parallel()` threads.
Result<void> fetch_blobs(ImageSource& source, cache::Cache& cache, std::vector<PulledBlob*> blobs,
                         const PullProgress& progress, BlobFeed* feed, PullResult& result) {
  FetchState state;
  state.source = &source;
  state.progress = &progress;
  state.feed = feed;
  for (auto* blob : blobs) {
    state.totals.total_size += blob->size;
    ++state.totals.blobs_total;
  }
  for (auto* blob : blobs) {
    SIFKIT_TRY_ASSIGN(auto found, cache.find_blob(blob->digest));
    if (found && found->size != blob->size) {
      return fail(ErrorKind::corrupt_input,
                  "the manifest gives " + blob->digest.text() + " " + std::to_string(blob->size) +
                      " bytes; its content has " + std::to_string(found->size));
    }
    if (found) {
      blob->reused = true;
      state.reused += blob->size;
      state.totals.total_done += blob->size;
      ++state.totals.blobs_done;
      state.emit(PullEvent::Kind::blob_reused, *blob, blob->size);
    } else {
      state.todo.push_back(blob);
      if (feed != nullptr) {
        feed->expect(blob->digest, blob->size);
      }
    }
  }
  if (feed != nullptr) {
    // Only now: a reader must know every blob that will arrive before it asks for one.
    feed->manifest_resolved(result.manifest_digest);
  }
  // The sizes come from the manifest: a hostile one could declare terabytes and fill the
  // disk before the first digest check fails.
  std::int64_t to_fetch = 0;
  for (const auto* blob : state.todo) {
    to_fetch += std::min<std::int64_t>(blob->size, std::numeric_limits<std::int64_t>::max() / 2);
    to_fetch = std::min<std::int64_t>(to_fetch, std::numeric_limits<std::int64_t>::max() / 2);
  }
  if (!state.todo.empty()) {
    std::string what = state.todo.size() == 1
                           ? "blob " + state.todo.front()->digest.text()
                           : "the " + std::to_string(state.todo.size()) + " blobs to fetch";
    SIFKIT_TRY(check_free_space(cache.layout().temp_directory(), to_fetch, what));
  }
  int threads = std::clamp(source.max_parallel(), 1,
                           static_cast<int>(std::max<std::size_t>(state.todo.size(), 1)));
  if (!state.todo.empty()) {
    // One Cache per thread (each owns an SQLite connection and holds its own leases,
    // which go when it closes at the end of this block).
    std::vector<cache::Cache> caches;
    cache::CacheOptions options = cache.options();
    options.sweep_on_open = cache::SweepOnOpen::no;
    for (int i = 0; i < threads; ++i) {
      SIFKIT_TRY_ASSIGN(auto opened, cache::Cache::open(cache.layout().root(), options));
      caches.push_back(std::move(opened));
    }
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) {
      pool.emplace_back(
          [&state, &caches, i] { worker(state, caches[static_cast<std::size_t>(i)]); });
    }
    for (auto& t : pool) {
      t.join();
    }
    if (state.error) {
      return std::unexpected(*state.error);
    }
    // The main cache leases them too before the workers' leases go, so they stay
    // leased until the caller has recorded the edges.
    for (auto* blob : state.todo) {
      SIFKIT_TRY(cache.find_blob(blob->digest));
    }
  }
  result.bytes_fetched = state.fetched;
  result.bytes_reused = state.reused;
  return {};
}

} // namespace

Result<PullResult> pull_image(ImageSource& source, cache::Cache& cache, const PullOptions& options,
                              const PullProgress& progress) {
  auto context = [&](Error e) {
    return std::unexpected(std::move(e).with_context("pulling " + source.describe()));
  };
  auto start = Clock::now();
  PullResult result;
  auto root = source.fetch_root();
  if (!root) {
    return context(root.error());
  }
  result.root_digest = root->digest;
  result.root_media_type = root->media_type;
  if (auto r = store_manifest(cache, *root); !r) {
    return context(r.error());
  }
  oci::Platform want = options.platform.value_or(oci::host_platform());
  FetchedManifest current = std::move(*root);
  for (int depth = 0; oci::is_index_media_type(current.media_type); ++depth) {
    if (depth >= oci::k_max_index_depth) {
      return context(Error(ErrorKind::corrupt_input,
                           "indexes nested deeper than " + std::to_string(oci::k_max_index_depth)));
    }
    auto index = oci::parse_index(current.bytes);
    if (!index) {
      return context(std::move(index.error()).with_context("index " + current.digest.text()));
    }
    auto entry = choose_entry(*index, current.digest, want);
    if (!entry) {
      return context(entry.error());
    }
    auto child = source.fetch_manifest(*entry);
    if (!child) {
      return context(child.error());
    }
    if (auto r = store_manifest(cache, *child); !r) {
      return context(r.error());
    }
    std::vector<Digest> children{child->digest};
    if (auto r = cache.add_children(current.digest, children); !r) {
      return context(r.error());
    }
    result.indexes.push_back(current.digest);
    result.platform = want.to_string();
    current = std::move(*child);
  }
  if (!oci::is_image_media_type(current.media_type)) {
    return context(Error(ErrorKind::unsupported, current.digest.text() +
                                                     " is not an image manifest (" +
                                                     escape_control(current.media_type) + ")"));
  }
  auto manifest = oci::parse_manifest(current.bytes);
  if (!manifest) {
    return context(std::move(manifest.error()).with_context("manifest " + current.digest.text()));
  }
  result.manifest_digest = current.digest;
  result.manifest_media_type = current.media_type;
  result.manifest_size = static_cast<std::int64_t>(current.bytes.size());
  result.resolve_time = since(start);

  auto fetch_start = Clock::now();
  result.config =
      PulledBlob{manifest->config.digest, manifest->config.size, manifest->config.media_type};
  for (const auto& layer : manifest->layers) {
    result.layers.push_back(PulledBlob{layer.digest, layer.size, layer.media_type});
  }
  std::vector<PulledBlob*> blobs;
  std::set<Digest> seen;
  std::vector<Digest> children;
  // Newest layer first: a conversion reading while the pull runs merges them in that
  // order (the base layer, usually the largest, streams in last).
  std::vector<PulledBlob*> all{&result.config};
  for (auto layer = result.layers.rbegin(); layer != result.layers.rend(); ++layer) {
    all.push_back(&*layer);
  }
  for (PulledBlob* blob : all) {
    if (blob->size < 0) {
      return context(Error(ErrorKind::corrupt_input, blob->digest.text() + " has a negative size"));
    }
    if (seen.insert(blob->digest).second) { // a layer listed twice is fetched once
      blobs.push_back(blob);
      children.push_back(blob->digest);
    }
  }
  if (auto r = fetch_blobs(source, cache, blobs, progress, options.feed, result); !r) {
    return context(r.error());
  }
  for (auto& layer : result.layers) { // duplicates share their first occurrence's fate
    for (auto* blob : blobs) {
      if (blob->digest == layer.digest) {
        layer.reused = blob->reused;
      }
    }
  }
  if (auto r = cache.add_children(result.manifest_digest, children); !r) {
    return context(r.error());
  }
  if (!options.reference_name.empty()) {
    cache::RefKey key{options.reference_name, result.platform};
    if (auto r = cache.set_ref(key, result.manifest_digest); !r) {
      return context(r.error());
    }
  }
  result.fetch_time = since(fetch_start);
  result.total_time = since(start);
  return result;
}

Result<std::optional<Digest>> find_pulled_manifest(cache::Cache& cache,
                                                   const PullOptions& options) {
  if (options.reference_name.empty()) {
    return std::nullopt;
  }
  std::string platform = options.platform.value_or(oci::host_platform()).to_string();
  for (const std::string& key_platform : {platform, std::string()}) {
    SIFKIT_TRY_ASSIGN(auto ref,
                      cache.find_ref(cache::RefKey{options.reference_name, key_platform}));
    if (ref) {
      return ref->manifest;
    }
  }
  return std::nullopt;
}

Result<PullOptions> pull_options_for(const ImageReference& reference,
                                     const std::optional<std::string>& platform) {
  PullOptions options;
  options.reference_name = reference.canonical();
  if (platform) {
    SIFKIT_TRY_ASSIGN(auto parsed, oci::Platform::parse(*platform));
    options.platform = parsed;
  }
  return options;
}

} // namespace sifkit::registry
