#include <sif/go_format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

namespace sifkit::sif {

namespace {

struct CivilDate {
  std::int64_t year;
  int month;
  int day;
};

// Proleptic Gregorian date of `days` since 1970-01-01, exact over the whole int64 range
// of seconds (std::chrono::year_month_day stops at year 32767). This is Howard Hinnant's
// well-known days-to-civil algorithm: count in 400-year eras starting on 0000-03-01.
CivilDate civil_from_days(std::int64_t days) {
  days += 719468; // days from 0000-03-01 to 1970-01-01
  std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  std::int64_t day_of_era = days - era * 146097;
  std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  std::int64_t month_from_march = (5 * day_of_year + 2) / 153;
  int day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  int month = static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// Go writes years with at least four digits, the sign in front of the padding.
std::string go_year(std::int64_t year) {
  if (year < 0) {
    return fmt::format("-{:04}", -static_cast<std::uint64_t>(year));
  }
  return fmt::format("{:04}", year);
}

// Length of the valid UTF-8 sequence that starts `s` (Go's acceptance rules: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0 when it is invalid.
std::size_t utf8_sequence_length(std::string_view s) {
  auto at = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = at(0);
  if (lead < 0x80) {
    return 1;
  }
  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    second_min = lead == 0xE0 ? 0xA0 : 0x80;
    second_max = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    second_min = lead == 0xF0 ? 0x90 : 0x80;
    second_max = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (s.size() < length || at(1) < second_min || at(1) > second_max) {
    return 0;
  }
  for (std::size_t i = 2; i < length; ++i) {
    if (at(i) < 0x80 || at(i) > 0xBF) {
      return 0;
    }
  }
  return length;
}

struct Cell {
  std::string text;
  std::int64_t width = 0; // in runes; may be negative after an unterminated escape, as in Go
};
using Line = std::vector<Cell>;

// The lines between two flushes of a Go tabwriter, aligned as one unit.
class Section {
public:
  explicit Section(std::size_t padding) : m_padding(static_cast<std::int64_t>(padding)) {}

  void add_cell(Cell cell) { m_lines.back().push_back(std::move(cell)); }
  void end_line() { m_lines.emplace_back(); }
  void write_to(std::string& out) {
    format(out, 0, m_lines.size());
    m_lines.assign(1, Line{});
  }

private:
  static bool has_cell_in(const Line& line, std::size_t column) {
    // The last cell of a line ends with the line, not with a tab: it is in no column.
    return line.size() > column + 1;
  }

  // Aligns column `m_widths.size()` block by block within [line0, line1), recursing into
  // the next column inside each block; lines outside any block are written as they are.
  void format(std::string& out, std::size_t line0, std::size_t line1) {
    std::size_t column = m_widths.size();
    for (std::size_t line = line0; line < line1; ++line) {
      if (!has_cell_in(m_lines[line], column)) {
        continue;
      }
      write_lines(out, line0, line);
      line0 = line;
      std::int64_t width = 0;
      for (; line < line1 && has_cell_in(m_lines[line], column); ++line) {
        width = std::max(width, m_lines[line][column].width + m_padding);
      }
      m_widths.push_back(width);
      format(out, line0, line);
      m_widths.pop_back();
      line0 = line;
    }
    write_lines(out, line0, line1);
  }

  void write_lines(std::string& out, std::size_t line0, std::size_t line1) const {
    for (std::size_t i = line0; i < line1; ++i) {
      const Line& line = m_lines[i];
      for (std::size_t j = 0; j < line.size(); ++j) {
        out += line[j].text;
        if (j < m_widths.size()) {
          out.append(
              static_cast<std::size_t>(std::max<std::int64_t>(0, m_widths[j] - line[j].width)),
              ' ');
        }
      }
      // The last line is the unterminated one being collected: it has no newline.
      if (i + 1 != m_lines.size()) {
        out += '\n';
      }
    }
  }

  std::int64_t m_padding;
  std::vector<Line> m_lines{Line{}};
  std::vector<std::int64_t> m_widths;
};

} // namespace

std::string go_utc_time(std::int64_t seconds) {
  std::int64_t days = seconds / 86400;
  std::int64_t second_of_day = seconds % 86400;
  if (second_of_day < 0) {
    second_of_day += 86400;
    days -= 1;
  }
  CivilDate date = civil_from_days(days);
  return fmt::format("{}-{:02}-{:02} {:02}:{:02}:{:02} +0000 UTC", go_year(date.year), date.month,
                     date.day, second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
}

std::string go_readable_size(std::int64_t size) {
  if (size > -1024 && size < 1024) {
    return fmt::format("{} B", size);
  }
  constexpr std::string_view units = "KMGTPE";
  std::uint64_t divisor = 1024;
  std::size_t exponent = 0;
  for (std::int64_t n = size / 1024; n <= -1024 || n >= 1024; n /= 1024) {
    divisor *= 1024;
    ++exponent;
  }
  double scaled = std::round(static_cast<double>(size) / static_cast<double>(divisor));
  return fmt::format("{:.0f} {}iB", scaled, units[exponent]);
}

std::size_t go_rune_count(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++count) {
    i += std::max<std::size_t>(1, utf8_sequence_length(text.substr(i)));
  }
  return count;
}

std::string go_tabwrite(std::string_view text, std::size_t padding) {
  std::string out;
  Section section(padding);
  Cell cell;
  std::size_t uncounted = 0; // start of the cell text not yet counted into its width
  bool escaped = false;
  // Go counts runes per run between escape boundaries; an escaped run's two 0xFF
  // delimiters stay in the text but not in the width.
  auto count_run = [&] {
    cell.width +=
        static_cast<std::int64_t>(go_rune_count(std::string_view(cell.text).substr(uncounted)));
    uncounted = cell.text.size();
  };
  auto end_cell = [&] {
    count_run();
    section.add_cell(std::move(cell));
    cell = Cell{};
    uncounted = 0;
  };
  for (char ch : text) {
    bool is_escape = static_cast<unsigned char>(ch) == 0xFF;
    if (escaped) {
      cell.text += ch;
      if (is_escape) {
        count_run();
        cell.width -= 2;
        escaped = false;
      }
      continue;
    }
    switch (ch) {
    case '\t':
    case '\v':
      end_cell();
      break;
    case '\n':
      end_cell();
      section.end_line();
      break;
    case '\f':
      end_cell();
      section.end_line();
      section.write_to(out);
      break;
    default:
      if (is_escape) {
        count_run();
        escaped = true;
      }
      cell.text += ch;
    }
  }
  // Like Go's Flush: a pending non-empty cell ends the last line, closing an open escape.
  if (!cell.text.empty()) {
    if (escaped) {
      count_run();
      cell.width -= 2;
    }
    end_cell();
  }
  section.write_to(out);
  return out;
}

} // namespace sifkit::sif
