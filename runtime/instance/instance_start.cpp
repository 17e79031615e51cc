// Starting an instance: the supervisor is forked from the starting command (which has
// already resolved the image and parsed the flags), detaches into a session of its own
// and runs the container with run_image; the starting command waits until the container
// runs, then leaves it to the supervisor.
#include <common/file.h>
#include <runtime/instance/instance.h>
#include <runtime/instance/instance_files.h>
#include <runtime/session/session.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <thread>

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

constexpr int k_supervisor_failed = 125;

std::string now_rfc3339() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
}

// In the forked supervisor: detach, run the container, remove the record when it ends.
[[noreturn]] void supervise(const std::string& dir, InstanceRecord record, RunRequest request,
                            int lock_fd, int out_fd, int err_fd) {
  ::setsid();
  int null_fd = ::open("/dev/null", O_RDONLY);
  ::dup2(null_fd, STDIN_FILENO);
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(err_fd, STDERR_FILENO);
  // Nothing of the starting command stays open for the instance's life (its pipes, a
  // cache lock), except the instance lock.
  ::close_range(STDERR_FILENO + 1, static_cast<unsigned>(lock_fd) - 1, 0);
  ::close_range(static_cast<unsigned>(lock_fd) + 1, ~0U, 0);
  record.supervisor_pid = ::getpid();
  request.note = [](std::string_view text) { fmt::print(stderr, "sif-run: {}\n", text); };
  request.on_launch = [&dir, &record](const ContainerHandle& container) {
    record.container = container;
    if (auto written = write_instance_record(dir, record); !written) {
      fmt::print(stderr, "sif-run: {}\n", written.error().what());
    }
  };
  auto status = run_image(request);
  ::unlink((dir + "/instance.json").c_str());
  int code = k_supervisor_failed;
  if (!status) {
    fmt::print(stderr, "sif-run: instance {}: {}\n", record.name, status.error().what());
  } else {
    fmt::print(stderr, "sif-run: instance {}: the container ended with status {}\n", record.name,
               *status);
    code = *status;
  }
  std::fflush(nullptr);
  ::_exit(code);
}

Result<UniqueFd> open_log(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) {
    return fail_errno("opening " + path, errno);
  }
  return fd;
}

std::string failure_text(const InstanceRecord& record) {
  std::string tail = file_tail(record.err_log, 5);
  return tail.empty() ? fmt::format("(nothing in {})", record.err_log)
                      : fmt::format("{} ends with:\n{}", record.err_log, tail);
}

// Waits until the container of `supervisor` runs, or the supervisor ends, or `timeout`.
Result<InstanceRecord> wait_until_running(const std::string& dir, const InstanceRecord& started,
                                          pid_t supervisor, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(supervisor, &status, WNOHANG) == supervisor) {
      return fail(ErrorKind::io, fmt::format("instance {} ended before it was seen running; {}",
                                             started.name, failure_text(started)));
    }
    if (auto record = read_instance_record(dir); record) {
      if (auto state = container_status(record->container); state && *state == "running") {
        return record;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(supervisor, SIGTERM);
      return fail(ErrorKind::io, fmt::format("instance {} did not start within {} s (told it to "
                                             "stop); {}",
                                             started.name, timeout.count(), failure_text(started)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

} // namespace

Result<InstanceRecord> start_instance(const std::string& name, RunRequest request,
                                      std::chrono::seconds timeout) {
  if (!valid_instance_name(name)) {
    return fail(ErrorKind::usage, "invalid instance name " + name +
                                      " (letters, digits and _.- , starting with a letter or "
                                      "digit)");
  }
  SIFKIT_TRY_ASSIGN(auto root, state_root());
  std::string dir = instance_dir(root, name);
  SIFKIT_TRY(make_private_dirs(dir));
  auto lock = take_instance_lock(dir, true);
  if (!lock) {
    if (lock.error().kind() == ErrorKind::conflict) {
      return fail(ErrorKind::conflict, "an instance named " + name + " is already running");
    }
    return std::unexpected(lock.error());
  }
  // A record left by a supervisor killed outright: its run session is swept by run_image.
  ::unlink((dir + "/instance.json").c_str());
  auto image = real_path(request.image);
  InstanceRecord record{name,
                        image ? *image : request.image,
                        now_rfc3339(),
                        0,
                        {},
                        dir + "/out.log",
                        dir + "/err.log"};
  SIFKIT_TRY_ASSIGN(auto out_fd, open_log(record.out_log));
  SIFKIT_TRY_ASSIGN(auto err_fd, open_log(record.err_log));
  std::fflush(nullptr);
  // Forked, not spawned: the supervisor runs the container in this program, and outlives
  // this process.
  pid_t pid = ::fork();
  if (pid == 0) {
    supervise(dir, record, std::move(request), lock->get(), out_fd.get(), err_fd.get());
  }
  int fork_error = errno;
  out_fd.reset();
  err_fd.reset();
  lock->reset(); // the supervisor's copy keeps the lock
  if (pid < 0) {
    return fail_errno("starting the supervisor of instance " + name, fork_error);
  }
  return wait_until_running(dir, record, pid, timeout);
}

} // namespace sifkit::runtime
