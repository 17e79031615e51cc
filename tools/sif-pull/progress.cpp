#include "progress.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

namespace sifkit::tools {

namespace {

std::string human(std::int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char out[32];
  std::snprintf(out, sizeof out, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return out;
}

const char* verb(registry::PullEvent::Kind kind) {
  return kind == registry::PullEvent::Kind::blob_reused ? "cached " : "fetched";
}

// The terminal display: one bar per blob (those in flight, then the latest finished,
// at most k_max_rows) and a total with rate and ETA, redrawn in place.
class Board {
public:
  void update(const registry::PullEvent& e) {
    using Kind = registry::PullEvent::Kind;
    auto now = Clock::now();
    if (m_rows.empty() && m_start == Clock::time_point{}) m_start = now;
    if (e.kind != Kind::resolved) {
      Row& row = find_row(e.digest);
      row.done = e.blob_done;
      row.size = e.blob_size;
      if (e.kind == Kind::blob_done) row.state = State::done;
      if (e.kind == Kind::blob_reused) row.state = State::cached;
      if (row.state == State::running) row.finished_at = 0;
      else if (row.finished_at == 0) row.finished_at = ++m_finish_counter;
    }
    m_total_done = e.total_done;
    m_total_size = e.total_size;
    m_blobs_done = e.blobs_done;
    m_blobs_total = e.blobs_total;
    if (e.total_done > 0 && m_first_byte == Clock::time_point{}) m_first_byte = now;
    bool final = e.blobs_total > 0 && e.blobs_done == e.blobs_total;
    if (e.kind == Kind::blob_progress && !final && now - m_last_draw < std::chrono::milliseconds(100)) {
      return; // redraw at most ten times a second
    }
    m_last_draw = now;
    draw(now);
  }

private:
  using Clock = std::chrono::steady_clock;
  enum class State { running, done, cached };
  struct Row {
    std::string digest;
    std::int64_t done = 0;
    std::int64_t size = 0;
    State state = State::running;
    int finished_at = 0; // order of finishing, 0 while running
  };
  static constexpr std::size_t k_max_rows = 10;
  static constexpr int k_width = 24;

  Row& find_row(const Digest& digest) {
    std::string text = digest.short_text();
    for (Row& row : m_rows) {
      if (row.digest == text) return row;
    }
    m_rows.push_back(Row{text});
    return m_rows.back();
  }

  static std::string bar(std::int64_t done, std::int64_t size) {
    int filled = size > 0 ? static_cast<int>(k_width * std::min(done, size) / size) : k_width;
    std::string out(static_cast<std::size_t>(filled), '#');
    out.resize(k_width, ' ');
    return "[" + out + "]";
  }

  std::vector<const Row*> visible() const {
    std::vector<const Row*> rows;
    for (const Row& row : m_rows) {
      if (row.state == State::running) rows.push_back(&row);
    }
    std::vector<const Row*> finished;
    for (const Row& row : m_rows) {
      if (row.state != State::running) finished.push_back(&row);
    }
    std::sort(finished.begin(), finished.end(),
              [](const Row* a, const Row* b) { return a->finished_at > b->finished_at; });
    for (const Row* row : finished) {
      if (rows.size() >= k_max_rows) break;
      rows.push_back(row);
    }
    if (rows.size() > k_max_rows) rows.resize(k_max_rows);
    return rows;
  }

  void draw(Clock::time_point now) {
    std::string out;
    if (m_drawn > 0) out += "\033[" + std::to_string(m_drawn) + "A";
    auto rows = visible();
    for (const Row* row : rows) {
      const char* state = row->state == State::done ? "done" : row->state == State::cached ? "cached" : "";
      out += "\r\033[K  " + row->digest + " " + bar(row->done, row->size) + " " +
             human(row->done) + " / " + human(row->size) + " " + state + "\n";
    }
    double seconds = m_first_byte == Clock::time_point{}
                         ? 0
                         : std::chrono::duration<double>(now - m_first_byte).count();
    double rate = seconds > 0.2 ? static_cast<double>(m_total_done) / seconds : 0;
    std::string eta = "-";
    if (rate > 0 && m_total_size > m_total_done) {
      eta = std::to_string(static_cast<long long>((m_total_size - m_total_done) / rate) + 1) + "s";
    }
    out += "\r\033[K  total " + bar(m_total_done, m_total_size) + " " + human(m_total_done) +
           " / " + human(m_total_size) + "  " + human(static_cast<std::int64_t>(rate)) + "/s  ETA " +
           eta + "  " + std::to_string(m_blobs_done) + "/" + std::to_string(m_blobs_total) +
           " blobs\n";
    std::size_t lines = rows.size() + 1;
    // Fewer rows than last time: clear the lines left below, then come back up.
    for (std::size_t extra = lines; extra < m_drawn; ++extra) out += "\r\033[K\n";
    if (m_drawn > lines) out += "\033[" + std::to_string(m_drawn - lines) + "A";
    m_drawn = lines;
    std::fputs(out.c_str(), stderr);
    std::fflush(stderr);
  }

  std::vector<Row> m_rows;
  int m_finish_counter = 0;
  std::int64_t m_total_done = 0;
  std::int64_t m_total_size = 0;
  int m_blobs_done = 0;
  int m_blobs_total = 0;
  std::size_t m_drawn = 0;
  Clock::time_point m_start{};
  Clock::time_point m_first_byte{};
  Clock::time_point m_last_draw{};
};

} // namespace

ProgressStyle progress_style(bool quiet) {
  if (quiet) {
    return ProgressStyle::none;
  }
  return ::isatty(STDERR_FILENO) != 0 ? ProgressStyle::bar : ProgressStyle::lines;
}

registry::PullProgress make_progress(ProgressStyle style) {
  using Kind = registry::PullEvent::Kind;
  if (style == ProgressStyle::none) {
    return {};
  }
  if (style == ProgressStyle::lines) {
    return [](const registry::PullEvent& e) {
      if (e.kind == Kind::blob_done) { // cached blobs are counted in the summary line
        std::fprintf(stderr, "sif-pull: %s %s %s (%d/%d)\n", verb(e.kind),
                     e.digest.short_text().c_str(), human(e.blob_size).c_str(), e.blobs_done,
                     e.blobs_total);
      }
    };
  }
  auto board = std::make_shared<Board>();
  return [board](const registry::PullEvent& e) { board->update(e); };
}

void finish_progress(ProgressStyle) {
  // The board ends each of its lines itself.
}

void print_summary(ProgressStyle style, const registry::PullResult& result) {
  if (style == ProgressStyle::none) {
    return;
  }
  std::fprintf(stderr, "sif-pull: %zu blobs: %s fetched, %s already cached (%lld ms)\n",
               result.layers.size() + 1, human(result.bytes_fetched).c_str(),
               human(result.bytes_reused).c_str(),
               static_cast<long long>(result.total_time.count()));
}

} // namespace sifkit::tools
