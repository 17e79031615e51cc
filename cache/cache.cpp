#include <cache/cache_state.h>
#include <cache/holder.h>
#include <cache/location.h>
#include <cache/sweep.h>

#include <chrono>

#include <unistd.h>

namespace sifkit::cache {

std::int64_t CacheState::now() const {
  if (options.clock) {
    return options.clock();
  }
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<Cache> Cache::open(const std::string& root, CacheOptions options) {
  auto context = "opening cache " + root;
  Layout layout(root);
  auto ready = ensure_cache_directory(root);
  if (ready) {
    ready = layout.create_directories();
  }
  if (!ready) {
    return std::unexpected(std::move(ready.error()).with_context(context));
  }
  SIFKIT_TRY_ASSIGN(auto index,
                    with_context(Index::open(layout.index_path(), options.busy_timeout), context));
  if (options.sweep_on_open == SweepOnOpen::yes) {
    SIFKIT_TRY(with_context(sweep(layout), context));
  }
  return Cache(std::make_unique<CacheState>(
      CacheState{std::move(layout), std::move(index), std::move(options), new_cache_holder()}));
}

Cache::Cache(std::unique_ptr<CacheState> state) : m_state(std::move(state)) {}
Cache::Cache(Cache&&) noexcept = default;
Cache& Cache::operator=(Cache&&) noexcept = default;

Cache::~Cache() {
  if (m_state) {
    (void)release_leases();
  }
}

const Layout& Cache::layout() const {
  return m_state->layout;
}
Index& Cache::index() {
  return m_state->index;
}
std::int64_t Cache::now() const {
  return m_state->now();
}
const std::string& Cache::holder() const {
  return m_state->holder;
}
const CacheOptions& Cache::options() const {
  return m_state->options;
}

namespace {

Result<void> require_blob(Index& index, const Digest& digest, const char* role) {
  SIFKIT_TRY_ASSIGN(auto row, index.find_blob(digest));
  if (!row) {
    return fail(ErrorKind::not_found,
                std::string(role) + " " + digest.text() + " is not in the cache");
  }
  return {};
}

} // namespace

Result<void> Cache::add_children(const Digest& parent, std::span<const Digest> children) {
  CacheState& s = *m_state;
  SIFKIT_TRY_ASSIGN(auto tx, s.index.begin());
  auto done = require_blob(s.index, parent, "parent");
  if (done) {
    done = s.index.add_edges(parent, children);
  }
  if (done) {
    done = s.index.lease_closure(parent, s.holder, s.lease_end());
  }
  return with_context(done ? tx.commit() : done, "recording what " + parent.text() + " needs");
}

Result<RefRecord> Cache::set_ref(const RefKey& key, const Digest& manifest) {
  CacheState& s = *m_state;
  RefRecord ref{key, manifest, s.now()};
  SIFKIT_TRY_ASSIGN(auto tx, s.index.begin());
  auto done = require_blob(s.index, manifest, "manifest");
  if (done) {
    done = s.index.put_ref(ref);
  }
  if (done) {
    done = s.index.lease_closure(manifest, s.holder, s.lease_end());
  }
  if (done) {
    done = s.index.touch_blob(manifest, ref.fetched_at, "");
  }
  if (done) {
    done = tx.commit();
  }
  if (!done) {
    return std::unexpected(std::move(done.error()).with_context("setting reference " + key.name));
  }
  return ref;
}

Result<std::optional<RefRecord>> Cache::find_ref(const RefKey& key) {
  CacheState& s = *m_state;
  SIFKIT_TRY_ASSIGN(auto tx, s.index.begin());
  auto ref = s.index.find_ref(key);
  if (!ref || !*ref) {
    return ref;
  }
  auto done = s.index.lease_closure((*ref)->manifest, s.holder, s.lease_end());
  if (done) {
    done = s.index.touch_blob((*ref)->manifest, s.now(), "");
  }
  if (done) {
    done = tx.commit();
  }
  if (!done) {
    return std::unexpected(done.error());
  }
  return ref;
}

Result<std::int64_t> Cache::remove_refs(const std::string& name,
                                        const std::optional<std::string>& platform) {
  SIFKIT_TRY_ASSIGN(auto tx, m_state->index.begin(Durability::full));
  auto removed = m_state->index.delete_refs(name, platform);
  if (!removed) {
    return removed;
  }
  SIFKIT_TRY(tx.commit());
  return removed;
}

Result<ConversionRecord> Cache::record_conversion(const Digest& source,
                                                  const std::string& options_key,
                                                  const Digest& result) {
  CacheState& s = *m_state;
  ConversionRecord conversion{source, options_key, result, s.now()};
  SIFKIT_TRY_ASSIGN(auto tx, s.index.begin());
  auto done = require_blob(s.index, source, "conversion source");
  if (done) {
    done = require_blob(s.index, result, "conversion result");
  }
  if (done) {
    done = s.index.put_conversion(conversion);
  }
  if (done) {
    done = s.index.lease_closure(source, s.holder, s.lease_end());
  }
  if (done) {
    done = s.index.lease(result, s.holder, s.lease_end());
  }
  if (done) {
    done = tx.commit();
  }
  if (!done) {
    return std::unexpected(
        std::move(done.error()).with_context("recording the conversion of " + source.text()));
  }
  return conversion;
}

Result<std::optional<ConversionRecord>> Cache::find_conversion(const Digest& source,
                                                               const std::string& options_key) {
  CacheState& s = *m_state;
  SIFKIT_TRY_ASSIGN(auto tx, s.index.begin());
  auto found = s.index.find_conversion(source, options_key);
  if (!found || !*found) {
    return found;
  }
  if (::access(s.layout.blob_path((*found)->result).c_str(), F_OK) != 0) {
    return std::optional<ConversionRecord>(); // damaged from outside: convert again
  }
  auto done = s.index.lease_closure(source, s.holder, s.lease_end());
  if (done) {
    done = s.index.lease((*found)->result, s.holder, s.lease_end());
  }
  if (done) {
    done = s.index.touch_blob((*found)->result, s.now(), "");
  }
  if (done) {
    done = tx.commit();
  }
  if (!done) {
    return std::unexpected(done.error());
  }
  return found;
}

Result<void> Cache::lease_to(const Digest& digest, const std::string& holder) {
  CacheState& s = *m_state;
  SIFKIT_TRY_ASSIGN(auto tx, s.index.begin());
  auto done = s.index.lease(digest, holder, s.lease_end());
  if (done) {
    done = tx.commit();
  }
  if (!done) {
    return std::unexpected(std::move(done.error()).with_context("leasing " + digest.text()));
  }
  return {};
}

Result<std::int64_t> Cache::release_leases() {
  SIFKIT_TRY_ASSIGN(auto tx, m_state->index.begin());
  auto released = m_state->index.release_leases(m_state->holder);
  if (!released) {
    return released;
  }
  SIFKIT_TRY(tx.commit());
  return released;
}

} // namespace sifkit::cache
