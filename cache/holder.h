#pragma once

// Who holds a lease: a process named so that any process on the same host can tell
// whether it still runs, even after pid reuse or a reboot; a Cache holds its leases as
// that process plus a number of its own, so that closing one Cache never drops the
// leases another Cache of the same process still relies on.

#include <string>
#include <string_view>

namespace sifkit::cache {

// This process as a lease holder: `<hostname>/<boot id>/<pid>/<start time>`. Call it
// again after fork(); the value changes with the pid.
std::string current_holder();

// Process `pid` of this host as a lease holder (its start time read now; empty when it
// does not run, which holder_state then sees as dead).
std::string process_holder(long pid);

// A new lease holder for one Cache of this process: `current_holder()/<n>`, with `n`
// different on every call in this process (thread-safe). It lives as long as the process.
std::string new_cache_holder();

enum class HolderState {
  alive,   // the process runs on this host
  dead,    // on this host, and gone (or the host rebooted since)
  unknown, // another host, or a name we cannot parse: trust the lease's expiry
};

// Decides whether the process named by `holder` (a process's or a Cache's) is still running.
HolderState holder_state(std::string_view holder);

} // namespace sifkit::cache
