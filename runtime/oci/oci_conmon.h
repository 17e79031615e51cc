#pragma once

// conmon, which runs `<runtime> create` for `sif-run oci create` and then stays with the
// container, holding its stdio: how it is started and how what it leaves is cleared.
// Used by oci_lifecycle.cpp only.
#include <common/error.h>
#include <runtime/oci/oci.h>

#include <string>

namespace sifkit::runtime {

// Starts conmon for container `c` (its record directory exists) with `--terminal` when
// `terminal`, and waits (30 s at most) for its report: the container's pid once the
// runtime created it. `not_found` when conmon is not installed; `io` carrying conmon's or
// the runtime's message otherwise.
Result<int> start_conmon(const OciContainer& c, bool terminal);

// Waits (5 s at most) for the conmon recorded in `state_dir`/conmon.pid to end, which it
// does shortly after its container; kills it when it lingers.
void wait_for_conmon(const std::string& state_dir);

// Removes conmon's attach socket and terminal fifos (attach, ctl, winsz) from `bundle`,
// opened without following links (nothing is removed when it is, or lies under, one).
void remove_conmon_files(const std::string& bundle);

} // namespace sifkit::runtime
