#include "progress.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

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
  auto last = std::make_shared<std::chrono::steady_clock::time_point>();
  return [last](const registry::PullEvent& e) {
    auto now = std::chrono::steady_clock::now();
    bool final = e.blobs_done == e.blobs_total;
    if (e.kind == Kind::blob_progress && !final && now - *last < std::chrono::milliseconds(100)) {
      return; // redraw at most ten times a second
    }
    *last = now;
    constexpr int k_width = 30;
    int filled =
        e.total_size > 0 ? static_cast<int>(k_width * e.total_done / e.total_size) : k_width;
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(k_width, ' ');
    std::fprintf(stderr, "\r\033[K[%s] %s / %s  %d/%d blobs", bar.c_str(),
                 human(e.total_done).c_str(), human(e.total_size).c_str(), e.blobs_done,
                 e.blobs_total);
    std::fflush(stderr);
  };
}

void finish_progress(ProgressStyle style) {
  if (style == ProgressStyle::bar) {
    std::fputc('\n', stderr);
  }
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
