#include <cache/report.h>

#include <nlohmann/json.hpp>

namespace sifkit::cache {

namespace {

using Json = nlohmann::ordered_json;

Json counts(const KindUsage& k) {
  return Json{{"blobs", k.blobs},
              {"bytes", k.bytes},
              {"shared_bytes", k.shared_bytes},
              {"unique_bytes", k.unique_bytes},
              {"unreferenced_bytes", k.unreferenced_bytes}};
}

} // namespace

Json list_json(const UsageReport& usage) {
  Json refs = Json::array();
  Json conversions = Json::array();
  for (const RootUsage& root : usage.roots) {
    if (root.root.kind == RootKind::reference) {
      const RefRecord& ref = *root.root.ref;
      refs.push_back(Json{{"name", ref.key.name},
                          {"platform", ref.key.platform},
                          {"manifest", ref.manifest.text()},
                          {"blobs", root.blobs},
                          {"bytes", root.bytes},
                          {"unique_bytes", root.unique_bytes},
                          {"fetched_at", ref.fetched_at},
                          {"last_used_at", root.root.last_used_at}});
    } else {
      const ConversionRecord& c = *root.root.conversion;
      conversions.push_back(Json{{"source", c.source.text()},
                                 {"options", c.options_key},
                                 {"result", c.result.text()},
                                 {"blobs", root.blobs},
                                 {"bytes", root.bytes},
                                 {"unique_bytes", root.unique_bytes},
                                 {"created_at", c.created_at},
                                 {"last_used_at", root.root.last_used_at}});
    }
  }
  return Json{{"references", refs}, {"conversions", conversions}};
}

Json usage_json(const UsageReport& usage) {
  Json kinds = Json::array();
  for (const KindUsage& k : usage.kinds) {
    Json entry{{"kind", to_string(k.kind)}};
    entry.update(counts(k));
    kinds.push_back(entry);
  }
  Json roots = Json::array();
  for (const RootUsage& root : usage.roots) {
    roots.push_back(
        Json{{"kind", root.root.kind == RootKind::reference ? "reference" : "conversion"},
             {"label", root.root.label()},
             {"digest", root.root.protected_blob().text()},
             {"blobs", root.blobs},
             {"bytes", root.bytes},
             {"unique_bytes", root.unique_bytes},
             {"last_used_at", root.root.last_used_at}});
  }
  return Json{{"kinds", kinds}, {"total", counts(usage.total)}, {"roots", roots}};
}

Json gc_json(const GcReport& report) {
  Json dropped = Json::array();
  for (const Root& root : report.plan.dropped_roots) {
    dropped.push_back(root.label());
  }
  return Json{
      {"dry_run", report.dry_run == DryRun::yes},     {"removed_blobs", report.removed_blobs},
      {"removed_bytes", report.removed_bytes},        {"dropped_roots", dropped},
      {"kept_blobs", report.plan.kept_blobs},         {"kept_bytes", report.plan.kept_bytes},
      {"skipped_in_use", report.skipped_in_use},      {"orphan_files", report.orphan_files},
      {"orphan_bytes", report.orphan_bytes},          {"released_leases", report.released_leases},
      {"swept_temp_files", report.sweep.temp_files},  {"swept_temp_bytes", report.sweep.temp_bytes},
      {"planned_blobs", report.plan.removals.size()}, {"planned_bytes", report.plan.removal_bytes}};
}

Json verify_json(const VerifyReport& report) {
  Json findings = Json::array();
  for (const VerifyFinding& f : report.findings) {
    findings.push_back(Json{{"problem", to_string(f.problem)},
                            {"subject", f.subject},
                            {"detail", f.detail},
                            {"repaired", f.repaired},
                            {"dropped", f.dropped}});
  }
  return Json{{"clean", report.clean()},
              {"checked_blobs", report.checked_blobs},
              {"hashed_bytes", report.hashed_bytes},
              {"adopted_files", report.adopted_files},
              {"swept_temp_files", report.sweep.temp_files},
              {"findings", findings}};
}

} // namespace sifkit::cache
