#include "instance.h"

#include <common/file.h>
#include <common/lock_file.h>
#include <runtime/instance/instance_files.h>
#include <runtime/session/session.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <thread>

#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

nlohmann::json record_json(const InstanceRecord& r) {
  return {{"name", r.name},
          {"image", r.image},
          {"created", r.created},
          {"supervisor_pid", r.supervisor_pid},
          {"container_id", r.container.id},
          {"runtime", r.container.runtime.name},
          {"runtime_path", r.container.runtime.path},
          {"runtime_root", r.container.runtime_root},
          {"bundle", r.container.bundle},
          {"out_log", r.out_log},
          {"err_log", r.err_log}};
}

// Removes what a supervisor that died without cleaning up left: its record, its run
// session (container, mounts).
void clean_dead_instance(const std::string& root, const std::string& dir) {
  ::unlink((dir + "/instance.json").c_str());
  (void)sweep_stale_runs(root);
}

// Waits until no supervisor holds `dir`'s lock, for at most `limit`.
bool wait_until_stopped(const std::string& dir, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (instance_running(dir)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// Joins the user and mount namespaces of process `pid` when its user namespace is not
// ours. The process must be single-threaded.
Result<void> join_namespaces_of(int pid) {
  struct stat ours {};
  struct stat theirs {};
  std::string their_user = fmt::format("/proc/{}/ns/user", pid);
  if (::stat("/proc/self/ns/user", &ours) != 0 || ::stat(their_user.c_str(), &theirs) != 0) {
    return fail_errno("reading the user namespace of process " + std::to_string(pid), errno);
  }
  if (ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev) {
    return {};
  }
  for (const char* ns : {"user", "mnt"}) {
    std::string path = fmt::format("/proc/{}/ns/{}", pid, ns);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      return fail_errno("opening " + path, errno);
    }
    int joined = ::setns(fd.get(), 0);
    int error = errno;
    if (joined != 0) {
      return fail_errno("joining the namespace " + path, error);
    }
  }
  return {};
}

} // namespace

std::string instance_dir(const std::string& root, const std::string& name) {
  return root + "/instances/" + name;
}

Result<UniqueFd> take_instance_lock(const std::string& dir, bool create) {
  auto fd = take_ofd_lock(dir + "/lock", create);
  if (!fd && fd.error().kind() == ErrorKind::conflict) {
    return fail(ErrorKind::conflict, dir + "/lock is held by a running supervisor");
  }
  return fd;
}

bool instance_running(const std::string& dir) {
  // Asked without taking the lock: a probe that took it would make a supervisor starting
  // at that moment fail to take its own.
  auto held = ofd_lock_held(dir + "/lock");
  return held && *held;
}

Result<void> write_instance_record(const std::string& dir, const InstanceRecord& record) {
  return write_file_atomic(dir + "/instance.json", record_json(record).dump(2) + "\n",
                           Durability::unsynced);
}

Result<InstanceRecord> read_instance_record(const std::string& dir) {
  std::string path = dir + "/instance.json";
  SIFKIT_TRY_ASSIGN(auto text, read_file(path));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) {
    return fail(ErrorKind::corrupt_input, path + " is not a JSON object");
  }
  InstanceRecord r;
  r.name = j.value("name", "");
  r.image = j.value("image", "");
  r.created = j.value("created", "");
  r.supervisor_pid = j.value("supervisor_pid", 0);
  r.container = {j.value("container_id", ""),
                 {j.value("runtime", ""), j.value("runtime_path", "")},
                 j.value("runtime_root", ""),
                 j.value("bundle", "")};
  r.out_log = j.value("out_log", "");
  r.err_log = j.value("err_log", "");
  return r;
}

std::string file_tail(const std::string& path, int lines) {
  auto text = read_file(path);
  if (!text) {
    return {};
  }
  std::string body = *text;
  while (!body.empty() && body.back() == '\n') {
    body.pop_back();
  }
  std::size_t start = body.size();
  for (int seen = 0; start > 0 && seen < lines; --start) {
    if (body[start - 1] == '\n' && ++seen == lines) {
      break;
    }
  }
  return body.substr(start);
}

bool valid_instance_name(const std::string& name) {
  return valid_container_name(name) && name.find('+') == std::string::npos;
}

Result<InstanceRecord> find_instance(const std::string& name) {
  SIFKIT_TRY_ASSIGN(auto root, state_root());
  std::string dir = instance_dir(root, name);
  if (!valid_instance_name(name) || !instance_running(dir)) {
    return fail(ErrorKind::not_found,
                "no running instance " + name + " (sif-run instance list shows them)");
  }
  auto record = read_instance_record(dir);
  if (!record && record.error().kind() == ErrorKind::not_found) {
    return fail(ErrorKind::not_found, "instance " + name + " is starting or ending");
  }
  return record;
}

Result<std::vector<InstanceListing>> list_instances() {
  SIFKIT_TRY_ASSIGN(auto root, state_root());
  std::vector<InstanceListing> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root + "/instances", ec)) {
    std::string dir = entry.path().string();
    if (!instance_running(dir)) {
      // Under the lock, so a supervisor starting now cannot lose its fresh record; taken
      // only for a record to remove, so a start is not kept from its lock for nothing.
      if (std::filesystem::exists(dir + "/instance.json")) {
        if (auto lock = take_instance_lock(dir, false); lock) {
          if (std::filesystem::exists(dir + "/instance.json")) {
            clean_dead_instance(root, dir);
          }
        }
      }
      continue;
    }
    auto record = read_instance_record(dir);
    if (!record) {
      continue; // starting: no container yet
    }
    InstanceListing listing{*record, "unknown", 0};
    if (auto state = container_state_text(record->container); state) {
      auto json = nlohmann::json::parse(*state, nullptr, false);
      if (json.is_object()) {
        listing.status = json.value("status", "unknown");
        listing.pid = json.value("pid", 0);
      }
    }
    out.push_back(std::move(listing));
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return fail(ErrorKind::io, root + "/instances: " + ec.message());
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.record.name < b.record.name; });
  return out;
}

Result<void> stop_instance(const std::string& name, int signal, std::chrono::seconds timeout) {
  SIFKIT_TRY_ASSIGN(auto record, find_instance(name));
  SIFKIT_TRY_ASSIGN(auto root, state_root());
  std::string dir = instance_dir(root, name);
  // A container that already ended makes kill fail; the supervisor then ends anyway.
  (void)runtime_verb(record.container, {"kill", record.container.id, std::to_string(signal)});
  if (!wait_until_stopped(dir, timeout)) {
    (void)runtime_verb(record.container, {"kill", record.container.id, "KILL"});
    if (!wait_until_stopped(dir, std::chrono::seconds(10))) {
      ::kill(record.supervisor_pid, SIGKILL);
      if (!wait_until_stopped(dir, std::chrono::seconds(5))) {
        return fail(ErrorKind::io, fmt::format("instance {}: its supervisor (pid {}) does not "
                                               "end",
                                               name, record.supervisor_pid));
      }
      clean_dead_instance(root, dir);
    }
  }
  ::unlink((dir + "/instance.json").c_str());
  return {};
}

Result<int> exec_in_instance(const std::string& name, const ExecRequest& request) {
  SIFKIT_TRY_ASSIGN(auto record, find_instance(name));
  SIFKIT_TRY(with_context(join_namespaces_of(record.supervisor_pid), "instance " + name));
  return exec_in_container(record.container, request);
}

} // namespace sifkit::runtime
