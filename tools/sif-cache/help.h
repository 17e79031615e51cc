#pragma once

// The long help of sif-cache: where the cache is, what each command keeps, the JSON
// fields and the exit codes.

namespace sifkit::tools {

inline constexpr const char* k_cache_description =
    "Inspect and maintain the shared sifkit cache: blobs stored once by sha256, an index of\n"
    "image references and finished conversions. Safe to run while other sifkit tools use\n"
    "the cache: nothing a running process writes or uses is removed.";

inline constexpr const char* k_cache_footer = R"(Where the cache is:
  --cache DIR, else $SIFKIT_CACHEDIR, else $XDG_CACHE_HOME/sifkit, else ~/.cache/sifkit
  (created with mode 0700; a directory owned by another user is refused).

What gc keeps:
  every blob a reference or a conversion needs (manifests, configs, layers, OCI-SIFs),
  and every blob a running process holds a lease on. Everything else goes.
  --older-than D   first drop references/conversions not used for D (90s, 15m, 12h, 30d)
  --keep-bytes N   then drop references/conversions, least recently used first, until
                   what stays fits in N bytes (500M, 10G)
  Examples:  sif-cache gc --dry-run
             sif-cache gc --keep-bytes 20G --older-than 30d

JSON (--json; field names are stable; sizes in bytes, times in Unix seconds):
  list    {references: [{name, platform, manifest, blobs, bytes, unique_bytes,
           fetched_at, last_used_at}], conversions: [{source, options, result, blobs,
           bytes, unique_bytes, created_at, last_used_at}]}
  du      {kinds: [{kind, blobs, bytes, shared_bytes, unique_bytes, unreferenced_bytes}],
           total: {...}, roots: [{kind, label, digest, blobs, bytes, unique_bytes,
           last_used_at}]}
  gc, clean  {dry_run, removed_blobs, removed_bytes, dropped_roots: [label], kept_blobs,
           kept_bytes, skipped_in_use, orphan_files, orphan_bytes, released_leases,
           swept_temp_files, swept_temp_bytes, planned_blobs, planned_bytes}
  verify  {clean, checked_blobs, hashed_bytes, adopted_files, swept_temp_files,
           findings: [{problem, subject, detail, repaired, dropped: [label]}]}
           problem: missing_file, size_mismatch, digest_mismatch, corrupt_orphan,
           stray_file, index_damaged
  rm      {removed}

Exit codes:
  0  success
  2  bad usage (unknown subcommand or option, bad size, duration or digest)
  3  rm: no such reference; a blob or manifest that is not in the cache
  4  verify found problems it did not repair
  5  I/O error
  6  the index was written by a newer sifkit
  7  the cache directory belongs to another user, or a lock wait timed out
)";

} // namespace sifkit::tools
