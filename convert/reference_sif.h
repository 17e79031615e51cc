#pragma once

// The one way from an image reference to the cache's OCI-SIF, shared by sif-squash,
// sif-pull (and so sif-run): the reference parsed, the cache opened, the image pulled into
// it (a docker-daemon: export written in the cache's own tmp/), or, when the source cannot
// be reached, an image pulled before found there; then converted once (later calls find
// the recorded conversion at once). SIF references (http(s)://, oras://) are fetched and
// used as they are.
#include <cache/cache.h>
#include <common/error.h>
#include <convert/oci_convert.h>
#include <registry/pull.h>
#include <registry/reference.h>
#include <registry/registry_options.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sifkit::convert {

// What a network error while pulling leads to.
enum class WhenOffline {
  use_cached, // an image an earlier pull recorded for the reference and platform
  fail,       // the error itself (a pull that was asked to fetch)
};

// What a reference that names a SIF file (http(s)://, oras://) leads to.
enum class SifFiles {
  fetch,  // fetched into the cache and used as it is
  refuse, // `usage`: it is not an image to convert
};

// Which note a ReferenceOptions::note call carries.
enum class Note {
  step,    // a long step begins or ends ("pulling X", "converted X to OCI-SIF D")
  offline, // the source could not be reached and the cached image is used instead
};

struct ReferenceOptions {
  std::optional<std::string> cache_dir; // --cache; else cache/location.h's default
  std::optional<std::string> platform;  // os/arch[/variant]; else the host's
  // --creds, --ca-cert, --insecure. `work_cache` is not read: a docker-daemon: export
  // always goes into the opened cache.
  registry::RegistryOptions registry;
  WhenOffline offline = WhenOffline::use_cached;
  cache::LockWaitCallback on_wait;                  // another process writes a needed blob
  std::function<void(Note, std::string_view)> note; // may be empty
  registry::PullProgress pull_progress;             // may be empty
};

// A parsed reference and the cache it is pulled into.
struct OpenedReference {
  registry::ImageReference reference;
  registry::PullOptions pull; // its canonical name and platform
  cache::Cache cache;
};

// The image manifest a reference resolved to in the cache.
struct PulledReference {
  Digest manifest;
  std::optional<registry::PullResult> pulled; // nullopt: the cached image, used offline
};

// Parses `text`, checks `options.platform` and opens the cache (in that order); `usage`
// for text that is not a reference or a bad platform, else the cache's errors.
Result<OpenedReference> open_reference(const std::string& text, const ReferenceOptions& options);

// Pulls `opened.reference` into `opened.cache` (the docker-daemon: export in the cache's
// tmp/), or, on a network error with WhenOffline::use_cached, finds the image an earlier
// pull recorded (told through `options.note`). `usage` for a SIF reference, else the
// source's and the pull's errors.
Result<PulledReference> pull_reference(OpenedReference& opened, const ReferenceOptions& options);

struct ReferenceSifOptions {
  ReferenceOptions source;
  ConvertOptions convert;
  SquashProgressCallback progress; // the conversion's, may be empty
  SifFiles sif_files = SifFiles::fetch;
  // Also lease the OCI-SIF to this holder (cache/holder.h: the process that will open
  // it), so gc and clean keep it after this process's own leases are gone.
  std::optional<std::string> lease_holder;
};

struct ReferenceSif {
  std::string path;                           // the OCI-SIF in the cache (read-only)
  Digest sif;                                 // its digest
  std::optional<Digest> manifest;             // the converted image (none for a SIF file)
  std::optional<registry::PullResult> pulled; // the pull, when one ran (see PulledReference)
  bool reused = false; // found in the cache: nothing converted (or, for a SIF file, fetched)
  std::optional<ConvertResult> result;       // the conversion's details when one ran
  std::chrono::milliseconds convert_time{0}; // converting, or finding the conversion
};

// The cache's OCI-SIF for `text` (see the top of this file), leased to
// `options.lease_holder` when given. `usage` for text that is not a reference, a bad
// platform or a refused SIF file, else the pull's, the fetch's and the conversion's errors.
Result<ReferenceSif> reference_sif(const std::string& text, const ReferenceSifOptions& options);

} // namespace sifkit::convert
