#include <cache/holder.h>
#include <common/file.h>
#include <common/text.h>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

namespace sifkit::cache {

namespace {

// The first line of the small /proc file `path`; empty when it cannot be read.
std::string first_line(const std::string& path) {
  constexpr std::size_t k_max_proc_file = 64 * 1024;
  auto text = read_file(path, k_max_proc_file);
  if (!text) {
    return {};
  }
  return text->substr(0, text->find('\n'));
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) {
    return "localhost";
  }
  return name;
}

std::string boot_id() {
  std::string id = first_line("/proc/sys/kernel/random/boot_id");
  return id.empty() ? "noboot" : id;
}

// The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat); empty
// when the process does not exist.
std::string start_time(long pid) {
  std::string stat = first_line("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')'); // the command name may itself contain spaces and ')'
  if (close == std::string::npos) {
    return {};
  }
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int index = 3; fields >> field; ++index) {
    if (index == 22) {
      return field;
    }
  }
  return {};
}

} // namespace

std::string current_holder() {
  return process_holder(::getpid());
}

std::string process_holder(long pid) {
  return fmt::format("{}/{}/{}/{}", host_name(), boot_id(), pid, start_time(pid));
}

std::string new_cache_holder() {
  static std::atomic<std::uint64_t> next{0};
  return fmt::format("{}/{}", current_holder(), next++);
}

HolderState holder_state(std::string_view holder) {
  auto parts = split(holder, '/');
  long pid = 0;
  // Four parts name a process; a fifth numbers one of its caches, which lives as long.
  if ((parts.size() != 4 && parts.size() != 5) ||
      std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), pid).ec != std::errc() ||
      pid <= 0) {
    return HolderState::unknown;
  }
  if (parts[0] != host_name()) {
    return HolderState::unknown;
  }
  if (parts[1] != boot_id()) {
    return HolderState::dead; // this host rebooted since the lease was taken
  }
  std::string started = start_time(pid);
  return !started.empty() && started == parts[3] ? HolderState::alive : HolderState::dead;
}

} // namespace sifkit::cache
