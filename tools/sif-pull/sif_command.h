#pragma once

// sif-pull for references that name a SIF file (http(s)://, oras://): fetch it into the
// cache (registry/sif_fetch.h), copy it out with -o, print its digest.
#include <cache/cache.h>
#include <common/error.h>
#include <registry/reference.h>

#include "commands.h"

namespace sifkit::tools {

// Fetches the SIF `reference` names into `cache` and reports it as `options` ask.
// `usage` for --oci-layout (a SIF is not an OCI image), else fetch_sif's errors.
Result<void> run_pull_sif(const PullCommandOptions& options,
                          const registry::ImageReference& reference, cache::Cache& cache);

} // namespace sifkit::tools
