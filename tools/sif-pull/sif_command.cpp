#include "sif_command.h"

#include <convert/copy_out.h>
#include <registry/sif_fetch.h>

#include <cerrno>
#include <cstdio>

#include <nlohmann/json.hpp>
#include <support/squash_progress.h>
#include <unistd.h>

namespace sifkit::tools {

namespace {

using Json = nlohmann::ordered_json;

// Plain progress lines at most every 10% (a SIF is one file, so no bars are needed).
registry::SifProgress line_progress() {
  return [last = -1](std::int64_t done, std::optional<std::int64_t> total) mutable {
    if (!total || *total <= 0) {
      return;
    }
    int percent = static_cast<int>(done * 100 / *total);
    if (percent / 10 != last / 10) {
      last = percent;
      std::fprintf(stderr, "sif-pull: %d%% of %s\n", percent, human_bytes(*total).c_str());
    }
  };
}

} // namespace

Result<void> run_pull_sif(const PullCommandOptions& options,
                          const registry::ImageReference& reference, cache::Cache& cache) {
  if (options.oci_layout) {
    return fail(ErrorKind::usage,
                "--oci-layout: " + reference.canonical() + " names a SIF file, not an OCI image");
  }
  registry::SifFetchOptions fetch_options;
  fetch_options.registry = registry_options(options.source_flags);
  bool show = !options.quiet && ::isatty(STDERR_FILENO) == 1;
  SIFKIT_TRY_ASSIGN(auto fetched, registry::fetch_sif(reference, cache, fetch_options,
                                                      show ? line_progress() : nullptr));
  if (!options.quiet) {
    std::fprintf(stderr, "sif-pull: SIF %s (%s, %s)\n", fetched.digest.text().c_str(),
                 human_bytes(fetched.size).c_str(),
                 fetched.reused ? "already in the cache" : "stored in the cache");
  }
  Json output = nullptr;
  if (options.output) {
    SIFKIT_TRY_ASSIGN(auto copied, convert::copy_file_atomic(fetched.path, *options.output));
    if (!options.quiet) {
      std::fprintf(stderr, "sif-pull: wrote %s (%s)\n", options.output->c_str(),
                   human_bytes(copied.bytes).c_str());
    }
    output = Json{{"path", *options.output}, {"size", copied.bytes}};
  }
  std::string text = fetched.digest.text() + "\n";
  if (options.json) {
    Json doc{{"reference", fetched.reference},
             {"sif", fetched.digest.text()},
             {"size", fetched.size},
             {"media_type", registry::k_media_sif_layer},
             {"manifest", fetched.manifest.text()},
             {"reused", fetched.reused},
             {"bytes_fetched", fetched.bytes_fetched},
             {"output", std::move(output)},
             {"time_ms", {{"total", fetched.total_time.count()}}}};
    text = doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  }
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
    return fail_errno("cannot write to standard output", errno);
  }
  return {};
}

} // namespace sifkit::tools
