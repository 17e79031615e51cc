#include <cache/directory.h>
#include <cache/verify.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "cache/cache_support.h"
#include <catch2/catch.hpp>

using namespace sifkit;
using namespace sifkit::cache;

namespace {

constexpr int k_processes = 8;
constexpr int k_blobs = 48;

// A source that hands out `data` in 64 KiB chunks with a pause after each, so that
// writers of the same blob overlap in time.
ByteSource slow_source(const std::string& data) {
  auto offset = std::make_shared<std::size_t>(0);
  return [&data, offset](std::span<std::byte> buf) -> Result<std::size_t> {
    std::size_t n = std::min({buf.size(), data.size() - *offset, std::size_t{64 * 1024}});
    std::memcpy(buf.data(), data.data() + *offset, n);
    *offset += n;
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    return n;
  };
}

} // namespace

TEST_CASE("eight processes putting overlapping blobs at once write each blob exactly once",
          "[cache][stress]") {
  const unsigned seed = test::test_seed("cache stress test");
  INFO("seed " << seed);
  std::mt19937 random(seed);
  std::vector<std::string> blobs;
  for (int i = 0; i < k_blobs; ++i) {
    std::size_t size = i == 0 ? 0 : std::uniform_int_distribution<std::size_t>(1, 1 << 20)(random);
    std::string data(size, '\0');
    for (char& c : data) {
      c = static_cast<char>(random());
    }
    data.replace(0, std::min<std::size_t>(size, 8), std::to_string(i).substr(0, size)); // distinct
    blobs.push_back(std::move(data));
  }
  test::TempDir dir;
  std::string root = dir.file("c");
  test::open_cache(root); // the children race on everything but the directory itself

  test::Signal start;
  std::vector<pid_t> children;
  for (int p = 0; p < k_processes; ++p) {
    children.push_back(test::spawn([&, p] {
      start.wait(); // all at once, when the parent closes its end
      auto options = test::test_options();
      int waits = 0;
      options.lock_timing.notice_after = std::chrono::milliseconds(0);
      options.on_wait = [&](const LockWait& wait) { waits += wait.first ? 1 : 0; };
      Cache cache = test::open_cache(root, options);
      std::vector<int> order;
      for (int i = 0; i < k_blobs; ++i) {
        if ((i + p) % 3 != 0) { // each process skips a third; every blob has 5+ writers
          order.push_back(i);
        }
      }
      std::shuffle(order.begin(), order.end(), std::mt19937(seed + p));
      int written = 0;
      for (int i : order) {
        const std::string& data = blobs[i];
        auto put = cache.put(test::digest_of(data), slow_source(data),
                             BlobInfo{static_cast<std::int64_t>(data.size()), ""});
        if (!put) {
          std::fprintf(stderr, "process %d: %s\n", p, put.error().what().c_str());
          return 1;
        }
        written += put->outcome == PutOutcome::written ? 1 : 0;
      }
      std::ofstream(root + "/../written-" + std::to_string(p)) << written << " " << waits;
      return 0;
    }));
  }
  start.wait(); // closes the parent's end: the children start
  for (pid_t child : children) {
    CHECK(test::wait_child(child) == 0);
  }

  Cache cache = test::open_cache(root);
  auto rows = cache.index().all_blobs();
  REQUIRE(rows.has_value());
  CHECK(rows->size() == k_blobs);
  for (const BlobRecord& row : *rows) {
    INFO(row.digest.text());
    CHECK(row.writes == 1);
  }
  int total_written = 0;
  int total_waits = 0;
  for (int p = 0; p < k_processes; ++p) {
    std::istringstream counts(test::file_bytes(dir.file("written-" + std::to_string(p))));
    int written = 0;
    int waits = 0;
    counts >> written >> waits;
    total_written += written;
    total_waits += waits;
  }
  CHECK(total_written == k_blobs);
  std::printf("cache stress test: %d process(es) waited for another's write\n", total_waits);
  CHECK(total_waits > 0); // the test did make writers of one blob meet
  for (const std::string& data : blobs) {
    CHECK(test::file_bytes(cache.blob_path(test::digest_of(data))) == data);
  }
  CHECK(list_directory(cache.layout().blob_directory(DigestAlgorithm::sha256))->size() == k_blobs);
  CHECK(list_directory(cache.layout().temp_directory())->empty());
  auto report = verify_cache(cache, Hashing::full, Repair::no);
  REQUIRE(report.has_value());
  CHECK(report->findings.empty());
  CHECK(report->adopted_files == 0);
}
