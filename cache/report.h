#pragma once

// How sif-cache shows its results: aligned human tables, and JSON with stable field
// names for scripts. Byte counts are exact integers in JSON and binary units in text;
// times are Unix seconds in JSON and UTC ISO 8601 in text.

#include <cache/gc.h>
#include <cache/usage.h>
#include <cache/verify.h>

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::cache {

// "0 B", "512 B", "1.5 KiB", "12.0 MiB", ...
std::string format_bytes(std::int64_t bytes);
// "2026-11-28T12:44:21Z"
std::string format_time(std::int64_t unix_seconds);

// `list`: references (name, platform, manifest, size, fetched) and conversions.
std::string format_list(const UsageReport& usage);
// {references: [{name, platform, manifest, blobs, bytes, unique_bytes, fetched_at,
//  last_used_at}], conversions: [{source, options, result, blobs, bytes, unique_bytes,
//  created_at, last_used_at}]}
nlohmann::ordered_json list_json(const UsageReport& usage);

// `du`: bytes by kind (shared, unique, unreferenced), then per reference/conversion.
std::string format_usage(const UsageReport& usage);
// {kinds: [{kind, blobs, bytes, shared_bytes, unique_bytes, unreferenced_bytes}],
//  total: {...same without kind}, roots: [{kind ("reference"|"conversion"), label,
//  digest, blobs, bytes, unique_bytes, last_used_at}]}
nlohmann::ordered_json usage_json(const UsageReport& usage);

// `gc`: what was (or would be) removed and kept.
std::string format_gc(const GcReport& report);
// {dry_run, removed_blobs, removed_bytes, dropped_roots: [label], kept_blobs, kept_bytes,
//  skipped_in_use, orphan_files, orphan_bytes, released_leases, swept_temp_files,
//  swept_temp_bytes, planned_blobs, planned_bytes}
nlohmann::ordered_json gc_json(const GcReport& report);

// `verify`: counts, then one line per finding.
std::string format_verify(const VerifyReport& report);
// {clean, checked_blobs, hashed_bytes, adopted_files, swept_temp_files,
//  findings: [{problem, subject, detail, repaired, dropped: [label]}]}
nlohmann::ordered_json verify_json(const VerifyReport& report);

} // namespace sifkit::cache
