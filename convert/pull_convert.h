#pragma once

// Pulling an image and converting it at the same time (sif-pull -o): the conversion starts
// as soon as the image manifest is resolved and reads each layer while it downloads,
// newest first (registry/blob_feed.h), so download, inflate and compression overlap.
// The blobs still land in the cache, verified, as a plain pull leaves them.
#include <convert/cached_convert.h>
#include <convert/reference_sif.h>
#include <registry/pull.h>

#include <functional>

namespace sifkit::convert {

struct PulledConversion {
  registry::PullResult pulled;
  CachedConversion converted; // its OCI-SIF leased to `opened.cache`
};

// Called once the pull is over, before any conversion progress is shown.
using PulledCallback = std::function<void(const registry::PullResult&)>;

// Pulls `opened.reference` into `opened.cache` as pull_reference does (a network error
// stands: `source.offline` is not read) and converts the image with `options` as
// convert_cached does, at once. `on_pulled` and `progress` are called from other
// threads, never together; `progress` only after `on_pulled`. The pull's error when it
// fails (the conversion waits for it), else the conversion's.
Result<PulledConversion> pull_and_convert(OpenedReference& opened, const ReferenceOptions& source,
                                          const ConvertOptions& options,
                                          const PulledCallback& on_pulled,
                                          const SquashProgressCallback& progress);

} // namespace sifkit::convert
