#pragma once

// Content digests: an algorithm and its lower-case hex value, written `sha256:<hex>`.
// Only sha256 exists today; the algorithm is part of every digest (cache keys, file
// paths, OCI descriptors, SIF extra areas) so that another can be added later.

#include <common/error.h>

#include <compare>
#include <memory>
#include <string>
#include <string_view>

namespace sifkit {

enum class DigestAlgorithm { sha256 };

// Returns the OCI name of `algorithm` ("sha256").
std::string_view to_string(DigestAlgorithm algorithm);

// A validated digest such as `sha256:9f86d0...`. Once parsed it is well formed, so its
// hex part can safely name a file. A default-constructed Digest is empty and matches
// no content.
class Digest {
public:
  Digest() = default;
  // Parses `text` (`<algorithm>:<hex>`); `corrupt_input` naming `text` (cut to 80
  // bytes) when the algorithm is unknown or the hex part has the wrong length or case.
  static Result<Digest> parse(std::string_view text);
  // Wraps `hex` (checked) into a digest of `algorithm`.
  static Result<Digest> from_hex(DigestAlgorithm algorithm, std::string_view hex);
  static Result<Digest> from_hex(std::string_view hex) {
    return from_hex(DigestAlgorithm::sha256, hex);
  }
  // The sha256 digest of `data`.
  static Digest of(std::string_view data);

  DigestAlgorithm algorithm() const { return m_algorithm; }
  const std::string& hex() const { return m_hex; }
  // `sha256:<hex>`, the form stored in indexes and descriptors and shown to users.
  const std::string& text() const { return m_text; }
  // `sha256:<first 12 hex>`, for tables.
  std::string short_text() const;
  bool empty() const { return m_text.empty(); }

  bool operator==(const Digest& other) const { return m_text == other.m_text; }
  auto operator<=>(const Digest& other) const { return m_text <=> other.m_text; }

private:
  friend class DigestHasher;
  Digest(DigestAlgorithm algorithm, std::string hex);

  DigestAlgorithm m_algorithm = DigestAlgorithm::sha256;
  std::string m_hex;
  std::string m_text;
};

// Incremental hashing with the algorithm of a digest; `finish` returns the digest of
// everything fed to `update`.
class DigestHasher {
public:
  explicit DigestHasher(DigestAlgorithm algorithm = DigestAlgorithm::sha256);
  ~DigestHasher();
  DigestHasher(DigestHasher&&) noexcept;
  DigestHasher& operator=(DigestHasher&&) noexcept;

  void update(std::string_view bytes);
  Digest finish();

private:
  struct State;
  DigestAlgorithm m_algorithm;
  std::unique_ptr<State> m_state;
};

// Hashes the whole file `path` with `algorithm`; fails with `not_found`/`io`.
Result<Digest> digest_of_file(const std::string& path,
                              DigestAlgorithm algorithm = DigestAlgorithm::sha256);

} // namespace sifkit

template <>
struct std::hash<sifkit::Digest> {
  std::size_t operator()(const sifkit::Digest& d) const noexcept {
    return std::hash<std::string>()(d.text());
  }
};
