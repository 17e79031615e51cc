#include "commands.h"

#include <cache/cache.h>
#include <cache/holder.h>
#include <cache/location.h>
#include <convert/cached_convert.h>
#include <convert/copy_out.h>
#include <convert/reference_sif.h>
#include <registry/oci_layout_writer.h>
#include <registry/open_source.h>
#include <registry/pull.h>
#include <registry/reference.h>
#include <registry/sif_fetch.h>

#include <cerrno>
#include <cstdio>

#include "progress.h"
#include "sif_command.h"
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <support/squash_progress.h>
#include <unistd.h>

namespace sifkit::tools {

namespace {

using Json = nlohmann::ordered_json;

Result<void> write_out(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
    return fail_errno("cannot write to standard output", errno);
  }
  return {};
}

Json blob_json(const registry::PulledBlob& blob) {
  return Json{{"digest", blob.digest.text()},
              {"size", blob.size},
              {"media_type", blob.media_type},
              {"reused", blob.reused}};
}

Json summary_json(const std::string& reference, const registry::PullResult& r, Json layout,
                  Json output) {
  Json layers = Json::array();
  for (const auto& layer : r.layers) {
    layers.push_back(blob_json(layer));
  }
  return Json{{"reference", reference},
              {"platform", r.platform},
              {"root", r.root_digest.text()},
              {"manifest", r.manifest_digest.text()},
              {"media_type", r.manifest_media_type},
              {"config", blob_json(r.config)},
              {"layers", std::move(layers)},
              {"bytes_fetched", r.bytes_fetched},
              {"bytes_reused", r.bytes_reused},
              {"oci_layout", std::move(layout)},
              {"output", std::move(output)},
              {"time_ms",
               {{"resolve", r.resolve_time.count()},
                {"fetch", r.fetch_time.count()},
                {"total", r.total_time.count()}}}};
}

Result<cache::Cache> open_cache(const PullCommandOptions& options) {
  auto root = cache::resolve_cache_directory(options.cache_dir);
  if (!root) {
    return std::unexpected(root.error());
  }
  cache::CacheOptions cache_options;
  if (!options.quiet) {
    cache_options.on_wait = [](const cache::LockWait& wait) {
      std::fprintf(stderr, "sif-pull: %s %s (written by another process)\n",
                   wait.first ? "waiting for" : "still waiting for", wait.digest.text().c_str());
    };
  }
  return cache::Cache::open(*root, std::move(cache_options));
}

// Converts the pulled image through the cache (reusing an earlier conversion with the
// same options) and copies the OCI-SIF to `path`; returns the JSON `output` field.
Result<Json> write_sif(cache::Cache& cache, const Digest& manifest,
                       const convert::ConvertOptions& options, const std::string& path,
                       bool quiet) {
  ConvertDisplay display = convert_display(quiet);
  auto converted =
      convert::convert_cached(cache, manifest, options, make_squash_progress(display, "sif-pull"));
  finish_squash_progress(display);
  auto copied = converted ? convert::copy_file_atomic(converted->path, path)
                          : std::unexpected(converted.error());
  if (!copied) {
    return std::unexpected(copied.error());
  }
  if (!quiet) {
    std::fprintf(stderr, "sif-pull: wrote %s (%s, %s)\n", path.c_str(),
                 human_bytes(copied->bytes).c_str(),
                 converted->reused ? "already converted in the cache" : "converted");
  }
  return Json{{"path", path},
              {"sif", converted->sif.text()},
              {"size", copied->bytes},
              {"reused", converted->reused}};
}

} // namespace

Result<void> run_pull(const PullCommandOptions& options) {
  auto conversion = convert_options(options.convert);
  if (!conversion) {
    return std::unexpected(conversion.error());
  }
  auto reference = registry::parse_reference(options.reference);
  if (!reference) {
    return std::unexpected(reference.error());
  }
  auto pull_options = registry::pull_options_for(*reference, options.platform);
  if (!pull_options) {
    return std::unexpected(pull_options.error());
  }
  auto cache = open_cache(options);
  if (!cache) {
    return std::unexpected(cache.error());
  }
  if (registry::is_sif_reference(*reference)) {
    return run_pull_sif(options, *reference, *cache);
  }
  registry::RegistryOptions registry_options = options.registry;
  registry_options.work_cache = cache->layout().root();
  auto source = registry::open_source(*reference, registry_options);
  if (!source) {
    return std::unexpected(source.error());
  }
  ProgressStyle style = progress_style(options.quiet);
  auto pulled = registry::pull_image(**source, *cache, *pull_options, make_progress(style));
  finish_progress(style);
  if (!pulled) {
    return std::unexpected(pulled.error());
  }
  print_summary(style, *pulled);
  Json output = nullptr;
  if (options.output) {
    auto written =
        write_sif(*cache, pulled->manifest_digest, *conversion, *options.output, options.quiet);
    if (!written) {
      return std::unexpected(written.error());
    }
    output = std::move(*written);
  }
  Json layout = nullptr;
  if (options.oci_layout) {
    std::string tag = registry::default_tag(*reference);
    auto written = registry::write_oci_layout(*cache, *pulled, *options.oci_layout, tag);
    if (!written) {
      return std::unexpected(written.error());
    }
    layout =
        Json{{"path", *options.oci_layout}, {"tag", tag}, {"manifest", written->digest.text()}};
  }
  if (options.json) {
    return write_out(
        summary_json(pull_options->reference_name, *pulled, std::move(layout), std::move(output))
            .dump(2, ' ', false, Json::error_handler_t::replace) +
        "\n");
  }
  return write_out(pulled->manifest_digest.text() + "\n");
}

Result<void> print_sif_path(const PullCommandOptions& options) {
  convert::ReferenceSifOptions o;
  o.cache_dir = options.cache_dir;
  o.platform = options.platform;
  o.registry = options.registry;
  if (options.lease_parent) {
    o.lease_holder = cache::process_holder(::getppid());
  }
  if (!options.quiet) {
    o.note = [](std::string_view text) { fmt::print(stderr, "sif-pull: {}\n", text); };
  }
  auto path = convert::reference_sif(options.reference, o);
  if (!path) {
    return std::unexpected(path.error());
  }
  fmt::print("{}\n", *path);
  return {};
}

} // namespace sifkit::tools
