#pragma once

// What each entry of one layer said about its path, kept until the merge resolves its
// hardlinks: one small record per entry, the paths and link targets packed in shared
// chunks of text, found by path through an open-addressing index.
#include <common/text_arena.h>
#include <convert/entry.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sifkit::convert {

struct Inode;

struct Record {
  Inode* inode = nullptr;     // the object the entry stands for, once known
  const char* text = nullptr; // the path, then the link target (hardlinks)
  std::uint32_t path_size = 0;
  std::uint32_t link_size = 0;
  std::uint32_t index = 0; // position of the entry in its layer
  EntryType type = EntryType::file;
  bool resolving = false;

  std::string_view path() const { return {text, path_size}; }
  std::string_view link_target() const { return {text + path_size, link_size}; }
};

class RecordTable {
public:
  RecordTable() = default;
  RecordTable(RecordTable&&) = default;
  RecordTable& operator=(RecordTable&&) = default;
  RecordTable(const RecordTable&) = delete;
  RecordTable& operator=(const RecordTable&) = delete;

  // The record of `path`, reset to entry `index` of type `type` with hardlink target
  // `link_target` ("" otherwise). A path named again reuses its record (pointers to it
  // stay valid and see the new entry).
  Record& assign(std::string_view path, std::uint32_t index, EntryType type,
                 std::string_view link_target);
  // The record of `path`, or nullptr.
  Record* find(std::string_view path);
  const Record* find(std::string_view path) const;
  // Keeps `entry`, which upper layers hid, with `record` (for links to it).
  void set_hidden(const Record& record, std::unique_ptr<Entry> entry);
  // The entry kept with `record`, or nullptr.
  const Entry* hidden(const Record& record) const;

private:
  std::size_t slot_of(std::string_view path) const;
  void grow();

  std::deque<Record> m_records;
  std::vector<std::uint32_t> m_slots; // record number + 1, 0 when free
  TextArena m_text;
  std::unordered_map<const Record*, std::unique_ptr<Entry>> m_hidden; // few
};

} // namespace sifkit::convert
