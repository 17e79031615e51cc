#include "run_session.h"

#include <common/file.h>
#include <runtime/cgroups.h>
#include <runtime/container_cgroup.h>
#include <runtime/mount.h>
#include <runtime/mountinfo.h>
#include <runtime/state.h>

#include <cerrno>
#include <filesystem>
#include <random>

#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

std::string random_suffix() {
  std::random_device device;
  return fmt::format("{:08x}", device());
}

Result<void> clean_session(const std::string& dir) {
  if (auto run = read_file(dir + "/run.json"); run) {
    auto json = nlohmann::json::parse(*run, nullptr, false);
    if (json.is_object()) {
      OciRuntime runtime{json.value("runtime", ""), json.value("runtime_path", "")};
      if (!runtime.path.empty()) {
        force_delete_container(runtime, json.value("runtime_root", ""), json.value("id", ""));
      }
      // Best effort, as root only (the runs that get a cgroup of their own): a container
      // the runtime failed to start can leave its cgroup even after a delete.
      if (auto cgroups = detect_cgroups(); cgroups && ::geteuid() == 0) {
        (void)remove_container_cgroup(*cgroups, json.value("id", ""), std::chrono::seconds(2));
      }
    }
  }
  if (auto record = read_mount_record(dir); record) {
    if (auto undone = unmount_all(*record); !undone) {
      return undone;
    }
  }
  return remove_tree_unless_mounted(dir);
}

} // namespace

Result<RunSession> RunSession::create(const std::string& state_root) {
  std::string runs = state_root + "/runs";
  if (auto made = make_private_dirs(runs); !made) {
    return std::unexpected(made.error());
  }
  for (int attempt = 0; attempt < 10; ++attempt) {
    std::string id = fmt::format("sifkit-{}-{}", ::getpid(), random_suffix());
    std::string dir = run_session_dir(state_root, id);
    if (::mkdir(dir.c_str(), 0700) != 0) {
      if (errno == EEXIST) {
        continue;
      }
      return fail_errno("creating " + dir, errno);
    }
    auto fd = take_ofd_lock(dir + "/lock", true);
    if (!fd) {
      return std::unexpected(fd.error());
    }
    for (const char* sub : {"/bundle", "/bundle/rootfs"}) {
      if (::mkdir((dir + sub).c_str(), 0755) != 0) {
        int error = errno;
        ::close(*fd);
        return fail_errno("creating " + dir + sub, error);
      }
    }
    return RunSession(id, dir, *fd);
  }
  return fail(ErrorKind::io, "no free session name under " + runs);
}

RunSession::RunSession(RunSession&& other) noexcept
    : m_id(std::move(other.m_id)), m_dir(std::move(other.m_dir)), m_lock_fd(other.m_lock_fd) {
  other.m_lock_fd = -1;
}

RunSession::~RunSession() {
  if (m_lock_fd >= 0) {
    ::close(m_lock_fd);
  }
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
  return remove_tree_unless_mounted(m_dir);
}

Result<SweepResult> sweep_stale_runs(const std::string& state_root) {
  SweepResult result;
  std::string runs = state_root + "/runs";
  std::error_code ec;
  std::vector<std::string> failures;
  for (const auto& entry : std::filesystem::directory_iterator(runs, ec)) {
    std::string dir = entry.path().string();
    auto fd = take_ofd_lock(dir + "/lock", false);
    if (!fd) {
      continue; // a live run holds it, or is still creating it
    }
    bool had_container = std::filesystem::exists(dir + "/run.json");
    auto cleaned = clean_session(dir);
    ::close(*fd);
    if (!cleaned) {
      failures.push_back(cleaned.error().what());
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
