#pragma once

// The on-disk session of one sif-run: `state_root`/runs/<id>/ holding a lock the run
// holds for its whole life, run.json (which runtime runs the container, under which
// --root), the bundle (config.json, rootfs/) and the mount record. The directory appears
// under its name already locked (common/lock_file.h). A run that dies without cleaning up
// (SIGKILL) leaves its session unlocked; sweep_stale_runs kills its container and undoes
// its mounts.
#include <common/error.h>
#include <common/lock_file.h>
#include <runtime/launcher.h>

#include <cstdint>
#include <optional>
#include <string>

namespace sifkit::runtime {

class RunSession {
public:
  // Creates a fresh session under `state_root` (id "sifkit-<pid>-<random>"), locked
  // before it is visible. `io` on failure.
  static Result<RunSession> create(const std::string& state_root);

  RunSession(RunSession&& other) noexcept = default;
  RunSession& operator=(RunSession&&) = delete;
  RunSession(const RunSession&) = delete;
  ~RunSession() = default; // drops the lock; the directory is removed by remove() or the sweep

  const std::string& id() const { return m_id; }
  const std::string& dir() const { return m_dir; }
  std::string bundle() const { return m_dir + "/bundle"; }
  std::string rootfs() const { return m_dir + "/bundle/rootfs"; }

  // Writes run.json: the runtime and its state directory (for the sweep).
  Result<void> record_runtime(const OciRuntime& runtime, const std::string& runtime_root);

  // Removes the session directory (after its mounts are undone) and drops the lock;
  // refuses (`conflict`, keeping the lock) while anything is still mounted below it.
  Result<void> remove();

private:
  RunSession(std::string id, std::string dir, OfdLock lock)
      : m_id(std::move(id)), m_dir(std::move(dir)), m_lock(std::move(lock)) {}

  std::string m_id;
  std::string m_dir;
  OfdLock m_lock;
};

struct SweepResult {
  int sessions = 0;   // stale sessions cleaned
  int containers = 0; // containers killed and deleted
};

// Cleans every session under `state_root`/runs whose sif-run is gone (its lock is free;
// or it has no lock and is older than k_sweep_min_age): kills and deletes its container,
// undoes its recorded mounts, removes its directory (claim_stale_directory,
// remove_locked_directory). Sessions of live runs are left alone. `io` naming the
// sessions that could not be cleaned.
Result<SweepResult> sweep_stale_runs(const std::string& state_root);

} // namespace sifkit::runtime
