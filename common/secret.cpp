#include <common/secret.h>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace sifkit {

void hide_option_values(int argc, char** argv, std::initializer_list<std::string_view> options) {
  auto blank = [](char* text) { std::memset(text, 'x', std::strlen(text)); };
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    for (std::string_view option : options) {
      if (word == option && i + 1 < argc) {
        blank(argv[i + 1]);
      } else if (word.size() > option.size() && word.starts_with(option) &&
                 word[option.size()] == '=') {
        blank(argv[i] + option.size() + 1);
      }
    }
  }
}

Result<std::string> read_secret(int fd, SecretEnd end) {
  std::string secret;
  char buffer[4096];
  for (;;) {
    std::size_t want = end == SecretEnd::end_of_line ? 1 : sizeof buffer;
    ssize_t n = ::read(fd, buffer, want);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail_errno("reading credentials from descriptor " + std::to_string(fd), errno);
    }
    if (n == 0) {
      break;
    }
    if (end == SecretEnd::end_of_line && buffer[0] == '\n') {
      secret += '\n';
      break;
    }
    secret.append(buffer, static_cast<std::size_t>(n));
    if (secret.size() > k_max_secret_bytes + 2) {
      ::explicit_bzero(secret.data(), secret.size());
      return fail(ErrorKind::capacity, "the credentials read from descriptor " +
                                           std::to_string(fd) + " exceed " +
                                           std::to_string(k_max_secret_bytes) + " bytes");
    }
  }
  if (secret.ends_with('\n')) {
    secret.pop_back();
    if (secret.ends_with('\r')) {
      secret.pop_back();
    }
  }
  if (secret.empty()) {
    return fail(ErrorKind::usage,
                "no credentials could be read from descriptor " + std::to_string(fd));
  }
  if (secret.size() > k_max_secret_bytes) {
    ::explicit_bzero(secret.data(), secret.size());
    return fail(ErrorKind::capacity, "the credentials read from descriptor " + std::to_string(fd) +
                                         " exceed " + std::to_string(k_max_secret_bytes) +
                                         " bytes");
  }
  return secret;
}

Result<UniqueFd> secret_file(std::string_view secret) {
  UniqueFd owner(::memfd_create("sifkit-secret", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!owner) {
    return fail_errno("memfd_create", errno);
  }
  int memfd = owner.get();
  auto failed = [](const char* what) { return fail_errno(what, errno); };
  for (std::size_t done = 0; done < secret.size();) {
    ssize_t n = ::write(memfd, secret.data() + done, secret.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return failed("writing a secret to a memory file");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::lseek(memfd, 0, SEEK_SET) != 0 ||
      ::fcntl(memfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0) {
    return failed("sealing a secret's memory file");
  }
  UniqueFd moved(::fcntl(memfd, F_DUPFD_CLOEXEC, 10));
  if (!moved) {
    return failed("moving a secret's memory file");
  }
  return moved;
}

} // namespace sifkit
