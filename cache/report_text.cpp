#include <cache/report.h>
#include <cache/table.h>

#include <array>
#include <ctime>

#include <fmt/format.h>

namespace sifkit::cache {

std::string format_bytes(std::int64_t bytes) {
  static constexpr std::array k_units{"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) {
    return fmt::format("{} B", bytes);
  }
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  for (value /= 1024; value >= 1024 && unit + 1 < k_units.size(); value /= 1024) {
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, k_units[unit]);
}

std::string format_time(std::int64_t unix_seconds) {
  std::time_t t = unix_seconds;
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char text[32] = {};
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string format_list(const UsageReport& usage) {
  TextTable refs({"REFERENCE", "PLATFORM", "MANIFEST", "SIZE", "FETCHED"});
  TextTable conversions({"CONVERSION OF", "OPTIONS", "RESULT", "SIZE", "CREATED"});
  for (const RootUsage& root : usage.roots) {
    if (root.root.kind == RootKind::reference) {
      const RefRecord& ref = *root.root.ref;
      refs.add({ref.key.name, ref.key.platform.empty() ? "-" : ref.key.platform,
                ref.manifest.short_text(), format_bytes(root.bytes), format_time(ref.fetched_at)});
    } else {
      const ConversionRecord& c = *root.root.conversion;
      conversions.add({c.source.short_text(), c.options_key.empty() ? "-" : c.options_key,
                       c.result.short_text(), format_bytes(root.bytes), format_time(c.created_at)});
    }
  }
  if (refs.empty() && conversions.empty()) {
    return "The cache holds no references or conversions.\n";
  }
  std::string out = refs.empty() ? "" : refs.render();
  if (!conversions.empty()) {
    out += (out.empty() ? "" : "\n") + conversions.render();
  }
  return out;
}

std::string format_usage(const UsageReport& usage) {
  TextTable kinds({"KIND", "BLOBS", "SIZE", "SHARED", "UNIQUE", "UNREFERENCED"});
  auto row = [](std::string name, const KindUsage& k) {
    return std::vector<std::string>{std::move(name),
                                    std::to_string(k.blobs),
                                    format_bytes(k.bytes),
                                    format_bytes(k.shared_bytes),
                                    format_bytes(k.unique_bytes),
                                    format_bytes(k.unreferenced_bytes)};
  };
  for (const KindUsage& k : usage.kinds) {
    kinds.add(row(std::string(to_string(k.kind)), k));
  }
  kinds.add(row("total", usage.total));
  std::string out = kinds.render();
  if (!usage.roots.empty()) {
    TextTable roots({"REFERENCE OR CONVERSION", "BLOBS", "SIZE", "UNIQUE"});
    for (const RootUsage& root : usage.roots) {
      roots.add({root.root.label(), std::to_string(root.blobs), format_bytes(root.bytes),
                 format_bytes(root.unique_bytes)});
    }
    out += "\n" + roots.render();
  }
  return out;
}

std::string format_gc(const GcReport& report) {
  std::string out;
  const GcPlan& plan = report.plan;
  if (report.dry_run == DryRun::yes) {
    out += fmt::format("Dry run: would remove {} blob(s) ({}) and drop {} reference(s) or "
                       "conversion(s); {} blob(s) ({}) would stay.\n",
                       plan.removals.size(), format_bytes(plan.removal_bytes),
                       plan.dropped_roots.size(), plan.kept_blobs, format_bytes(plan.kept_bytes));
  } else {
    out += fmt::format("Removed {} blob(s) ({}); dropped {} reference(s) or conversion(s); "
                       "{} blob(s) ({}) stay.\n",
                       report.removed_blobs, format_bytes(report.removed_bytes),
                       report.dropped_roots, plan.kept_blobs, format_bytes(plan.kept_bytes));
  }
  for (const Root& root : plan.dropped_roots) {
    out += "  " + std::string(report.dry_run == DryRun::yes ? "would drop " : "dropped ") +
           root.label() + "\n";
  }
  if (report.skipped_in_use > 0) {
    out +=
        fmt::format("Skipped {} blob(s) that another process is using.\n", report.skipped_in_use);
  }
  if (report.orphan_files > 0) {
    out += fmt::format("{} {} unindexed file(s) ({}).\n",
                       report.dry_run == DryRun::yes ? "Would remove" : "Removed",
                       report.orphan_files, format_bytes(report.orphan_bytes));
  }
  if (report.sweep.temp_files > 0) {
    out += fmt::format("Swept {} stale temp file(s) ({}).\n", report.sweep.temp_files,
                       format_bytes(report.sweep.temp_bytes));
  }
  return out;
}

std::string format_verify(const VerifyReport& report) {
  std::string out = fmt::format("Checked {} blob(s)", report.checked_blobs);
  if (report.hashed_bytes > 0) {
    out += fmt::format(", hashed {}", format_bytes(report.hashed_bytes));
  }
  out += report.findings.empty() ? ": no problems.\n"
                                 : fmt::format(": {} problem(s).\n", report.findings.size());
  for (const VerifyFinding& f : report.findings) {
    out += fmt::format("  {}  {}: {}{}\n", to_string(f.problem), f.subject, f.detail,
                       f.repaired ? " [repaired]" : "");
    for (const std::string& dropped : f.dropped) {
      out += "    dropped " + dropped + "\n";
    }
  }
  if (report.adopted_files > 0) {
    out += fmt::format("Indexed {} complete blob file(s) left by interrupted writers.\n",
                       report.adopted_files);
  }
  if (report.sweep.temp_files > 0) {
    out += fmt::format("Swept {} stale temp file(s) ({}).\n", report.sweep.temp_files,
                       format_bytes(report.sweep.temp_bytes));
  }
  if (!report.clean()) {
    out += "Run 'sif-cache verify --repair' to drop the damaged entries from the index.\n";
  }
  return out;
}

} // namespace sifkit::cache
