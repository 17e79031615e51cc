#pragma once

// Internal: a plain text table with left-aligned columns separated by two spaces.

#include <algorithm>
#include <string>
#include <vector>

namespace sifkit::cache {

class TextTable {
public:
  explicit TextTable(std::vector<std::string> header) { m_rows.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { m_rows.push_back(std::move(row)); }
  bool empty() const { return m_rows.size() == 1; }

  std::string render() const {
    std::vector<std::size_t> widths;
    for (const auto& row : m_rows) {
      widths.resize(std::max(widths.size(), row.size()), 0);
      for (std::size_t i = 0; i < row.size(); ++i) {
        widths[i] = std::max(widths[i], row[i].size());
      }
    }
    std::string out;
    for (const auto& row : m_rows) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size()) {
          line.append(widths[i] - row[i].size() + 2, ' ');
        }
      }
      out += line + "\n";
    }
    return out;
  }

private:
  std::vector<std::vector<std::string>> m_rows;
};

} // namespace sifkit::cache
