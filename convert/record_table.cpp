#include <convert/record_table.h>

#include <algorithm>
#include <functional>

namespace sifkit::convert {

std::size_t RecordTable::slot_of(std::string_view path) const {
  // Linear probing; the table is never more than half full.
  std::size_t mask = m_slots.size() - 1;
  for (std::size_t at = std::hash<std::string_view>{}(path)&mask;; at = (at + 1) & mask) {
    std::uint32_t n = m_slots[at];
    if (n == 0 || m_records[n - 1].path() == path)
      return at;
  }
}

void RecordTable::grow() {
  std::vector<std::uint32_t> old(std::max<std::size_t>(m_slots.size() * 2, 64), 0);
  old.swap(m_slots);
  std::size_t mask = m_slots.size() - 1;
  for (std::uint32_t n : old) {
    if (n == 0)
      continue;
    std::size_t at = std::hash<std::string_view>{}(m_records[n - 1].path()) & mask;
    while (m_slots[at] != 0)
      at = (at + 1) & mask;
    m_slots[at] = n;
  }
}

Record& RecordTable::assign(std::string_view path, std::uint32_t index, EntryType type,
                            std::string_view link_target) {
  if ((m_records.size() + 1) * 2 > m_slots.size())
    grow();
  std::size_t at = slot_of(path);
  Record* record = nullptr;
  if (m_slots[at] == 0) {
    record = &m_records.emplace_back();
    m_slots[at] = static_cast<std::uint32_t>(m_records.size());
  } else {
    record = &m_records[m_slots[at] - 1];
  }
  *record = Record{};
  m_hidden.erase(record);
  record->text = m_text.store(path, link_target);
  record->path_size = static_cast<std::uint32_t>(path.size());
  record->link_size = static_cast<std::uint32_t>(link_target.size());
  record->index = index;
  record->type = type;
  return *record;
}

Record* RecordTable::find(std::string_view path) {
  if (m_slots.empty())
    return nullptr;
  std::uint32_t n = m_slots[slot_of(path)];
  return n == 0 ? nullptr : &m_records[n - 1];
}

void RecordTable::set_hidden(const Record& record, std::unique_ptr<Entry> entry) {
  m_hidden[&record] = std::move(entry);
}

const Entry* RecordTable::hidden(const Record& record) const {
  auto it = m_hidden.find(&record);
  return it == m_hidden.end() ? nullptr : it->second.get();
}

const Record* RecordTable::find(std::string_view path) const {
  return const_cast<RecordTable*>(this)->find(path);
}

} // namespace sifkit::convert
