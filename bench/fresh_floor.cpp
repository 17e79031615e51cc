// The floor of a container run that mounts its image afresh, for bench/run.sh: only the
// essentials, no checks, no records, no clean-up code. A private mount namespace, a tmpfs
// for the bundle, the squashfs layer on an autoclear loop device at its offset in the SIF,
// an overlay over it (nosuid,nodev), the bundle's config.json copied in, `RUNTIME run`,
// and exit: the namespace takes the mounts and the loop device with it.
//   fresh_floor DIR IMAGE.sif OFFSET CONFIG.json RUNTIME ID
// DIR is an empty directory, the bundle's place (its tmpfs is in the private namespace
// only, so DIR stays empty for the next run); CONFIG.json must name its root "rootfs".
// Needs root. Exits with the runtime's status.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/loop.h>
#include <sched.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "fresh_floor: %s: %s\n", what, std::strerror(errno));
  std::exit(125);
}

void check(bool ok, const char* what) {
  if (!ok) {
    die(what);
  }
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: fresh_floor DIR IMAGE.sif OFFSET CONFIG.json RUNTIME ID\n");
    return 2;
  }
  check(::unshare(CLONE_NEWNS) == 0, "unshare");
  check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, "private /");
  const char* dir = argv[1];
  std::string d = dir;
  check(::mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") == 0, "tmpfs");
  for (const char* sub : {"/layer", "/upper", "/work", "/rootfs"}) {
    check(::mkdir((d + sub).c_str(), 0755) == 0, "mkdir");
  }
  int control = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  check(control >= 0, "/dev/loop-control");
  int number = ::ioctl(control, LOOP_CTL_GET_FREE);
  check(number >= 0, "LOOP_CTL_GET_FREE");
  std::string device = "/dev/loop" + std::to_string(number);
  int loop = ::open(device.c_str(), O_RDONLY | O_CLOEXEC);
  int image = ::open(argv[2], O_RDONLY | O_CLOEXEC);
  check(loop >= 0 && image >= 0, "open loop device or image");
  loop_config config{};
  config.fd = static_cast<unsigned>(image);
  config.info.lo_offset = std::strtoull(argv[3], nullptr, 10);
  config.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
  check(::ioctl(loop, LOOP_CONFIGURE, &config) == 0, "LOOP_CONFIGURE");
  check(::mount(device.c_str(), (d + "/layer").c_str(), "squashfs", MS_RDONLY | MS_NOSUID | MS_NODEV,
                nullptr) == 0,
        "mount squashfs");
  ::close(loop); // autoclear: the device goes with the last mount
  ::close(image);
  std::string options = "lowerdir=" + d + "/layer,upperdir=" + d + "/upper,workdir=" + d + "/work";
  check(::mount("overlay", (d + "/rootfs").c_str(), "overlay", MS_NOSUID | MS_NODEV,
                options.c_str()) == 0,
        "mount overlay");
  int in = ::open(argv[4], O_RDONLY | O_CLOEXEC);
  int out = ::open((d + "/config.json").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  check(in >= 0 && out >= 0, "open config.json");
  char buffer[65536];
  for (ssize_t n; (n = ::read(in, buffer, sizeof buffer)) != 0;) {
    check(n > 0 && ::write(out, buffer, static_cast<size_t>(n)) == n, "copy config.json");
  }
  ::close(in);
  ::close(out);
  pid_t child = ::fork();
  check(child >= 0, "fork");
  if (child == 0) {
    ::execlp(argv[5], argv[5], "run", "--bundle", dir, argv[6], static_cast<char*>(nullptr));
    die("exec runtime");
  }
  int status = 0;
  check(::waitpid(child, &status, 0) == child, "waitpid");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
