#include "image_ref.h"

#include <common/secret.h>
#include <runtime/launcher.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace sifkit::runtime {

namespace {

bool is_executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// sif-pull beside this program (installed), in the build tree's sibling directory, or on
// PATH.
std::optional<std::string> find_sif_pull() {
  std::array<char, PATH_MAX> self{};
  ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (n > 0) {
    std::string dir(self.data(), static_cast<std::size_t>(n));
    dir.resize(dir.rfind('/'));
    for (const std::string& candidate : {dir + "/sif-pull", dir + "/../sif-pull/sif-pull"}) {
      if (is_executable(candidate)) {
        return candidate;
      }
    }
  }
  return find_executable("sif-pull");
}

// The descriptor sif-pull reads the credentials from (a memory file, never its argv).
constexpr int k_creds_fd = 3;

// sif-pull's arguments. The printed OCI-SIF stays leased to this process (--lease-parent),
// so a concurrent gc or clean cannot remove it before the run opens it.
std::vector<std::string> sif_pull_arguments(const std::string& program, const std::string& image,
                                            const ImageRefOptions& options) {
  std::vector<std::string> args = {program, "--sif-path", "--lease-parent"};
  const std::pair<const char*, const std::optional<std::string>*> valued[] = {
      {"--cache", &options.cache_dir},
      {"--platform", &options.platform},
      {"--ca-cert", &options.ca_cert},
  };
  for (const auto& [flag, value] : valued) {
    if (*value) {
      args.insert(args.end(), {flag, **value});
    }
  }
  if (options.credentials) {
    args.insert(args.end(), {"--creds-fd", std::to_string(k_creds_fd)});
  }
  if (options.insecure) {
    args.emplace_back("--insecure");
  }
  if (!options.note) {
    args.emplace_back("--quiet");
  }
  args.insert(args.end(), {"--", image});
  return args;
}

ErrorKind kind_of_exit_code(int code) {
  for (ErrorKind kind : {ErrorKind::usage, ErrorKind::not_found, ErrorKind::corrupt_input,
                         ErrorKind::io, ErrorKind::unsupported, ErrorKind::conflict,
                         ErrorKind::capacity, ErrorKind::auth, ErrorKind::network}) {
    if (exit_code(kind) == code) {
      return kind;
    }
  }
  return ErrorKind::internal;
}

// Runs `args` with stdout captured (stderr shared: sif-pull's notes and errors reach the
// user as they happen) and `secret`, when given, readable on descriptor k_creds_fd;
// returns its output, or its failure.
Result<std::string> run_capturing(const std::vector<std::string>& args,
                                  const std::optional<std::string>& secret) {
  int secret_fd = -1;
  if (secret) {
    auto made = secret_file(*secret);
    if (!made) {
      return std::unexpected(made.error());
    }
    secret_fd = *made;
  }
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    int saved = errno;
    if (secret_fd >= 0) {
      ::close(secret_fd);
    }
    return fail_errno("pipe", saved);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  if (secret_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, secret_fd, k_creds_fd);
  }
  std::vector<char*> argv;
  for (const auto& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (secret_fd >= 0) {
    ::close(secret_fd);
  }
  if (rc != 0) {
    ::close(out[0]);
    return fail_errno("starting " + args[0], rc);
  }
  std::string text;
  std::array<char, 4096> buffer{};
  for (;;) {
    ssize_t n = ::read(out[0], buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    text.append(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return text;
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return fail(WIFEXITED(status) ? kind_of_exit_code(code) : ErrorKind::internal,
              fmt::format("sif-pull exit status {}", code));
}

} // namespace

bool is_image_file(const std::string& image) {
  struct stat st {};
  return ::stat(image.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<std::string> resolve_image(const std::string& image, const ImageRefOptions& options) {
  if (is_image_file(image)) {
    return image;
  }
  // No reference starts with '/' or '.', and a name ending in .sif without a transport is
  // meant as a file.
  bool file_name = image.starts_with('/') || image.starts_with('.') ||
                   (image.ends_with(".sif") && image.find(':') == std::string::npos);
  if (file_name) {
    return fail(ErrorKind::not_found, image + ": no such file");
  }
  auto program = find_sif_pull();
  if (!program) {
    return fail(ErrorKind::not_found,
                image + " is not a file, and sif-pull (which pulls references) was found neither "
                        "beside this program nor on PATH");
  }
  auto output = run_capturing(sif_pull_arguments(*program, image, options), options.credentials);
  if (!output) {
    return fail(output.error().kind(), fmt::format("no OCI-SIF for {} ({}; its message is above)",
                                                   image, output.error().message()));
  }
  while (!output->empty() && (output->back() == '\n' || output->back() == '\r')) {
    output->pop_back();
  }
  if (output->empty() || output->find('\n') != std::string::npos) {
    return fail(ErrorKind::internal, "sif-pull --sif-path printed no single path for " + image);
  }
  return *output;
}

} // namespace sifkit::runtime
