// Hardlinks resolved after the merge, as they resolved when the layers were applied
// oldest first, and the second pass for content an upper layer had hidden.
#include <convert/merge_state.h>

#include <fmt/format.h>

namespace sifkit::convert {

namespace {

constexpr int k_max_link_chain = 64;

std::unexpected<Error> changed_between_reads(const MergeState& m, int layer) {
  return fail(ErrorKind::corrupt_input,
              fmt::format("{}: changed between two reads", m.layers[layer].name));
}

// True when layer `k` hides `path` from the layers below it without naming it: a
// whiteout or opaque marker on an ancestor, or an ancestor that is not a directory.
bool blocks(const LayerIndex& li, std::string_view path) {
  if (li.whiteouts.contains(std::string(path)))
    return true;
  for (std::size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    std::string ancestor(path.substr(0, slash));
    if (li.whiteouts.contains(ancestor) || li.opaque.contains(ancestor))
      return true;
    const Record* record = li.records.find(ancestor);
    if (record != nullptr && record->type != EntryType::directory)
      return true;
  }
  return li.opaque.contains("");
}

Result<Inode*> resolve_record(MergeState& m, int layer, Record& record, std::string_view path,
                              int depth);

// The object `target` named when the link at position `before` of layer `layer` was
// made, applying the layers oldest first: this layer's own earlier entry if it has one,
// else the newest lower layer's not hidden on the way.
Result<Inode*> resolve_target(MergeState& m, int layer, std::uint32_t before,
                              std::string_view target, std::string_view link, int depth) {
  for (int k = layer; k >= 0; --k) {
    LayerIndex& li = m.index[k];
    if (Record* record = li.records.find(target);
        record != nullptr && (k < layer || record->index < before)) {
      return resolve_record(m, k, *record, target, depth);
    }
    if (blocks(li, target))
      break;
  }
  return fail(ErrorKind::corrupt_input,
              fmt::format("{}: entry \"{}\" is a hardlink to \"{}\", which no layer up to this "
                          "one provides",
                          m.layers[layer].name, link, target));
}

Result<Inode*> resolve_record(MergeState& m, int layer, Record& record, std::string_view path,
                              int depth) {
  if (record.type == EntryType::directory ||
      (record.inode != nullptr && record.inode->type == EntryType::directory)) {
    return fail(ErrorKind::corrupt_input, fmt::format("{}: a hardlink points at directory \"{}\"",
                                                      m.layers[layer].name, path));
  }
  if (record.inode != nullptr)
    return record.inode;
  if (record.resolving || depth > k_max_link_chain) {
    return fail(ErrorKind::corrupt_input,
                fmt::format("{}: entry \"{}\" is part of a hardlink loop or a chain longer than {}",
                            m.layers[layer].name, path, k_max_link_chain));
  }
  if (record.type == EntryType::hardlink) {
    record.resolving = true;
    auto inode = resolve_target(m, layer, record.index, record.link_target(), path, depth + 1);
    record.resolving = false;
    if (!inode)
      return inode;
    record.inode = *inode;
    return inode;
  }
  const Entry* hidden = m.index[layer].records.hidden(record);
  if (hidden == nullptr)
    return fail(ErrorKind::internal, fmt::format("a visible entry without an object: {}", path));
  // The target was hidden by an upper layer but a link that survives still needs it:
  // a fresh object, with the content read again from its layer.
  Inode& inode = m.tree.new_inode(*hidden);
  if (inode.type == EntryType::file)
    m.index[layer].fetch[record.index] = {&inode, hidden->size};
  record.inode = &inode;
  return &inode;
}

Result<void> fetch_hidden_content(MergeState& m, int layer) {
  auto& fetch = m.index[layer].fetch;
  if (fetch.empty())
    return {};
  m.layer = layer;
  SIFKIT_TRY_ASSIGN(auto reader, m.layers[layer].open());
  for (std::uint32_t position = 0; !fetch.empty(); ++position) {
    SIFKIT_TRY_ASSIGN(auto entry, reader->next());
    if (!entry)
      return changed_between_reads(m, layer);
    auto it = fetch.find(position);
    if (it == fetch.end())
      continue;
    SIFKIT_TRY(m.writer.add_file(*it->second.inode, *reader, it->second.size));
    fetch.erase(it);
  }
  return {};
}

} // namespace

Result<void> build_deferred_records(MergeState& m, std::uint32_t end) {
  LayerIndex& li = m.index[m.layer];
  const LayerInput& input = m.layers[m.layer];
  SIFKIT_TRY_ASSIGN(auto reader, with_context(input.open(), input.name));
  for (std::uint32_t position = 0; position < end; ++position) {
    auto entry = reader->next();
    if (!entry)
      return std::unexpected(std::move(entry.error()).with_context(input.name));
    if (!*entry)
      return changed_between_reads(m, m.layer);
    Entry& e = **entry;
    std::string target;
    if (entry_role(m.modes[m.layer], e, target) != EntryRole::entry)
      continue;
    // The first read placed no hardlink before `end`, and gave each object its entry's type.
    Inode* inode = li.placed[position];
    if (e.type == EntryType::hardlink || (inode != nullptr && inode->type != e.type))
      return changed_between_reads(m, m.layer);
    Record& record = li.records.assign(e.path, position, e.type, {});
    record.inode = inode;
    if (inode == nullptr) // hidden by an upper layer
      li.records.set_hidden(record, std::make_unique<Entry>(std::move(e)));
  }
  li.records_deferred = false;
  li.placed = {};
  return {};
}

Result<void> resolve_links(MergeState& m) {
  for (PendingLink& link : m.pending) {
    m.layer = link.layer;
    auto inode = resolve_record(m, link.layer, *link.record, link.path, 0);
    if (!inode) {
      return std::unexpected(std::move(inode.error())
                                 .with_context(fmt::format("{}: hardlink \"{}\"",
                                                           m.layers[link.layer].name, link.path)));
    }
    // A later entry of the same layer at the same path replaced the link: it wins.
    if (link.node->serial != link.serial)
      continue;
    link.node->inode = *inode;
    ++m.stats.hardlinks;
  }
  for (int layer = 0; layer < static_cast<int>(m.layers.size()); ++layer) {
    SIFKIT_TRY(fetch_hidden_content(m, layer));
  }
  return {};
}

} // namespace sifkit::convert
