// How the cache index scales: 100,000 blobs (5,000 images of a manifest, a config and 18
// layers; 4,000 of them referenced), then the time of a lookup, list, du, gc and verify
// without hashing. Blob files hold a few bytes each, so the figures measure the index,
// the graph walks and the per-file system calls, not disk bandwidth.
//
//   cache_index [--populate DIR]
//
// Without arguments: builds the cache in a temporary directory and prints a Markdown
// table. With --populate DIR: only builds it in DIR (for bench/cache_index.sh, which times
// the sif-cache tool on it).

#include <cache/cache.h>
#include <cache/gc.h>
#include <cache/report.h>
#include <cache/usage.h>
#include <cache/verify.h>
#include <common/atomic_file.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace sifkit;
using namespace sifkit::cache;
using Clock = std::chrono::steady_clock;

constexpr int k_images = 5000;
constexpr int k_referenced = 4000;
constexpr int k_layers = 18;

[[noreturn]] void die(const Error& error) {
  std::fprintf(stderr, "cache_index: %s\n", error.what().c_str());
  std::exit(1);
}

template <typename T>
T check(Result<T> result) {
  if (!result) {
    die(result.error());
  }
  return std::move(*result);
}

void check(Result<void> result) {
  if (!result) {
    die(result.error());
  }
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Writes the blob file directly (no fsync: this is setup, not what is measured) and
// returns its record.
BlobRecord make_blob(Cache& cache, const std::string& content, const std::string& media_type) {
  DigestHasher hasher(DigestAlgorithm::sha256);
  hasher.update(content);
  Digest digest = hasher.finish();
  std::ofstream(cache.blob_path(digest), std::ios::binary) << content;
  return BlobRecord{digest, static_cast<std::int64_t>(content.size()), media_type, 0, 0, 1};
}

// Registers the blobs, edges and references of all images, 100 images per transaction.
std::vector<Digest> populate(Cache& cache) {
  std::vector<Digest> all;
  std::int64_t now = cache.now();
  for (int first = 0; first < k_images; first += 100) {
    auto tx = check(cache.index().begin());
    for (int image = first; image < first + 100; ++image) {
      std::string tag = std::to_string(image);
      std::int64_t used = now - image; // older images were used longer ago
      std::vector<BlobRecord> children;
      children.push_back(
          make_blob(cache, "config " + tag, "application/vnd.oci.image.config.v1+json"));
      for (int layer = 0; layer < k_layers; ++layer) {
        children.push_back(make_blob(cache, "layer " + tag + "." + std::to_string(layer),
                                     "application/vnd.oci.image.layer.v1.tar+gzip"));
      }
      BlobRecord manifest =
          make_blob(cache, "manifest " + tag, "application/vnd.oci.image.manifest.v1+json");
      std::vector<Digest> child_digests;
      for (BlobRecord& child : children) {
        child.added_at = child.last_used_at = used;
        check(cache.index().record_write(child));
        child_digests.push_back(child.digest);
        all.push_back(child.digest);
      }
      manifest.added_at = manifest.last_used_at = used;
      check(cache.index().record_write(manifest));
      check(cache.index().add_edges(manifest.digest, child_digests));
      all.push_back(manifest.digest);
      if (image < k_referenced) {
        check(cache.index().put_ref(
            RefRecord{{"docker://registry.example/app" + tag + ":latest", "linux/amd64"},
                      manifest.digest,
                      used}));
      }
    }
    check(tx.commit());
  }
  return all;
}

struct Row {
  std::string what;
  std::string figure;
};

std::string per_op(double seconds, std::size_t ops) {
  char text[64];
  std::snprintf(text, sizeof text, "%.1f µs/op (%zu ops)", seconds * 1e6 / static_cast<double>(ops),
                ops);
  return text;
}

std::string total(double seconds) {
  char text[64];
  std::snprintf(text, sizeof text, "%.0f ms", seconds * 1e3);
  return text;
}

} // namespace

int main(int argc, char** argv) {
  std::string root;
  bool populate_only = argc == 3 && std::string(argv[1]) == "--populate";
  if (populate_only) {
    root = argv[2];
  } else {
    root = (std::filesystem::temp_directory_path() / "sifkit-bench-cache-XXXXXX").string();
    if (::mkdtemp(root.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
  }
  std::vector<Row> rows;
  Cache cache = check(Cache::open(root));
  auto start = Clock::now();
  std::vector<Digest> digests = populate(cache);
  rows.push_back({"register 100,000 blobs (rows, edges, refs; files without fsync)",
                  total(seconds_since(start))});
  if (populate_only) {
    std::printf("populated %s with %zu blobs\n", root.c_str(), digests.size());
    return 0;
  }

  std::mt19937 random(42);
  std::uniform_int_distribution<std::size_t> pick(0, digests.size() - 1);
  start = Clock::now();
  for (int i = 0; i < 100000; ++i) {
    check(cache.index().find_blob(digests[pick(random)]));
  }
  rows.push_back({"index lookup (read only)", per_op(seconds_since(start), 100000)});
  start = Clock::now();
  for (int i = 0; i < 10000; ++i) {
    check(cache.find_blob(digests[pick(random)]));
  }
  rows.push_back({"Cache::find_blob, first use (lease + last use: one write transaction)",
                  per_op(seconds_since(start), 10000)});
  std::vector<Digest> recent(digests.begin(), digests.begin() + 1000);
  for (const Digest& digest : recent) {
    check(cache.find_blob(digest));
  }
  start = Clock::now();
  for (int round = 0; round < 10; ++round) {
    for (const Digest& digest : recent) {
      check(cache.find_blob(digest));
    }
  }
  rows.push_back({"Cache::find_blob, again (already leased and marked used)",
                  per_op(seconds_since(start), 10000)});
  start = Clock::now();
  for (int i = 0; i < 1000; ++i) {
    std::string tag = std::to_string(i * 4);
    check(cache.find_ref({"docker://registry.example/app" + tag + ":latest", "linux/amd64"}));
  }
  rows.push_back(
      {"Cache::find_ref (leases the 20-blob closure)", per_op(seconds_since(start), 1000)});
  check(cache.release_leases());

  start = Clock::now();
  auto snapshot = check(cache.index().snapshot());
  double snapshot_time = seconds_since(start);
  rows.push_back({"read the whole index (snapshot)", total(snapshot_time)});
  start = Clock::now();
  std::string listing = format_list(compute_usage(check(cache.index().snapshot())));
  rows.push_back({"list (snapshot + graph + 4,000-row table)", total(seconds_since(start))});
  start = Clock::now();
  std::string usage = format_usage(compute_usage(check(cache.index().snapshot())));
  rows.push_back({"du", total(seconds_since(start))});

  start = Clock::now();
  GcReport dry = check(collect_garbage(cache, GcPolicy{}, DryRun::yes));
  rows.push_back({"gc --dry-run (plans " + std::to_string(dry.plan.removals.size()) + " removals)",
                  total(seconds_since(start))});
  start = Clock::now();
  GcReport gc = check(collect_garbage(cache, GcPolicy{}, DryRun::no));
  rows.push_back({"gc (removes " + std::to_string(gc.removed_blobs) + " blobs: rows and files)",
                  total(seconds_since(start))});
  start = Clock::now();
  GcReport idle = check(collect_garbage(cache, GcPolicy{}, DryRun::no));
  rows.push_back({"gc with nothing to remove (" + std::to_string(idle.plan.kept_blobs) + " blobs)",
                  total(seconds_since(start))});

  start = Clock::now();
  VerifyReport fast = check(verify_cache(cache, Hashing::size_only, Repair::no));
  rows.push_back({"verify --no-hash (" + std::to_string(fast.checked_blobs) + " blobs)",
                  total(seconds_since(start))});
  start = Clock::now();
  VerifyReport full = check(verify_cache(cache, Hashing::full, Repair::no));
  rows.push_back({"verify, hashing (tiny files: per-file cost)", total(seconds_since(start))});
  if (!fast.clean() || !full.clean()) {
    std::fprintf(stderr, "cache_index: verify found problems\n");
    return 1;
  }

  std::printf("| cache index, %d images x %d blobs | time |\n|---|---|\n", k_images, k_layers + 2);
  for (const Row& row : rows) {
    std::printf("| %s | %s |\n", row.what.c_str(), row.figure.c_str());
  }
  std::printf("\nindex.db: %s\n", format_bytes(static_cast<std::int64_t>(std::filesystem::file_size(
                                                   cache.layout().index_path())))
                                      .c_str());
  std::filesystem::remove_all(root);
  return 0;
}
