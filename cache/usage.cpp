#include <cache/usage.h>

#include <unordered_set>

namespace sifkit::cache {

std::string_view to_string(BlobKind kind) {
  switch (kind) {
  case BlobKind::index:
    return "index";
  case BlobKind::manifest:
    return "manifest";
  case BlobKind::config:
    return "config";
  case BlobKind::layer:
    return "layer";
  case BlobKind::oci_sif:
    return "oci-sif";
  case BlobKind::other:
    return "other";
  }
  return "other";
}

BlobKind classify_media_type(std::string_view type) {
  auto has = [&](std::string_view part) { return type.find(part) != std::string_view::npos; };
  if (has("image.index") || has("manifest.list")) {
    return BlobKind::index;
  }
  if (has("manifest")) {
    return BlobKind::manifest;
  }
  if (has("sylabs.sif")) {
    return BlobKind::oci_sif;
  }
  if (has("image.config") || has("container.image.v1+json")) {
    return BlobKind::config;
  }
  if (has("layer") || has("rootfs.diff")) {
    return BlobKind::layer;
  }
  return BlobKind::other;
}

namespace {

void add(KindUsage& usage, const BlobRecord& blob, std::int64_t roots) {
  ++usage.blobs;
  usage.bytes += blob.size;
  (roots == 0   ? usage.unreferenced_bytes
   : roots == 1 ? usage.unique_bytes
                : usage.shared_bytes) += blob.size;
}

} // namespace

UsageReport compute_usage(const IndexSnapshot& snapshot) {
  BlobGraph graph(snapshot);
  std::vector<std::int64_t> needed_by(graph.size(), 0);
  std::vector<std::vector<std::size_t>> closures;
  for (const Root& root : graph.roots()) {
    closures.push_back(graph.closure(root));
    for (std::size_t node : closures.back()) {
      ++needed_by[node];
    }
  }
  std::unordered_set<std::string> results;
  for (const ConversionRecord& conversion : snapshot.conversions) {
    results.insert(conversion.result.text());
  }

  UsageReport report;
  std::vector<KindUsage> kinds(static_cast<std::size_t>(BlobKind::other) + 1);
  for (std::size_t node = 0; node < graph.size(); ++node) {
    const BlobRecord& blob = graph.blob(node);
    BlobKind kind = results.count(blob.digest.text()) ? BlobKind::oci_sif
                                                      : classify_media_type(blob.media_type);
    kinds[static_cast<std::size_t>(kind)].kind = kind;
    add(kinds[static_cast<std::size_t>(kind)], blob, needed_by[node]);
    add(report.total, blob, needed_by[node]);
  }
  for (const KindUsage& usage : kinds) {
    if (usage.blobs > 0) {
      report.kinds.push_back(usage);
    }
  }
  for (std::size_t i = 0; i < graph.roots().size(); ++i) {
    RootUsage usage{graph.roots()[i], 0, 0, 0};
    for (std::size_t node : closures[i]) {
      ++usage.blobs;
      usage.bytes += graph.blob(node).size;
      usage.unique_bytes += needed_by[node] == 1 ? graph.blob(node).size : 0;
    }
    report.roots.push_back(std::move(usage));
  }
  return report;
}

} // namespace sifkit::cache
