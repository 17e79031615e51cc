#pragma once

// What the spec generator needs to know about the caller and the host, gathered once by
// probe_host() so that spec generation itself is a pure function of its inputs.
#include <common/error.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sifkit::runtime {

struct HostContext {
  std::uint32_t uid = 0; // the caller (real ids)
  std::uint32_t gid = 0;
  std::string user_name;             // from the host's passwd; empty when unknown
  std::string group_name;            // the primary group's name from the host; empty when unknown
  std::string home;                  // the caller's home directory ($HOME, else passwd)
  std::string shell;                 // the caller's login shell from passwd
  std::vector<std::uint32_t> groups; // supplementary groups
  std::map<std::string, std::string> env;  // the caller's environment
  std::vector<std::string> effective_caps; // "CAP_X" names of the caller's effective set
  bool stdin_is_tty = false;
  std::string resolv_conf = "/etc/resolv.conf"; // the host file to copy
  std::string hosts = "/etc/hosts";
  std::string hostname;        // the host's name (for /etc/hosts)
  std::string machine;         // uname(2) machine, for the seccomp filter's architecture
  std::string kernel_release;  // uname(2) release, for profile rules that need a kernel
  std::string seccomp_profile; // the default seccomp profile found here; "" when none
};

// Reads the caller's identity, environment, capabilities and terminal state. `io` only
// when /proc/self/status cannot be read.
Result<HostContext> probe_host();

} // namespace sifkit::runtime
