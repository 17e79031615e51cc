#pragma once

// Content digests as the cache keys blobs: an algorithm and its lower-case hex value.
// Only sha256 exists today; the algorithm is part of every key (file paths, index rows)
// so that another one can be added without renaming anything.

#include <common/error.h>

#include <compare>
#include <memory>
#include <string>
#include <string_view>

namespace sifkit::cache {

enum class DigestAlgorithm { sha256 };

// Returns the OCI name of `algorithm` ("sha256").
std::string_view to_string(DigestAlgorithm algorithm);

// A validated digest such as `sha256:9f86d0...`. Always well formed once constructed.
class Digest {
public:
  // Parses `text` (`<algorithm>:<hex>`); fails with `usage` naming `text` when the
  // algorithm is unknown or the hex part has the wrong length or characters.
  static Result<Digest> parse(std::string_view text);
  // Wraps `hex` (must be valid for `algorithm`; checked) into a digest.
  static Result<Digest> from_hex(DigestAlgorithm algorithm, std::string_view hex);

  DigestAlgorithm algorithm() const { return m_algorithm; }
  const std::string& hex() const { return m_hex; }
  // `sha256:<hex>`, the form stored in the index and shown to users.
  std::string text() const;
  // `sha256:<first 12 hex>`, for tables.
  std::string short_text() const;

  auto operator<=>(const Digest&) const = default;

private:
  friend class DigestHasher;
  Digest(DigestAlgorithm algorithm, std::string hex)
      : m_algorithm(algorithm), m_hex(std::move(hex)) {}

  DigestAlgorithm m_algorithm = DigestAlgorithm::sha256;
  std::string m_hex;
};

// Incremental hashing with the algorithm of a digest; `finish` returns the digest of
// everything fed to `update`.
class DigestHasher {
public:
  explicit DigestHasher(DigestAlgorithm algorithm);
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
Result<Digest> digest_of_file(const std::string& path, DigestAlgorithm algorithm);

} // namespace sifkit::cache

template <>
struct std::hash<sifkit::cache::Digest> {
  std::size_t operator()(const sifkit::cache::Digest& d) const noexcept {
    return std::hash<std::string>()(d.hex());
  }
};
