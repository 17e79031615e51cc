#include "squash_progress.h"

#include <chrono>
#include <cstdio>
#include <memory>

#include <unistd.h>

namespace sifkit::tools {

namespace {

using Clock = std::chrono::steady_clock;

struct DrawState {
  Clock::time_point start = Clock::now();
  Clock::time_point last;
  int layer = -1;
};

} // namespace

std::string human_bytes(std::int64_t bytes) {
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

ConvertDisplay convert_display(bool quiet) {
  if (quiet) {
    return ConvertDisplay::none;
  }
  return ::isatty(STDERR_FILENO) != 0 ? ConvertDisplay::bar : ConvertDisplay::lines;
}

convert::SquashProgressCallback make_squash_progress(ConvertDisplay display, std::string tool) {
  if (display == ConvertDisplay::none) {
    return {};
  }
  auto state = std::make_shared<DrawState>();
  if (display == ConvertDisplay::lines) {
    return [state, tool](const convert::SquashProgress& p) {
      if (p.layer != state->layer) { // one line per layer: a pipe is no place for redraws
        state->layer = p.layer;
        std::fprintf(stderr, "%s: reading layer %d/%d\n", tool.c_str(), p.layer + 1, p.layer_count);
      }
    };
  }
  return [state](const convert::SquashProgress& p) {
    auto now = Clock::now();
    if (p.layer == state->layer && now - state->last < std::chrono::milliseconds(100)) {
      return; // redraw at most ten times a second
    }
    state->layer = p.layer;
    state->last = now;
    double seconds = std::chrono::duration<double>(now - state->start).count();
    auto rate =
        seconds > 0 ? static_cast<std::int64_t>(static_cast<double>(p.bytes_in) / seconds) : 0;
    std::fprintf(stderr, "\r\033[Klayer %d/%d  %s read  %s written  %s/s", p.layer + 1,
                 p.layer_count, human_bytes(p.bytes_in).c_str(), human_bytes(p.bytes_out).c_str(),
                 human_bytes(rate).c_str());
    std::fflush(stderr);
  };
}

void finish_squash_progress(ConvertDisplay display) {
  if (display == ConvertDisplay::bar) {
    std::fputc('\n', stderr);
  }
}

} // namespace sifkit::tools
