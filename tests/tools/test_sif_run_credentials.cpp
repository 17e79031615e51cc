// Registry credentials given to sif-run never stay readable in /proc/PID/cmdline: not
// in the instance supervisor (a fork of the starting command, so it shares its argv),
// not in the sif-pull child; and a reference's OCI-SIF survives a concurrent sif-cache
// clean and gc between sif-pull printing it and sif-run opening it.
#include <runtime/run_fixture.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>
#include <support/fixtures.h>
#include <tools/lifecycle_checks.h>

using namespace sifkit::test;

namespace {

// The pids whose command line contains `marker`.
std::vector<std::string> processes_showing(const std::string& marker) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(marker) != std::string::npos) {
      found.push_back(pid + ": " + cmdline);
    }
  }
  return found;
}

} // namespace

TEST_CASE("sif-run instance start --creds leaves no password in any process's command line",
          "[instance][hostile][root]") {
  if (!can_run_containers_as_root("the instance tests run as root (as the run tests do)")) {
    return;
  }
  auto runtimes = usable_runtimes();
  if (runtimes.empty()) {
    return;
  }
  RunCase c;
  // The shell that runs sif-run reads the password from a file, so only sif-run's own
  // argv ever holds it.
  const std::string marker = "SECRETMARKER" + std::to_string(::getpid());
  std::ofstream(c.dir.file("password")) << marker;
  auto started =
      sif_run(c.state, "instance start --runtime " + runtimes.back() + " --creds \"u:$(cat " +
                           c.dir.file("password") + ")\" " + c.sif + " credsinst sleep 1000");
  INFO(started.err);
  REQUIRE(started.exit_code == 0);
  auto showing = processes_showing(marker);
  std::string lines;
  for (const auto& line : showing) {
    lines += line + "\n";
  }
  INFO(lines);
  CHECK(showing.empty());
  auto stopped = sif_run(c.state, "instance stop -t 1 credsinst");
  INFO(stopped.err);
  CHECK(stopped.exit_code == 0);
  CHECK(settled_leftovers(c.sif, c.state) == "");
}

// Besides the hand-over, it covers a pull whose just-stored manifest must still be there
// when its children are recorded ("parent ... is not in the cache") while clean and gc run.
TEST_CASE("sif-run of a reference keeps working while sif-cache clean and gc run at once",
          "[race][run][sif-run][hostile][root]") {
  if (!can_run_containers_as_root("the run tests as root need root")) {
    return;
  }
  auto runtimes = usable_runtimes();
  if (runtimes.empty()) {
    return;
  }
  TempDir dir;
  std::string layout = dir.file("layout");
  make_busybox_layout(layout);
  std::string cache = dir.file("cache");
  std::atomic<bool> done = false;
  std::atomic<int> sweeps = 0;
  std::thread sweeper([&] {
    while (!done) {
      run_command("'" + tool("sif-cache") + "' --cache '" + cache + "' clean >/dev/null 2>&1");
      run_command("'" + tool("sif-cache") + "' --cache '" + cache +
                  "' gc --keep-bytes 0 >/dev/null 2>&1");
      ++sweeps;
    }
  });
  constexpr int k_runs = 8;
  int succeeded = 0;
  std::string failures;
  for (int i = 0; i < k_runs; ++i) {
    auto r = sif_run(dir.file("state"), "-q --runtime " + runtimes.back() + " --cache " + cache +
                                            " exec oci:" + layout + ":latest true");
    if (r.exit_code == 0) {
      ++succeeded;
    } else {
      failures += r.err;
    }
  }
  done = true;
  sweeper.join();
  INFO(failures);
  CHECK(succeeded == k_runs);
  CHECK(sweeps > 0);
}
