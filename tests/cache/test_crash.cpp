#include <cache/verify.h>

#include <cstring>
#include <random>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>

using namespace sifkit;
using namespace sifkit::cache;

namespace {

constexpr int k_iterations = 40;
constexpr int k_blobs_per_iteration = 6;

// The blobs of iteration `i`: new ones plus two from the previous iteration, so reruns
// meet both fresh and already stored blobs.
std::vector<std::string> blobs_of(int i, unsigned seed) {
  std::vector<std::string> blobs;
  for (int round : {i - 1, i}) {
    if (round < 0) {
      continue;
    }
    std::mt19937 random(seed + static_cast<unsigned>(round));
    for (int k = 0; k < k_blobs_per_iteration; ++k) {
      std::size_t size = std::uniform_int_distribution<std::size_t>(0, 96 * 1024)(random);
      std::string data = "blob " + std::to_string(round) + "." + std::to_string(k) + ":";
      data.resize(data.size() + size);
      for (std::size_t at = data.size() - size; at < data.size(); ++at) {
        data[at] = static_cast<char>(random());
      }
      if (round == i || k < 2) {
        blobs.push_back(std::move(data));
      }
    }
  }
  return blobs;
}

ByteSource chunked_source(const std::string& data) {
  auto offset = std::make_shared<std::size_t>(0);
  return [&data, offset](std::span<std::byte> buf) -> Result<std::size_t> {
    std::size_t n = std::min({buf.size(), data.size() - *offset, std::size_t{16 * 1024}});
    std::memcpy(buf.data(), data.data() + *offset, n);
    *offset += n;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    return n;
  };
}

// What the child does: store an image (layers, a manifest needing them, a reference) and
// a conversion result. Returns 0 when all of it is done.
int workload(const std::string& root, int i, unsigned seed) {
  auto cache = Cache::open(root, test::test_options());
  if (!cache) {
    return 1;
  }
  std::vector<Digest> layers;
  std::string manifest_text = "manifest " + std::to_string(i);
  for (const std::string& data : blobs_of(i, seed)) {
    Digest digest = test::digest_of(data);
    if (!cache->put(digest, chunked_source(data),
                    BlobInfo{static_cast<std::int64_t>(data.size()), ""})) {
      return 2;
    }
    layers.push_back(digest);
    manifest_text += " " + digest.text();
  }
  Digest manifest = test::digest_of(manifest_text);
  Digest result = test::digest_of("sif " + std::to_string(i));
  bool done = cache->put(manifest, source_from_string(manifest_text), BlobInfo{}) &&
              cache->add_children(manifest, layers) &&
              cache->set_ref({"ref-" + std::to_string(i), ""}, manifest) &&
              cache->put(result, source_from_string("sif " + std::to_string(i)), BlobInfo{}) &&
              cache->record_conversion(manifest, "squash", result);
  return done ? 0 : 3;
}

VerifyReport require_verified(const std::string& root, const std::string& when) {
  INFO(when);
  auto options = test::test_options();
  options.sweep_on_open = SweepOnOpen::no; // let verify's own sweep count the leftovers
  Cache cache = test::open_cache(root, options);
  auto report = verify_cache(cache, Hashing::full, Repair::no);
  REQUIRE(report.has_value());
  for (const VerifyFinding& f : report->findings) {
    FAIL_CHECK(to_string(f.problem) << " " << f.subject << ": " << f.detail);
  }
  REQUIRE(report->findings.empty());
  return *report;
}

} // namespace

TEST_CASE("a writer killed at random instants never leaves the cache inconsistent",
          "[cache][crash]") {
  const unsigned seed = test::test_seed("cache crash test");
  INFO("seed " << seed);
  std::mt19937 random(seed);
  test::TempDir dir;
  std::string root = dir.file("c");
  // Kills land anywhere in a run: calibrate how long a whole run takes on this machine.
  auto calibration_started = std::chrono::steady_clock::now();
  REQUIRE(test::wait_child(
              test::spawn([&] { return workload(dir.file("calibration"), 0, seed); })) == 0);
  auto full_run = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - calibration_started);
  int killed = 0;
  std::int64_t adopted = 0;
  std::int64_t swept = 0;
  std::chrono::steady_clock::duration rerun_time{};
  for (int i = 0; i < k_iterations; ++i) {
    INFO("iteration " << i);
    // Iteration 0 kills early, while the child may still be creating the index.
    auto delay = std::chrono::microseconds(std::uniform_int_distribution<std::int64_t>(
        0, i == 0 ? full_run.count() / 10 : full_run.count() * 11 / 10)(random));
    pid_t child = test::spawn([&] { return workload(root, i, seed); });
    std::this_thread::sleep_for(delay);
    ::kill(child, SIGKILL);
    killed += test::wait_child(child) == -SIGKILL ? 1 : 0;

    VerifyReport after_kill = require_verified(root, "after the kill");
    adopted += after_kill.adopted_files;
    swept += after_kill.sweep.temp_files;
    auto rerun_started = std::chrono::steady_clock::now();
    pid_t rerun = test::spawn([&] { return workload(root, i, seed); });
    REQUIRE(test::wait_child(rerun) == 0);
    rerun_time += std::chrono::steady_clock::now() - rerun_started;
    {
      Cache cache = test::open_cache(root);
      auto ref = cache.find_ref({"ref-" + std::to_string(i), ""});
      REQUIRE(ref.has_value());
      REQUIRE(ref->has_value());
      for (const std::string& data : blobs_of(i, seed)) {
        REQUIRE(test::file_bytes(cache.blob_path(test::digest_of(data))) == data);
      }
      REQUIRE(cache.find_conversion((*ref)->manifest, "squash")->has_value());
    }
    require_verified(root, "after the rerun");
  }
  std::printf("cache crash test: %d of %d runs killed mid-way (a whole run takes %lld ms, a "
              "rerun after a kill %lld ms on average)\n",
              killed, k_iterations, static_cast<long long>(full_run.count() / 1000),
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(rerun_time).count() /
                  k_iterations));
  std::printf("cache crash test: verify swept %lld temp file(s) and indexed %lld blob(s) "
              "left between rename and indexing\n",
              static_cast<long long>(swept), static_cast<long long>(adopted));
  CHECK(killed >= k_iterations / 4);
}
