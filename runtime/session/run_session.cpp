#include <common/file.h>
#include <common/mountinfo.h>
#include <runtime/cgroup/cgroup.h>
#include <runtime/mount/mount.h>

#include <cerrno>
#include <filesystem>
#include <random>

#include "session.h"
#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

constexpr const char* k_lock_name = "lock";

std::string random_suffix() {
  std::random_device device;
  return fmt::format("{:08x}", device());
}

// Kills and deletes the container recorded in the session `dir` and undoes its mounts.
Result<void> clean_session(const std::string& dir) {
  if (auto run = read_file(dir + "/run.json"); run) {
    auto saved = nlohmann::json::parse(*run, nullptr, false);
    if (saved.is_object()) {
      OciRuntime runtime{saved.value("runtime", ""), saved.value("runtime_path", "")};
      if (!runtime.path.empty()) {
        force_delete_container(runtime, saved.value("runtime_root", ""), saved.value("id", ""));
      }
      // Best effort, as root only (the runs that get a cgroup of their own): a container
      // the runtime failed to start can leave its cgroup even after a delete.
      if (auto cgroups = detect_cgroups(); cgroups && ::geteuid() == 0) {
        (void)remove_container_cgroup(*cgroups, saved.value("id", ""), std::chrono::seconds(2));
      }
    }
  }
  if (auto record = read_mount_record(dir); record) {
    return unmount_all(*record);
  }
  return {};
}

// Removes the session directory `runs`/`entry` whose lock `lock` the caller holds, never
// through a mount.
Result<void> remove_session_dir(const std::string& runs, const std::string& entry, OfdLock& lock) {
  std::string dir = runs + "/" + entry;
  SIFKIT_TRY_ASSIGN(auto mounted, has_mount_at_or_below(dir));
  if (mounted) {
    return fail(ErrorKind::conflict, "not removing " + dir + ": something below it is mounted");
  }
  return remove_locked_directory(runs, entry, k_lock_name, std::move(lock));
}

} // namespace

Result<RunSession> RunSession::create(const std::string& state_root) {
  std::string runs = state_root + "/runs";
  SIFKIT_TRY(make_private_dirs(runs));
  for (int attempt = 0; attempt < 10; ++attempt) {
    std::string id = fmt::format("sifkit-{}-{}", ::getpid(), random_suffix());
    auto lock = create_locked_directory(runs, id, k_lock_name);
    if (!lock) {
      if (lock.error().kind() == ErrorKind::conflict) {
        continue;
      }
      return std::unexpected(lock.error());
    }
    std::string dir = run_session_dir(state_root, id);
    for (const char* sub : {"/bundle", "/bundle/rootfs"}) {
      if (::mkdir((dir + sub).c_str(), 0755) != 0) {
        int error = errno;
        (void)remove_locked_directory(runs, id, k_lock_name, std::move(*lock));
        return fail_errno("creating " + dir + sub, error);
      }
    }
    return RunSession(id, dir, std::move(*lock));
  }
  return fail(ErrorKind::io, "no free session name under " + runs);
}

Result<void> RunSession::record_runtime(const OciRuntime& runtime,
                                        const std::string& runtime_root) {
  nlohmann::json json{{"id", m_id},
                      {"pid", ::getpid()},
                      {"runtime", runtime.name},
                      {"runtime_path", runtime.path},
                      {"runtime_root", runtime_root}};
  return write_file_atomic(m_dir + "/run.json", json.dump(2) + "\n", Durability::unsynced);
}

Result<void> RunSession::remove() {
  if (!m_lock.held()) {
    return {}; // removed already
  }
  std::string runs = std::filesystem::path(m_dir).parent_path().string();
  return remove_session_dir(runs, m_id, m_lock);
}

Result<SweepResult> sweep_stale_runs(const std::string& state_root) {
  SweepResult result;
  std::string runs = state_root + "/runs";
  std::error_code ec;
  std::vector<std::string> failures;
  for (const auto& entry : std::filesystem::directory_iterator(runs, ec)) {
    std::string name = entry.path().filename().string();
    auto claim = claim_stale_directory(runs, name, k_lock_name);
    if (!claim) {
      failures.push_back(claim.error().what());
      continue;
    }
    if (claim->verdict != SweepVerdict::stale) {
      continue; // a live run's, or one still being created
    }
    std::string dir = runs + "/" + name;
    bool had_container = false;
    // Removal renames first (remove_locked_directory): a directory of that stage has
    // nothing left to undo, and its recorded paths no longer hold.
    if (claim->stage != DirectoryStage::removing) {
      had_container = std::filesystem::exists(dir + "/run.json");
      if (auto cleaned = clean_session(dir); !cleaned) {
        failures.push_back(cleaned.error().what());
        continue;
      }
    }
    if (auto removed = remove_session_dir(runs, name, claim->lock); !removed) {
      failures.push_back(removed.error().what());
      continue;
    }
    ++result.sessions;
    result.containers += had_container ? 1 : 0;
  }
  if (!failures.empty()) {
    std::string text;
    for (const auto& f : failures) {
      text += (text.empty() ? "" : "; ") + f;
    }
    return fail(ErrorKind::io, "cleaning stale runs: " + text);
  }
  return result;
}

} // namespace sifkit::runtime
