#pragma once

// Helpers shared by the OCI-SIF tests: fixture paths and the base images the upstream
// goldens start from.
#include "support/fixtures.h"

#include <common/error.h>
#include <sif/image.h>
#include <sif/oci_layout.h>
#include <sif/oci_write.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

namespace sifkit::test {

// Fails the test with the error chain when `result` holds an error.
#define REQUIRE_OK(expr)                                                                   \
  do {                                                                                     \
    auto&& require_ok_result = (expr);                                                     \
    INFO((require_ok_result ? std::string() : require_ok_result.error().what()));          \
    REQUIRE(require_ok_result.has_value());                                                \
  } while (false)

inline std::string oci_layout_path(const std::string& name) {
  return fixture("oci-sif-upstream/test/images/" + name);
}

// `relative` under pkg/sif/testdata, e.g. "TestWrite/DockerManifest.golden".
inline std::string sif_golden(const std::string& relative) {
  return fixture("oci-sif-upstream/pkg/sif/testdata/" + relative);
}

inline std::string sourcesink_golden(const std::string& relative) {
  return fixture("oci-sif-upstream/pkg/sourcesink/testdata/" + relative);
}

inline oci::OciLayout open_layout(const std::string& name) {
  auto layout = oci::OciLayout::open(oci_layout_path(name));
  REQUIRE_OK(layout);
  return std::move(*layout);
}

// Writes the whole layout `name` (its index.json as root index) with `spare` free slots.
inline void write_layout_sif(const std::string& name, const std::string& path,
                             std::int64_t spare) {
  oci::OciLayout layout = open_layout(name);
  REQUIRE_OK(oci::write_oci_sif(path, layout.index_bytes(), layout, {spare}));
}

// Writes the first image of layout `name` in a fresh root index with `spare` free slots.
inline void write_image_sif(const std::string& name, const std::string& path,
                            std::int64_t spare) {
  oci::OciLayout layout = open_layout(name);
  REQUIRE(!layout.index().manifests.empty());
  REQUIRE_OK(oci::write_oci_sif_around(path, layout.index().manifests.front().digest, layout,
                                       {spare}));
}

// Copies `from` to `to` (overwriting).
inline void copy_file(const std::string& from, const std::string& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

// Opens `path` for the given mode, failing the test on error.
inline sif::Image open_image(const std::string& path, OpenMode mode = OpenMode::read_only) {
  auto image = sif::Image::open(path, mode);
  REQUIRE_OK(image);
  return std::move(*image);
}

} // namespace sifkit::test
