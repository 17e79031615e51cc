#pragma once

// The blobs of an index snapshot as a graph (manifest -> config, layers; index ->
// manifests), and the roots that keep blobs alive: references and conversions. GC, du
// and list all walk it in memory, which for 100,000 blobs takes milliseconds.

#include <cache/records.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sifkit::cache {

enum class RootKind { reference, conversion };

// Something that keeps blobs: a reference (keeps its manifest's closure) or a conversion
// (keeps its source's closure and its result).
struct Root {
  RootKind kind = RootKind::reference;
  std::optional<RefRecord> ref;               // for references
  std::optional<ConversionRecord> conversion; // for conversions
  std::int64_t last_used_at = 0; // of the manifest (references) or result (conversions)
  // Short human name: `name [platform]` or `convert <source> (<options>)`.
  std::string label() const;
  // The blob whose lease protects this root from eviction.
  const Digest& protected_blob() const;
};

class BlobGraph {
public:
  explicit BlobGraph(const IndexSnapshot& snapshot);

  std::size_t size() const { return m_blobs.size(); }
  const BlobRecord& blob(std::size_t node) const { return *m_blobs[node]; }
  // The node of `digest`; nullopt when the snapshot has no such blob.
  std::optional<std::size_t> node(const Digest& digest) const;
  const std::vector<Root>& roots() const { return m_roots; }

  // Nodes `root` keeps (itself included), each once.
  std::vector<std::size_t> closure(const Root& root) const;
  // Nodes reachable from `starts`, each once.
  std::vector<std::size_t> closure(const std::vector<std::size_t>& starts) const;
  // The stored children of `node` (what it needs).
  const std::vector<std::size_t>& children(std::size_t node) const { return m_children[node]; }
  // The stored parents of `node`.
  const std::vector<std::size_t>& parents(std::size_t node) const { return m_parents[node]; }

private:
  std::vector<const BlobRecord*> m_blobs;
  std::unordered_map<std::string, std::size_t> m_nodes; // by digest text
  std::vector<std::vector<std::size_t>> m_children;
  std::vector<std::vector<std::size_t>> m_parents;
  std::vector<Root> m_roots;
};

} // namespace sifkit::cache
