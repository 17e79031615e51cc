#pragma once

// Runs one layered image through both umoci (the reference) and squash_layers, read back
// with unsquashfs, and compares the two trees. Shared by the squash test files.
#include <optional>
#include <string>
#include <vector>

#include "convert/image_builder.h"
#include "convert/tree_snapshot.h"

namespace sifkit::test {

struct ScenarioResult {
  Tree ours;             // our squashfs, extracted by unsquashfs
  Tree reference;        // umoci's rootfs; empty when umoci is missing
  bool compared = false; // false: umoci missing (a skip is recorded)
};

// Writes `layers` as an OCI image, converts it with squash_layers, extracts the result
// with unsquashfs, unpacks the image with umoci and CHECKs both trees are equal
// (directory mtimes excepted: extraction touches them). Fails the test when a step
// fails. Reading back needs root (owners, devices): otherwise only the conversion runs,
// a skip is recorded (support/skip.h) and the result is nullopt.
std::optional<ScenarioResult> run_scenario(const std::vector<Layer>& layers);

// A three-layer image with every kind of entry, files of several blocks, hardlinks,
// whiteouts and xattrs: for mount and determinism checks.
std::vector<Layer> rich_layers();

// sha256 hex of `text`, to compare with TreeNode::sha256.
std::string content_hash(const std::string& text);

} // namespace sifkit::test

// Runs scenario `layers` into `var` (a ScenarioResult&), or returns from the test case
// when this machine cannot read the result back (run_scenario has recorded a skip).
#define SIFKIT_RUN_SCENARIO(var, ...)                                                              \
  auto var##_result = ::sifkit::test::run_scenario(__VA_ARGS__);                                   \
  if (!var##_result) {                                                                             \
    return;                                                                                        \
  }                                                                                                \
  auto& var = *var##_result
