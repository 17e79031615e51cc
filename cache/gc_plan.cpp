#include <cache/gc_plan.h>

#include <algorithm>
#include <string>
#include <unordered_set>

namespace sifkit::cache {

namespace {

// Orders `nodes` so that every blob comes before the blobs it needs (Kahn's algorithm
// over the edges among `nodes`); cycles, which content addressing cannot produce, are
// broken arbitrarily.
std::vector<std::size_t> parents_first(const BlobGraph& graph,
                                       const std::vector<std::size_t>& nodes) {
  std::vector<char> member(graph.size(), 0);
  std::vector<char> placed(graph.size(), 0);
  std::vector<std::size_t> waiting(graph.size(), 0); // parents in `nodes` not yet placed
  for (std::size_t node : nodes) {
    member[node] = 1;
  }
  std::vector<std::size_t> ready;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    for (std::size_t parent : graph.parents(*it)) {
      waiting[*it] += member[parent];
    }
    if (waiting[*it] == 0) {
      ready.push_back(*it);
    }
  }
  std::vector<std::size_t> order;
  std::size_t scan = 0;
  while (order.size() < nodes.size()) {
    if (ready.empty()) { // only on a cycle
      while (placed[nodes[scan]]) {
        ++scan;
      }
      ready.push_back(nodes[scan]);
    }
    std::size_t node = ready.back();
    ready.pop_back();
    if (placed[node]) {
      continue;
    }
    placed[node] = 1;
    order.push_back(node);
    for (std::size_t child : graph.children(node)) {
      if (member[child] && !placed[child] && --waiting[child] == 0) {
        ready.push_back(child);
      }
    }
  }
  return order;
}

} // namespace

GcPlan plan_gc(const IndexSnapshot& snapshot, const GcPolicy& policy, std::int64_t now) {
  BlobGraph graph(snapshot);
  std::unordered_set<std::string> leased;
  for (const LeaseRecord& lease : snapshot.leases) {
    if (lease.expires_at > now) {
      leased.insert(lease.digest.text());
    }
  }
  auto is_leased = [&](const Digest& digest) { return leased.count(digest.text()) > 0; };

  // Live leases keep their blobs (and what those need) whatever happens to the roots.
  std::vector<std::size_t> leased_nodes;
  for (std::size_t node = 0; node < graph.size(); ++node) {
    if (is_leased(graph.blob(node).digest)) {
      leased_nodes.push_back(node);
    }
  }

  // Roots from least to most recently used; ties broken by label for a stable plan.
  std::vector<const Root*> roots;
  for (const Root& root : graph.roots()) {
    roots.push_back(&root);
  }
  std::sort(roots.begin(), roots.end(), [](const Root* a, const Root* b) {
    return a->last_used_at != b->last_used_at ? a->last_used_at < b->last_used_at
                                              : a->label() < b->label();
  });

  GcPlan plan;
  std::vector<bool> dropped(roots.size(), false);
  for (std::size_t i = 0; i < roots.size(); ++i) {
    if (is_leased(roots[i]->protected_blob())) {
      continue;
    }
    bool old = policy.older_than && roots[i]->last_used_at < now - policy.older_than->count();
    dropped[i] = policy.drop_roots == DropRoots::all || old;
  }

  // How many kept roots (plus leases) need each blob; what they need in bytes.
  std::vector<std::int64_t> needed_by(graph.size(), 0);
  std::int64_t kept_bytes = 0;
  auto count = [&](const std::vector<std::size_t>& nodes, int delta) {
    for (std::size_t node : nodes) {
      std::int64_t before = needed_by[node];
      needed_by[node] += delta;
      if (before == 0 && needed_by[node] > 0) {
        kept_bytes += graph.blob(node).size;
      } else if (before > 0 && needed_by[node] == 0) {
        kept_bytes -= graph.blob(node).size;
      }
    }
  };
  count(graph.closure(leased_nodes), 1);
  std::vector<std::vector<std::size_t>> closures(roots.size());
  for (std::size_t i = 0; i < roots.size(); ++i) {
    closures[i] = graph.closure(*roots[i]);
    if (!dropped[i]) {
      count(closures[i], 1);
    }
  }
  if (policy.keep_bytes) {
    for (std::size_t i = 0; i < roots.size() && kept_bytes > *policy.keep_bytes; ++i) {
      if (!dropped[i] && !is_leased(roots[i]->protected_blob())) {
        dropped[i] = true;
        count(closures[i], -1);
      }
    }
  }
  for (std::size_t i = 0; i < roots.size(); ++i) {
    if (dropped[i]) {
      plan.dropped_roots.push_back(*roots[i]);
    }
  }

  std::vector<std::size_t> doomed;
  for (std::size_t node = 0; node < graph.size(); ++node) {
    if (needed_by[node] == 0) {
      doomed.push_back(node);
      plan.removal_bytes += graph.blob(node).size;
    } else {
      ++plan.kept_blobs;
    }
  }
  plan.kept_bytes = kept_bytes;
  for (std::size_t node : parents_first(graph, doomed)) {
    plan.removals.push_back(graph.blob(node));
  }
  return plan;
}

} // namespace sifkit::cache
