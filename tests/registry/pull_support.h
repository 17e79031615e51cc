#pragma once

// Helpers shared by the pull tests: fixture layouts, caches in temp directories,
// opening and pulling a reference in one call, and checking the cache afterwards.
#include <cache/cache.h>
#include <cache/verify.h>
#include <registry/open_source.h>
#include <registry/pull.h>
#include <registry/reference.h>

#include <string>

#include "support/fixtures.h"
#include <catch2/catch.hpp>

namespace sifkit::test {

// The OCI layout fixture `name` (fixtures/oci-sif-upstream/test/images/<name>).
inline std::string image_fixture(const std::string& name) {
  return fixture("oci-sif-upstream/test/images/" + name);
}

inline cache::Cache open_test_cache(const TempDir& dir) {
  auto cache = cache::Cache::open(dir.file("cache"));
  REQUIRE(cache);
  return std::move(*cache);
}

// Parses, opens and pulls `text` for `platform` ("" for the host's).
inline Result<registry::PullResult> pull_text(cache::Cache& cache, const std::string& text,
                                              const std::string& platform = "") {
  auto reference = registry::parse_reference(text);
  if (!reference) {
    return std::unexpected(reference.error());
  }
  auto source = registry::open_source(*reference, {});
  if (!source) {
    return std::unexpected(source.error());
  }
  registry::PullOptions options;
  options.reference_name = reference->canonical();
  if (!platform.empty()) {
    auto parsed = oci::Platform::parse(platform);
    REQUIRE(parsed);
    options.platform = *parsed;
  }
  return registry::pull_image(**source, cache, options);
}

// True when `cache verify` (with hashing) finds nothing wrong.
inline bool cache_is_clean(cache::Cache& cache) {
  auto report = cache::verify_cache(cache, cache::Hashing::full, cache::Repair::no);
  REQUIRE(report);
  return report->clean();
}

} // namespace sifkit::test
