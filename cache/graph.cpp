#include <cache/graph.h>

#include <algorithm>

namespace sifkit::cache {

std::string Root::label() const {
  if (kind == RootKind::reference) {
    return ref->key.platform.empty() ? ref->key.name
                                     : ref->key.name + " [" + ref->key.platform + "]";
  }
  return "convert " + conversion->source.short_text() + " (" + conversion->options_key + ")";
}

const Digest& Root::protected_blob() const {
  return kind == RootKind::reference ? ref->manifest : conversion->result;
}

BlobGraph::BlobGraph(const IndexSnapshot& snapshot) {
  m_blobs.reserve(snapshot.blobs.size());
  m_nodes.reserve(snapshot.blobs.size());
  for (const BlobRecord& blob : snapshot.blobs) {
    m_nodes.emplace(blob.digest.text(), m_blobs.size());
    m_blobs.push_back(&blob);
  }
  m_children.resize(m_blobs.size());
  m_parents.resize(m_blobs.size());
  for (const Edge& edge : snapshot.edges) {
    auto parent = node(edge.parent);
    auto child = node(edge.child);
    if (parent && child) { // a child not stored yet keeps nothing
      m_children[*parent].push_back(*child);
      m_parents[*child].push_back(*parent);
    }
  }
  auto last_use = [&](const Digest& digest) {
    auto at = node(digest);
    return at ? m_blobs[*at]->last_used_at : std::int64_t{0};
  };
  for (const RefRecord& ref : snapshot.refs) {
    m_roots.push_back(Root{RootKind::reference, ref, std::nullopt,
                           std::max(last_use(ref.manifest), ref.fetched_at)});
  }
  for (const ConversionRecord& conversion : snapshot.conversions) {
    m_roots.push_back(Root{RootKind::conversion, std::nullopt, conversion,
                           std::max(last_use(conversion.result), conversion.created_at)});
  }
}

std::optional<std::size_t> BlobGraph::node(const Digest& digest) const {
  auto found = m_nodes.find(digest.text());
  return found == m_nodes.end() ? std::nullopt : std::optional<std::size_t>(found->second);
}

std::vector<std::size_t> BlobGraph::closure(const Root& root) const {
  std::vector<std::size_t> starts;
  for (const Digest* digest :
       root.kind == RootKind::reference
           ? std::vector<const Digest*>{&root.ref->manifest}
           : std::vector<const Digest*>{&root.conversion->source, &root.conversion->result}) {
    if (auto at = node(*digest)) {
      starts.push_back(*at);
    }
  }
  return closure(starts);
}

std::vector<std::size_t> BlobGraph::closure(const std::vector<std::size_t>& starts) const {
  std::vector<bool> seen(m_blobs.size(), false);
  std::vector<std::size_t> order;
  std::vector<std::size_t> stack;
  for (std::size_t start : starts) {
    if (!seen[start]) {
      seen[start] = true;
      stack.push_back(start);
    }
  }
  while (!stack.empty()) {
    std::size_t at = stack.back();
    stack.pop_back();
    order.push_back(at);
    for (std::size_t child : m_children[at]) {
      if (!seen[child]) {
        seen[child] = true;
        stack.push_back(child);
      }
    }
  }
  return order;
}

} // namespace sifkit::cache
