#include <common/digest.h>
#include <common/file.h>
#include <common/sha256.h>

#include <cerrno>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace sifkit {

namespace {

constexpr std::size_t k_sha256_hex_length = 64;

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

} // namespace

std::string_view to_string(DigestAlgorithm algorithm) {
  switch (algorithm) {
  case DigestAlgorithm::sha256:
    return "sha256";
  }
  return "sha256";
}

static std::string quoted(std::string_view text) {
  constexpr std::size_t k_max = 80; // hostile inputs can be long
  return "\"" + std::string(text.substr(0, k_max)) + (text.size() > k_max ? "...\"" : "\"");
}

Digest::Digest(DigestAlgorithm algorithm, std::string hex)
    : m_algorithm(algorithm), m_hex(std::move(hex)),
      m_text(std::string(to_string(algorithm)) + ":" + m_hex) {}

Result<Digest> Digest::from_hex(DigestAlgorithm algorithm, std::string_view hex) {
  if (hex.size() != k_sha256_hex_length || !is_lower_hex(hex)) {
    return fail(ErrorKind::corrupt_input, "invalid " + std::string(to_string(algorithm)) +
                                              " digest " + quoted(hex) +
                                              " (want 64 lower-case hex digits)");
  }
  return Digest(algorithm, std::string(hex));
}

Result<Digest> Digest::parse(std::string_view text) {
  auto colon = text.find(':');
  bool known = colon != std::string_view::npos && text.substr(0, colon) == "sha256";
  if (!known || !from_hex(DigestAlgorithm::sha256, text.substr(colon + 1))) {
    return fail(ErrorKind::corrupt_input,
                "invalid digest " + quoted(text) + " (want sha256:<64 lower-case hex digits>)");
  }
  return Digest(DigestAlgorithm::sha256, std::string(text.substr(colon + 1)));
}

Digest Digest::of(std::string_view data) {
  DigestHasher hasher(DigestAlgorithm::sha256);
  hasher.update(data);
  return hasher.finish();
}

std::string Digest::short_text() const {
  return std::string(to_string(m_algorithm)) + ":" + m_hex.substr(0, 12);
}

struct DigestHasher::State {
  Sha256 sha256;
};

DigestHasher::DigestHasher(DigestAlgorithm algorithm)
    : m_algorithm(algorithm), m_state(std::make_unique<State>()) {}
DigestHasher::~DigestHasher() = default;
DigestHasher::DigestHasher(DigestHasher&&) noexcept = default;
DigestHasher& DigestHasher::operator=(DigestHasher&&) noexcept = default;

void DigestHasher::update(std::string_view bytes) {
  m_state->sha256.update(bytes);
}

Digest DigestHasher::finish() {
  return Digest(m_algorithm, m_state->sha256.hex_digest());
}

Result<Digest> digest_of_file(const std::string& path, DigestAlgorithm algorithm) {
  // A regular file only: a FIFO or a device (/dev/zero) would never end.
  SIFKIT_TRY_ASSIGN(auto file, File::open(path, OpenMode::read_only));
  int fd = file.fd();
  DigestHasher hasher(algorithm);
  std::vector<char> buffer(std::size_t{1} << 20);
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n == 0) {
      break;
    }
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail_errno("cannot read " + path, errno);
    }
    hasher.update({buffer.data(), static_cast<std::size_t>(n)});
  }
  return hasher.finish();
}

} // namespace sifkit
