#include <common/file.h>
#include <common/in_root.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "launch.h"
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

std::vector<std::string> runtime_args(const ContainerHandle& handle,
                                      const std::vector<std::string>& args) {
  std::vector<std::string> out{handle.runtime.path, "--root", handle.runtime_root};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

void set_env(nlohmann::json& env, const std::string& entry) {
  std::string key = entry.substr(0, entry.find('='));
  for (auto& existing : env) {
    std::string text = existing.get<std::string>();
    if (text.substr(0, text.find('=')) == key) {
      existing = entry;
      return;
    }
  }
  env.push_back(entry);
}

// The process to exec: config.json's, with the command, environment and directory of
// `request`, and a terminal exactly when our stdin is one.
Result<nlohmann::json> exec_process(const ContainerHandle& handle, const ExecRequest& request) {
  SIFKIT_TRY_ASSIGN(auto config, read_bundle_config(handle.bundle));
  nlohmann::json process = config.value("process", nlohmann::json::object());
  process["args"] = request.args;
  process["terminal"] = ::isatty(STDIN_FILENO) == 1;
  process.erase("consoleSize");
  if (!process.contains("env") || !process["env"].is_array()) {
    process["env"] = nlohmann::json::array();
  }
  for (const auto& entry : request.env) {
    if (entry.find('=') == std::string::npos || entry.front() == '=') {
      return fail(ErrorKind::usage, "--env " + entry + ": give KEY=VALUE");
    }
    set_env(process["env"], entry);
  }
  if (request.cwd) {
    if (request.cwd->empty() || request.cwd->front() != '/') {
      return fail(ErrorKind::usage, "--cwd " + *request.cwd + ": give an absolute path");
    }
    process["cwd"] = *request.cwd;
  }
  return process;
}

// An anonymous file holding `text`, inherited by the runtime, which reads it as
// /proc/self/fd/N: nothing to clean up when we are killed.
Result<UniqueFd> memory_file(const std::string& text) {
  UniqueFd fd(::memfd_create("process.json", MFD_CLOEXEC));
  if (!fd) {
    return fail_errno("creating the exec process file", errno);
  }
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return fail_errno("writing the exec process file", errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return fd;
}

} // namespace

bool valid_container_name(const std::string& name) {
  if (name.empty() || name.size() > 128 || !std::isalnum(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-' &&
        c != '+') {
      return false;
    }
  }
  return true;
}

bool container_exists(const ContainerHandle& handle) {
  struct stat st {};
  return ::stat((handle.runtime_root + "/" + handle.id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<Captured> runtime_verb(const ContainerHandle& handle, const std::vector<std::string>& args) {
  auto captured = run_captured(runtime_args(handle, args));
  if (!captured) {
    return std::unexpected(captured.error());
  }
  if (captured->status == 0) {
    return captured;
  }
  std::string verb = args.empty() ? "" : args.front();
  if (!container_exists(handle)) {
    return fail(ErrorKind::not_found, fmt::format("{} {}: the runtime has no container {}",
                                                  handle.runtime.name, verb, handle.id));
  }
  std::string message = fmt::format("{} {} {} failed: {}", handle.runtime.name, verb, handle.id,
                                    output_summary(*captured));
  if (verb != "state" && verb != "delete") {
    // A stopped container refuses kill, start, pause, ...: the caller's mistake, not ours.
    if (auto status = container_status(handle); status && *status == "stopped") {
      return fail(ErrorKind::conflict,
                  fmt::format("container {} is stopped ({})", handle.id, message));
    }
  }
  return fail(ErrorKind::io, message);
}

Result<std::string> container_state_text(const ContainerHandle& handle) {
  if (!container_exists(handle)) {
    return fail(ErrorKind::not_found, "the runtime has no container " + handle.id);
  }
  SIFKIT_TRY_ASSIGN(auto captured, runtime_verb(handle, {"state", handle.id}));
  return captured.out;
}

Result<std::string> container_status(const ContainerHandle& handle) {
  SIFKIT_TRY_ASSIGN(auto text, container_state_text(handle));
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object() || !json.contains("status") || !json["status"].is_string()) {
    return fail(ErrorKind::corrupt_input, fmt::format("{} state {}: no status in its output",
                                                      handle.runtime.name, handle.id));
  }
  return json["status"].get<std::string>();
}

Result<int> parse_signal(const std::string& text) {
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) {
    char* end = nullptr;
    long number = std::strtol(text.c_str(), &end, 10);
    if (*end == '\0' && number > 0 && number < NSIG) {
      return static_cast<int>(number);
    }
  } else {
    std::string name;
    for (char c : text) {
      name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (name.starts_with("SIG")) {
      name = name.substr(3);
    }
    for (int signal = 1; signal < NSIG && !name.empty(); ++signal) {
      const char* abbrev = sigabbrev_np(signal);
      if (abbrev != nullptr && name == abbrev) {
        return signal;
      }
    }
  }
  return fail(ErrorKind::usage,
              "unknown signal " + text + " (give a name such as TERM or KILL, or a number)");
}

Result<nlohmann::json> read_bundle_config(const std::string& bundle) {
  std::string path = bundle + "/config.json";
  // The bundle may be another user's directory: its config.json is no link, and capped.
  constexpr std::size_t k_max_config = std::size_t{4} << 20;
  auto root = open_directory(bundle);
  auto text = root ? read_file_below(*root, "config.json", k_max_config, Resolve::no_links)
                   : Result<std::string>(std::unexpected(root.error()));
  if (!text) {
    if (text.error().kind() == ErrorKind::not_found) {
      return fail(ErrorKind::not_found, bundle + " has no config.json");
    }
    return std::unexpected(text.error());
  }
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (!json.is_object()) {
    return fail(ErrorKind::corrupt_input, path + " is not a JSON object");
  }
  return json;
}

Result<int> exec_in_container(const ContainerHandle& handle, const ExecRequest& request) {
  if (request.args.empty()) {
    return fail(ErrorKind::usage, "give the command to run in the container");
  }
  SIFKIT_TRY_ASSIGN(auto status, container_status(handle));
  if (status != "running") {
    return fail(ErrorKind::conflict,
                fmt::format("container {} is {}, not running", handle.id, status));
  }
  SIFKIT_TRY_ASSIGN(auto process, exec_process(handle, request));
  SIFKIT_TRY_ASSIGN(auto fd, memory_file(process.dump()));
  // Handed on as the runtime's descriptor 3: it opens /proc/self/fd/3.
  return run_foreground(runtime_args(handle, {"exec", "--process", "/proc/self/fd/3", handle.id}),
                        {PassedFd{fd.get(), 3}});
}

} // namespace sifkit::runtime
