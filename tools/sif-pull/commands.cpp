#include "commands.h"

#include <cache/cache.h>
#include <cache/holder.h>
#include <convert/cached_convert.h>
#include <convert/copy_out.h>
#include <convert/pull_convert.h>
#include <convert/reference_sif.h>
#include <registry/oci_layout_writer.h>
#include <registry/pull.h>
#include <registry/reference.h>
#include <registry/sif_fetch.h>

#include <cerrno>
#include <cstdio>

#include "progress.h"
#include "sif_command.h"
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

// The one set of reference options sif-pull passes to convert/reference_sif.h: a plain
// pull fetches (a network error stands), --sif-path may use an image pulled before.
convert::ReferenceOptions source_options(const PullCommandOptions& o) {
  ReferenceNotes notes = o.quiet      ? ReferenceNotes::none
                         : o.sif_path ? ReferenceNotes::steps
                                      : ReferenceNotes::warnings;
  return reference_options(o.source_flags, "sif-pull", notes,
                           o.sif_path ? convert::WhenOffline::use_cached
                                      : convert::WhenOffline::fail);
}

// The JSON `output` field for the OCI-SIF `converted` copied to `path`, telling so unless
// `quiet`.
Result<Json> copy_sif_out(const convert::CachedConversion& converted, const std::string& path,
                          bool quiet) {
  SIFKIT_TRY_ASSIGN(auto copied, convert::copy_file_atomic(converted.path, path));
  if (!quiet) {
    std::fprintf(stderr, "sif-pull: wrote %s (%s, %s)\n", path.c_str(),
                 human_bytes(copied.bytes).c_str(),
                 converted.reused ? "already converted in the cache" : "converted");
  }
  return Json{{"path", path},
              {"sif", converted.sif.text()},
              {"size", copied.bytes},
              {"reused", converted.reused}};
}

// Pulls the image and converts it at once (through the cache, reusing an earlier
// conversion with the same options), then copies the OCI-SIF to `path`.
struct PulledSif {
  registry::PullResult pulled;
  Json output;
};
Result<PulledSif> pull_sif(convert::OpenedReference& opened,
                           const convert::ReferenceOptions& source,
                           const convert::ConvertOptions& options, ProgressStyle style,
                           const std::string& path, bool quiet) {
  ConvertDisplay display = convert_display(quiet);
  auto on_pulled = [style](const registry::PullResult& pulled) {
    finish_progress(style);
    print_summary(style, pulled);
  };
  auto done = convert::pull_and_convert(opened, source, options, on_pulled,
                                        make_squash_progress(display, "sif-pull"));
  finish_squash_progress(display);
  if (!done) {
    return std::unexpected(done.error());
  }
  SIFKIT_TRY_ASSIGN(auto output, copy_sif_out(done->converted, path, quiet));
  return PulledSif{std::move(done->pulled), std::move(output)};
}

} // namespace

Result<void> run_pull(const PullCommandOptions& options) {
  SIFKIT_TRY_ASSIGN(auto conversion, convert_options(options.convert));
  auto source = source_options(options);
  SIFKIT_TRY_ASSIGN(auto opened, convert::open_reference(options.reference, source));
  cache::Cache& cache = opened.cache;
  if (registry::is_sif_reference(opened.reference)) {
    return run_pull_sif(options, opened.reference, cache);
  }
  ProgressStyle style = progress_style(options.quiet);
  source.pull_progress = make_progress(style);
  registry::PullResult pulled;
  Json output = nullptr;
  if (options.output) {
    SIFKIT_TRY_ASSIGN(auto done,
                      pull_sif(opened, source, conversion, style, *options.output, options.quiet));
    pulled = std::move(done.pulled);
    output = std::move(done.output);
  } else {
    auto pull = convert::pull_reference(opened, source);
    finish_progress(style);
    if (!pull) {
      return std::unexpected(pull.error());
    }
    // WhenOffline::fail: a result is always a pull that ran.
    pulled = std::move(*pull->pulled);
    print_summary(style, pulled);
  }
  Json layout = nullptr;
  if (options.oci_layout) {
    std::string tag = registry::default_tag(opened.reference);
    SIFKIT_TRY_ASSIGN(auto written,
                      registry::write_oci_layout(cache, pulled, *options.oci_layout, tag));
    layout = Json{{"path", *options.oci_layout}, {"tag", tag}, {"manifest", written.digest.text()}};
  }
  if (options.json) {
    return write_out(
        summary_json(opened.pull.reference_name, pulled, std::move(layout), std::move(output))
            .dump(2, ' ', false, Json::error_handler_t::replace) +
        "\n");
  }
  return write_out(pulled.manifest_digest.text() + "\n");
}

Result<void> print_sif_path(const PullCommandOptions& options) {
  SIFKIT_TRY_ASSIGN(auto conversion, convert_options(options.convert));
  convert::ReferenceSifOptions sif_options;
  sif_options.source = source_options(options);
  sif_options.convert = conversion;
  if (options.lease_parent) {
    sif_options.lease_holder = cache::process_holder(::getppid());
  }
  SIFKIT_TRY_ASSIGN(auto sif, convert::reference_sif(options.reference, sif_options));
  return write_out(sif.path + "\n");
}

} // namespace sifkit::tools
