#include "loop_device.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

// LOOP_CTL_GET_FREE hands the same free device to every caller that asks at once; all but
// one of them then find it taken (EBUSY) and ask again. With a hundred runs starting
// together a fixed number of attempts is not enough, so retrying is bounded by time.
constexpr std::chrono::seconds k_attach_deadline{30};
constexpr std::chrono::milliseconds k_longest_backoff{50};

// A short, growing, jittered pause so that the losers of one race do not meet again.
void back_off(int attempt) {
  thread_local std::minstd_rand random{std::random_device{}()};
  auto ceiling = std::min<std::chrono::milliseconds::rep>(k_longest_backoff.count(),
                                                          1LL << std::min(attempt, 6));
  std::uniform_int_distribution<long> pause_us(0, ceiling * 1000);
  std::this_thread::sleep_for(std::chrono::microseconds(pause_us(random)));
}

std::unexpected<Error> loop_failure(const std::string& what, int errno_value) {
  if (errno_value == EPERM || errno_value == EACCES) {
    return fail(ErrorKind::unsupported,
                what + ": " + std::strerror(errno_value) +
                    " (loop devices need root; use the FUSE method: squashfuse)");
  }
  return fail_errno(what, errno_value);
}

loop_info64 status_for(const std::string& file, std::int64_t offset, std::int64_t size,
                       LoopAccess access) {
  loop_info64 info{};
  info.lo_offset = static_cast<std::uint64_t>(offset);
  info.lo_sizelimit = static_cast<std::uint64_t>(size);
  info.lo_flags = LO_FLAGS_AUTOCLEAR;
  if (access == LoopAccess::read_only) {
    info.lo_flags |= LO_FLAGS_READ_ONLY;
  }
  // What losetup shows; the kernel reports the real backing file in sysfs.
  std::strncpy(reinterpret_cast<char*>(info.lo_file_name), file.c_str(), LO_NAME_SIZE - 1);
  return info;
}

// Binds `backing` to the open loop device `loop`. Returns 0 or the errno of the failure;
// EBUSY means another process bound the device first.
int configure(int loop, int backing, const loop_info64& info) {
  loop_config config{};
  config.fd = static_cast<std::uint32_t>(backing);
  config.info = info;
  if (::ioctl(loop, LOOP_CONFIGURE, &config) == 0) {
    return 0;
  }
  if (errno != EINVAL && errno != ENOTTY) {
    return errno;
  }
  // Before Linux 5.8: two steps. The device is read-only because `backing` is.
  if (::ioctl(loop, LOOP_SET_FD, backing) != 0) {
    return errno;
  }
  if (::ioctl(loop, LOOP_SET_STATUS64, &info) != 0) {
    int saved = errno;
    ::ioctl(loop, LOOP_CLR_FD, 0);
    return saved;
  }
  return 0;
}

} // namespace

void LoopDevice::close() {
  m_fd.reset();
}

bool loop_devices_usable() {
  if (::geteuid() != 0) {
    return false;
  }
  UniqueFd control(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  return control.valid();
}

Result<LoopDevice> attach_loop_device(const std::string& file, std::int64_t offset,
                                      std::int64_t size) {
  return attach_loop_device(file, offset, size, LoopAccess::read_only);
}

Result<LoopDevice> attach_loop_device(const std::string& file, std::int64_t offset,
                                      std::int64_t size, LoopAccess access) {
  int backing_mode = access == LoopAccess::read_only ? O_RDONLY : O_RDWR;
  UniqueFd backing(::open(file.c_str(), backing_mode | O_CLOEXEC));
  if (!backing) {
    return fail_errno("opening " + file, errno);
  }
  UniqueFd control(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!control) {
    if (errno == ENOENT) {
      return fail(ErrorKind::unsupported,
                  "/dev/loop-control is missing (load the loop module, or use the FUSE method)");
    }
    return loop_failure("opening /dev/loop-control", errno);
  }
  loop_info64 info = status_for(file, offset, size, access);
  auto deadline = std::chrono::steady_clock::now() + k_attach_deadline;
  int attempt = 0;
  for (; attempt == 0 || std::chrono::steady_clock::now() < deadline; ++attempt) {
    if (attempt > 0) {
      back_off(attempt);
    }
    int number = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (number < 0) {
      return loop_failure("finding a free loop device", errno);
    }
    std::string path = fmt::format("/dev/loop{}", number);
    UniqueFd loop(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!loop && (errno == EACCES || errno == EROFS)) {
      loop.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    }
    if (!loop) {
      if (errno == ENXIO) {
        continue; // the device went away again
      }
      return loop_failure("opening " + path, errno);
    }
    int result = configure(loop.get(), backing.get(), info);
    if (result == EBUSY) {
      continue; // another process took it between GET_FREE and our configure
    }
    if (result != 0) {
      return loop_failure(fmt::format("attaching {} at offset {} to {}", file, offset, path),
                          result);
    }
    LoopDevice device;
    device.m_fd = std::move(loop);
    device.m_path = std::move(path);
    return device;
  }
  return fail(ErrorKind::io, fmt::format("attaching {}: every free loop device was taken by "
                                         "another process ({} attempts in {} s)",
                                         file, attempt, k_attach_deadline.count()));
}

} // namespace sifkit::runtime
