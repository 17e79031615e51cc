#include <common/process.h>
#include <common/program.h>
#include <common/secret.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <vector>

#include "image.h"
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

// sif-pull beside this program (installed), in the build tree's sibling directory, or on
// PATH.
std::optional<std::string> find_sif_pull() {
  std::array<char, PATH_MAX> self{};
  ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (n > 0) {
    std::string dir(self.data(), static_cast<std::size_t>(n));
    dir.resize(dir.rfind('/'));
    for (const std::string& candidate : {dir + "/sif-pull", dir + "/../sif-pull/sif-pull"}) {
      if (find_program(candidate)) {
        return candidate;
      }
    }
  }
  auto found = find_program("sif-pull");
  return found ? std::optional(*found) : std::nullopt;
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
  UniqueFd secret_fd;
  if (secret) {
    SIFKIT_TRY_ASSIGN(auto made, secret_file(*secret));
    secret_fd = std::move(made);
  }
  SpawnOptions spawn_options;
  spawn_options.out = Redirect::capture();
  if (secret_fd) {
    spawn_options.pass = {PassedFd{secret_fd.get(), k_creds_fd}};
  }
  SIFKIT_TRY_ASSIGN(auto captured, sifkit::run_captured(args, spawn_options));
  const ExitStatus& status = captured.status;
  if (status.success()) {
    return std::move(captured.out);
  }
  int code = status.shell_code();
  return fail(status.exited() ? kind_of_exit_code(code) : ErrorKind::internal,
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
