#include "commands.h"

#include <convert/cached_convert.h>
#include <convert/copy_out.h>
#include <convert/dir_reader.h>
#include <convert/oci_convert.h>
#include <convert/reference_sif.h>
#include <convert/tar_reader.h>
#include <sif/oci_select.h>

#include <cerrno>
#include <cstdio>

#include "source.h"
#include "summary.h"
#include <nlohmann/json.hpp>
#include <support/squash_progress.h>
#include <sys/stat.h>

namespace sifkit::tools {

namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

Result<void> write_out(const std::string& text, std::FILE* stream) {
  if (std::fwrite(text.data(), 1, text.size(), stream) != text.size()) {
    return fail_errno("cannot write the summary", errno);
  }
  return {};
}

Result<std::int64_t> size_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail_errno("stat " + path, errno);
  }
  return static_cast<std::int64_t>(st.st_size);
}

// The one set of reference options sif-squash passes to convert/reference_sif.h.
convert::ReferenceOptions source_options(const SquashCommandOptions& o) {
  return reference_options(o.source_flags, "sif-squash",
                           o.quiet ? ReferenceNotes::none : ReferenceNotes::warnings,
                           convert::WhenOffline::use_cached);
}

// --format squashfs: the output is the one layer; its digest is what an OCI-SIF would
// record for it.
Result<void> add_raw_layer(const std::string& path, const convert::SquashStats& stats,
                           SquashSummary& summary) {
  SIFKIT_TRY_ASSIGN(auto digest, digest_of_file(path));
  summary.layers.push_back(convert::ConvertedLayer{digest, stats.image_size, stats});
  summary.have_stats = true;
  return {};
}

// --format squashfs of a reference: pulled into the cache, squashed straight to the output
// (a raw filesystem is not cached).
Result<void> squash_image_raw(const SquashCommandOptions& o, const convert::ConvertOptions& convert,
                              const convert::SquashProgressCallback& progress,
                              SquashSummary& summary) {
  auto options = source_options(o);
  SIFKIT_TRY_ASSIGN(auto opened, convert::open_reference(summary.source, options));
  SIFKIT_TRY_ASSIGN(auto pulled, convert::pull_reference(opened, options));
  summary.manifest = pulled.manifest;
  if (pulled.pulled) {
    summary.pull_time = pulled.pulled->total_time;
  }
  auto start = Clock::now();
  convert::CacheBlobSource blobs(opened.cache);
  SIFKIT_TRY_ASSIGN(auto stats, convert::squash_image(blobs, pulled.manifest, o.output,
                                                      convert.squash, progress));
  summary.convert_time = since(start);
  return add_raw_layer(o.output, stats, summary);
}

// A reference: the cache's OCI-SIF (pulled and converted there, or found), copied out.
Result<void> squash_image(const SquashCommandOptions& o, const convert::ConvertOptions& convert,
                          const convert::SquashProgressCallback& progress, SquashSummary& summary) {
  if (o.format == "squashfs") {
    return squash_image_raw(o, convert, progress, summary);
  }
  convert::ReferenceSifOptions options;
  options.source = source_options(o);
  options.convert = convert;
  options.progress = progress;
  options.sif_files = convert::SifFiles::refuse;
  SIFKIT_TRY_ASSIGN(auto converted, convert::reference_sif(summary.source, options));
  summary.manifest = converted.manifest;
  if (converted.pulled) {
    summary.pull_time = converted.pulled->total_time;
  }
  summary.convert_time = converted.convert_time;
  summary.sif = converted.sif;
  summary.reused = converted.reused;
  if (converted.result) {
    summary.layers = converted.result->layers;
    summary.have_stats = true;
  } else {
    SIFKIT_TRY_ASSIGN(auto layers, oci_sif_layers(converted.path));
    summary.layers = std::move(layers);
  }
  auto copy_start = Clock::now();
  SIFKIT_TRY(convert::copy_file_atomic(converted.path, o.output));
  summary.copy_time = since(copy_start);
  return {};
}

// A root filesystem (directory or tar): convert it straight to the output.
Result<void> squash_rootfs(const SquashCommandOptions& o, const SquashSource& source,
                           const convert::ConvertOptions& convert,
                           const convert::SquashProgressCallback& progress,
                           SquashSummary& summary) {
  convert::LayerInput input;
  input.name = source.text;
  input.whiteouts = convert::Whiteouts::literal; // a root filesystem's names are just names
  std::string path = source.text;
  if (source.kind == SourceKind::directory) {
    input.open = [path] { return convert::open_directory(path); };
  } else {
    input.open = [path] { return convert::open_tar_file(path); };
  }
  auto start = Clock::now();
  if (o.format == "squashfs") {
    SIFKIT_TRY_ASSIGN(auto stats,
                      convert::squash_rootfs(input, o.output, convert.squash, progress));
    SIFKIT_TRY(add_raw_layer(o.output, stats, summary));
  } else {
    oci::Platform platform = oci::host_platform();
    if (o.source_flags.platform) {
      SIFKIT_TRY_ASSIGN(auto parsed, oci::Platform::parse(*o.source_flags.platform));
      platform = parsed;
    }
    SIFKIT_TRY_ASSIGN(auto result,
                      convert::convert_rootfs(input, o.output, convert, platform, progress));
    summary.layers = result.layers;
  }
  summary.convert_time = since(start);
  summary.have_stats = true;
  return {};
}

} // namespace

Result<void> run_squash(const SquashCommandOptions& o) {
  auto start = Clock::now();
  if (o.format != "oci-sif" && o.format != "squashfs") {
    return fail(ErrorKind::usage, "--format: \"" + o.format + "\" is not oci-sif or squashfs");
  }
  SIFKIT_TRY_ASSIGN(auto convert, convert_options(o.convert));
  if (o.format == "squashfs" && convert.layers == convert::LayerMode::keep_layers) {
    return fail(ErrorKind::usage, "--format squashfs writes one filesystem: drop --keep-layers");
  }
  SIFKIT_TRY_ASSIGN(auto source, classify_source(o.source));
  SquashSummary summary;
  summary.source = source.text;
  summary.kind = source.kind == SourceKind::image       ? "image"
                 : source.kind == SourceKind::directory ? "directory"
                                                        : "tar";
  summary.format = o.format;
  summary.output = o.output;
  ConvertDisplay display = convert_display(o.quiet);
  auto progress = make_squash_progress(display, "sif-squash");
  auto done = source.kind == SourceKind::image
                  ? squash_image(o, convert, progress, summary)
                  : squash_rootfs(o, source, convert, progress, summary);
  finish_squash_progress(display);
  SIFKIT_TRY_ASSIGN(auto size, done ? size_of(o.output) : std::unexpected(done.error()));
  summary.size = size;
  summary.total_time = since(start);
  if (o.json) {
    auto text =
        summary_json(summary).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    return write_out(text + "\n", stdout);
  }
  return o.quiet ? Result<void>{} : write_out(summary_line(summary), stderr);
}

} // namespace sifkit::tools
