#pragma once

// Waiting for a process to end, for tests that must show that something killed it.
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace sifkit::test {

// Waits until process `pid` has ended (no such process, or a zombie left for its parent to
// reap), looking every 10 ms for at most `limit`. True as soon as it has ended, false when it
// still runs at the deadline.
bool wait_until_gone(int pid, std::chrono::milliseconds limit = std::chrono::seconds(10));

// ---- inline implementations ----

namespace detail {

// True when /proc/`pid`/stat is gone or shows the state of a process that has exited.
inline bool has_ended(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!in || !std::getline(in, stat)) {
    return true;
  }
  // The state follows the command name in parentheses, which may itself hold ") ".
  auto name_end = stat.rfind(") ");
  if (name_end == std::string::npos || name_end + 2 >= stat.size()) {
    return false;
  }
  char state = stat[name_end + 2];
  return state == 'Z' || state == 'X';
}

} // namespace detail

inline bool wait_until_gone(int pid, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!detail::has_ended(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

} // namespace sifkit::test
