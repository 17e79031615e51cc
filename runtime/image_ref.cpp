#include "image_ref.h"

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

std::vector<std::string> sif_pull_arguments(const std::string& program, const std::string& image,
                                            const ImageRefOptions& options) {
  std::vector<std::string> args = {program, "--sif-path"};
  const std::pair<const char*, const std::optional<std::string>*> valued[] = {
      {"--cache", &options.cache_dir},
      {"--platform", &options.platform},
      {"--creds", &options.credentials},
      {"--ca-cert", &options.ca_cert},
  };
  for (const auto& [flag, value] : valued) {
    if (*value) {
      args.insert(args.end(), {flag, **value});
    }
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
// user as they happen); returns its output, or its failure.
Result<std::string> run_capturing(const std::vector<std::string>& args) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    return fail_errno("pipe", errno);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::vector<char*> argv;
  for (const auto& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
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
  auto output = run_capturing(sif_pull_arguments(*program, image, options));
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
