#include <common/file.h>
#include <runtime/spec/capabilities.h>
#include <runtime/spec/seccomp.h>

#include <charconv>
#include <climits>
#include <sstream>

#include "spec.h"
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

extern char** environ;

namespace sifkit::runtime {

namespace {

// getpwuid_r / getgrgid_r want a buffer; grow it on ERANGE.
template <typename Entry, typename Lookup>
bool lookup_entry(Lookup lookup, Entry& entry, std::vector<char>& buffer) {
  buffer.resize(4096);
  while (true) {
    Entry* result = nullptr;
    int rc = lookup(&entry, buffer.data(), buffer.size(), &result);
    if (rc == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    return rc == 0 && result != nullptr;
  }
}

Result<std::vector<std::string>> effective_caps() {
  constexpr std::size_t k_max_status = std::size_t{64} << 10;
  SIFKIT_TRY_ASSIGN(auto status, with_context(read_file("/proc/self/status", k_max_status),
                                              "reading the capabilities"));
  std::istringstream lines(status);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("CapEff:")) {
      std::string hex = line.substr(7);
      hex.erase(0, hex.find_first_not_of(" \t"));
      std::uint64_t mask = 0;
      auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), mask, 16);
      if (ec != std::errc{}) {
        return fail(ErrorKind::io, "unreadable CapEff line in /proc/self/status");
      }
      return capabilities_from_mask(mask);
    }
  }
  return fail(ErrorKind::io, "no CapEff line in /proc/self/status");
}

} // namespace

Result<HostContext> probe_host() {
  HostContext host;
  host.uid = getuid();
  host.gid = getgid();

  std::vector<char> buffer;
  passwd pw{};
  if (lookup_entry([&](passwd* e, char* b, std::size_t n,
                       passwd** r) { return getpwuid_r(host.uid, e, b, n, r); },
                   pw, buffer)) {
    host.user_name = pw.pw_name ? pw.pw_name : "";
    host.home = pw.pw_dir ? pw.pw_dir : "";
    host.shell = pw.pw_shell ? pw.pw_shell : "";
  }
  group gr{};
  if (lookup_entry([&](group* e, char* b, std::size_t n,
                       group** r) { return getgrgid_r(host.gid, e, b, n, r); },
                   gr, buffer)) {
    host.group_name = gr.gr_name ? gr.gr_name : "";
  }

  int count = getgroups(0, nullptr);
  if (count > 0) {
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    count = getgroups(count, groups.data());
    for (int i = 0; i < count; ++i) {
      host.groups.push_back(groups[static_cast<std::size_t>(i)]);
    }
  }

  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    std::size_t equals = text.find('=');
    if (equals != std::string_view::npos && equals > 0) {
      host.env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
  }
  if (auto it = host.env.find("HOME"); it != host.env.end() && !it->second.empty()) {
    host.home = it->second;
  }

  SIFKIT_TRY_ASSIGN(auto caps, effective_caps());
  host.effective_caps = std::move(caps);
  host.stdin_is_tty = isatty(0) == 1;

  auto target = host_seccomp_target();
  host.machine = std::move(target.machine);
  host.kernel_release = std::move(target.kernel_release);
  host.seccomp_profile = find_default_seccomp_profile();

  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name - 1) == 0) {
    host.hostname = name;
  }
  return host;
}

} // namespace sifkit::runtime
