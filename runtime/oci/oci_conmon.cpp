#include "oci_conmon.h"

#include <common/file.h>
#include <common/path_fd.h>
#include <common/program.h>
#include <runtime/launch/launch.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

constexpr int k_sync_timeout_ms = 30'000;

// The message conmon sends on the sync pipe: {"data": PID} once the runtime created the
// container, {"data": -1, "message": "..."} when it failed.
Result<int> read_sync_message(int fd, const std::string& runtime) {
  pollfd p{fd, POLLIN, 0};
  int ready = 0;
  while ((ready = ::poll(&p, 1, k_sync_timeout_ms)) < 0 && errno == EINTR) {
  }
  if (ready == 0) {
    return fail(ErrorKind::io,
                fmt::format("conmon sent nothing within {} s", k_sync_timeout_ms / 1000));
  }
  char buffer[8192];
  ssize_t n = ::recv(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0) {
    return fail(ErrorKind::io, "conmon ended before " + runtime + " created the container");
  }
  auto json =
      nlohmann::json::parse(std::string(buffer, static_cast<std::size_t>(n)), nullptr, false);
  if (!json.is_object() || !json.contains("data") || !json["data"].is_number_integer()) {
    return fail(ErrorKind::io, "conmon sent an unexpected message: " +
                                   std::string(buffer, static_cast<std::size_t>(n)));
  }
  int pid = json["data"].get<int>();
  if (pid <= 0) {
    std::string message = json.value("message", "");
    Captured captured{0, message, ""};
    return fail(ErrorKind::io, fmt::format("{} create failed: {}", runtime,
                                           message.empty() ? std::string("no message")
                                                           : output_summary(captured)));
  }
  return pid;
}

std::vector<std::string> conmon_args(const std::string& conmon, const OciContainer& c,
                                     bool terminal) {
  // clang-format off
  std::vector<std::string> args{
      conmon, "--api-version", "1",
      "--cid", c.handle.id, "--name", c.handle.id, "--cuuid", c.handle.id,
      "--runtime", c.handle.runtime.path, "--bundle", c.handle.bundle,
      "--container-pidfile", c.pid_file, "--conmon-pidfile", c.state_dir + "/conmon.pid",
      "--log-path", "k8s-file:" + c.log_path, "--exit-dir", c.state_dir + "/exits",
      // The attach socket is <bundle>/attach; stdin stays open across attaches.
      "--full-attach", "--stdin", "--leave-stdin-open",
      "--runtime-arg", "--root", "--runtime-arg", c.handle.runtime_root};
  // clang-format on
  if (terminal) {
    args.emplace_back("--terminal");
  }
  return args;
}

// The most read of a /proc/PID/comm or a pid file.
constexpr std::size_t k_max_small_file = 4096;
// The most read of conmon's log for an error message.
constexpr std::size_t k_max_conmon_log = std::size_t{1} << 20;

bool is_conmon(int pid) {
  auto comm = read_file(fmt::format("/proc/{}/comm", pid), k_max_small_file);
  return comm && comm->starts_with("conmon");
}

// conmon's first process exits non-zero when it cannot start (bad arguments).
std::unexpected<Error> conmon_failure(const OciContainer& c, int status) {
  auto log = read_file(c.state_dir + "/conmon.log", k_max_conmon_log);
  Captured captured{status, "", log ? *log : ""};
  return fail(ErrorKind::io,
              fmt::format("conmon failed (exit {}): {}", status, output_summary(captured)));
}

} // namespace

Result<int> start_conmon(const OciContainer& c, bool terminal) {
  auto conmon = find_program("conmon");
  if (!conmon) {
    return fail(ErrorKind::not_found, "conmon is not installed (Debian package conmon)");
  }
  SIFKIT_TRY_ASSIGN(
      auto pair, with_context(make_socket_pair(SOCK_SEQPACKET), "creating conmon's sync socket"));
  DetachedSpawn spawn{conmon_args(*conmon, c, terminal),
                      c.state_dir + "/conmon.log",
                      pair.second.get(),
                      {"_OCI_SYNCPIPE=3"}};
  auto child = spawn_detached(spawn);
  pair.second.reset();
  if (!child) {
    return std::unexpected(child.error());
  }
  // conmon forks its monitor and exits; the monitor reports on the sync socket.
  auto exited = child->wait();
  int status = exited ? exited->shell_code() : 128 + SIGKILL;
  return status == 0 ? read_sync_message(pair.first.get(), c.handle.runtime.name)
                     : conmon_failure(c, status);
}

void wait_for_conmon(const std::string& state_dir) {
  auto text = read_file(state_dir + "/conmon.pid", k_max_small_file);
  if (!text) {
    return;
  }
  int pid = std::atoi(text->c_str());
  if (pid <= 0) {
    return;
  }
  for (int i = 0; i < 100 && is_conmon(pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (is_conmon(pid)) {
    ::kill(pid, SIGKILL);
  }
}

void remove_conmon_files(const std::string& bundle) {
  // Through the bundle directory opened without links: a link swapped in on its path
  // never makes this remove names elsewhere.
  auto dir = open_directory_without_links(bundle, ErrorKind::conflict);
  if (!dir) {
    return;
  }
  for (const char* name : {"attach", "ctl", "winsz"}) {
    struct stat st {};
    if (::fstatat(dir->fd(), name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode))) {
      ::unlinkat(dir->fd(), name, 0);
    }
  }
}

} // namespace sifkit::runtime
