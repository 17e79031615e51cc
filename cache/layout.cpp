#include <cache/layout.h>
#include <common/unique_fd.h>

#include <atomic>
#include <cerrno>
#include <random>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::cache {

namespace {

Result<void> make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail_errno("cannot create " + path, errno);
  }
  return {};
}

} // namespace

Result<void> Layout::create_directories() const {
  for (const std::string& dir : {m_root + "/blobs", blob_directory(DigestAlgorithm::sha256),
                                 m_root + "/locks", temp_directory()}) {
    SIFKIT_TRY(make_directory(dir));
  }
  std::string locks = lock_file(DigestAlgorithm::sha256);
  UniqueFd fd(::open(locks.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) {
    return fail_errno("cannot create " + locks, errno);
  }
  return {};
}

std::string Layout::blob_directory(DigestAlgorithm algorithm) const {
  return m_root + "/blobs/" + std::string(to_string(algorithm));
}

std::string Layout::lock_file(DigestAlgorithm algorithm) const {
  return m_root + "/locks/" + std::string(to_string(algorithm)) + ".lock";
}

std::string Layout::blob_path(const Digest& digest) const {
  return blob_directory(digest.algorithm()) + "/" + digest.hex();
}

std::string Layout::new_temp_path(const Digest& digest) const {
  // The pid and a per-process counter make the name unique; the random part keeps it
  // unique across pid reuse after a crash left an old temp file behind.
  static std::atomic<unsigned> counter{0};
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("{}/{}-{}.{}.{:x}{:x}", temp_directory(), to_string(digest.algorithm()),
                     digest.hex(), ::getpid(), counter.fetch_add(1), random() & 0xffffffff);
}

std::optional<Digest> digest_of_temp_name(std::string_view name) {
  auto dash = name.find('-');
  auto dot = name.find('.');
  if (dash == std::string_view::npos || dot == std::string_view::npos || dot < dash ||
      name.substr(0, dash) != "sha256") {
    return std::nullopt;
  }
  auto digest = Digest::from_hex(DigestAlgorithm::sha256, name.substr(dash + 1, dot - dash - 1));
  return digest ? std::optional<Digest>(*digest) : std::nullopt;
}

} // namespace sifkit::cache
