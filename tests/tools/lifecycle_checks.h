#pragma once

// Leftover checks for the lifecycle tests (oci, instances), whose mounts are released
// after the command that undoes them returns.
#include <runtime/run_fixture.h>

#include <chrono>
#include <string>
#include <thread>

#include <support/fixtures.h>

namespace sifkit::test {

// run_leftovers once what goes asynchronously has gone: loop devices (autoclear), and
// copies of a bundle's mounts in mount namespaces that other processes cloned while it was
// mounted (containers of runs going on at the same time), which go when those end. Waits
// up to 10 s; what is still there then comes with the processes that still see it.
inline std::string settled_leftovers(const std::string& sif, const std::string& state) {
  std::string out;
  for (int attempt = 0; attempt < 100; ++attempt) {
    out = run_leftovers(sif, state);
    if (out.empty()) {
      return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto holders =
      run_command("grep -l -F -e " + shell_quote(state) + " /proc/[0-9]*/mountinfo 2>/dev/null");
  return out + (holders.out.empty() ? "" : "mounted in the namespaces of: " + holders.out);
}

} // namespace sifkit::test
