#include <common/sha256.h>
#include <sif/oci_blob_source.h>

#include <memory>

namespace sifkit::oci {

namespace {

struct VerifyState {
  ByteSource inner;
  Digest digest;
  std::optional<std::int64_t> expected_size;
  std::string name;
  Sha256 hash;
  std::int64_t seen = 0;
  bool verified = false;
  std::optional<Error> failure; // repeated on every later read
};

// One read of the verifying stream; the caller makes failures sticky.
Result<std::size_t> verified_read(VerifyState& s, std::span<std::byte> buf) {
  auto n = s.inner(buf);
  if (!n) {
    return n;
  }
  s.seen += static_cast<std::int64_t>(*n);
  if (s.expected_size && s.seen > *s.expected_size) {
    return fail(ErrorKind::corrupt_input, s.name + " " + s.digest.text() + " is larger than " +
                                              std::to_string(*s.expected_size) + " bytes");
  }
  if (*n > 0) {
    s.hash.update(std::span<const std::byte>(buf.data(), *n));
    return n;
  }
  if (s.expected_size && s.seen != *s.expected_size) {
    return fail(ErrorKind::corrupt_input, s.name + " " + s.digest.text() + " is " +
                                              std::to_string(s.seen) + " bytes, expected " +
                                              std::to_string(*s.expected_size));
  }
  std::string actual = s.hash.hex_digest();
  if (actual != s.digest.hex()) {
    return fail(ErrorKind::corrupt_input, s.name + " " + s.digest.text() +
                                              " does not match its content (sha256:" + actual +
                                              ")");
  }
  s.verified = true;
  return std::size_t{0};
}

} // namespace

ByteSource verified_source(ByteSource inner, Digest digest,
                           std::optional<std::int64_t> expected_size, std::string name) {
  auto state = std::make_shared<VerifyState>();
  state->inner = std::move(inner);
  state->digest = std::move(digest);
  state->expected_size = expected_size;
  state->name = std::move(name);
  return [state](std::span<std::byte> buf) -> Result<std::size_t> {
    if (state->failure) {
      return std::unexpected(*state->failure);
    }
    if (state->verified) {
      return std::size_t{0};
    }
    auto n = verified_read(*state, buf);
    if (!n) {
      state->failure = n.error();
    }
    return n;
  };
}

Result<std::string> read_verified_blob(const BlobSource& source, const Digest& digest,
                                       std::optional<std::int64_t> expected_size,
                                       std::int64_t max_bytes) {
  SIFKIT_TRY_ASSIGN(auto blob, source.open_blob(digest));
  if (blob.size > max_bytes || (expected_size && *expected_size > max_bytes)) {
    return fail(ErrorKind::corrupt_input, "blob " + digest.text() + " is larger than " +
                                              std::to_string(max_bytes) + " bytes");
  }
  ByteSource in = verified_source(std::move(blob.source), digest, expected_size, "blob");
  std::string out;
  std::byte buf[64 * 1024];
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto n, in(buf));
    if (n == 0) {
      return out;
    }
    if (static_cast<std::int64_t>(out.size() + n) > max_bytes) {
      return fail(ErrorKind::corrupt_input, "blob " + digest.text() + " is larger than " +
                                                std::to_string(max_bytes) + " bytes");
    }
    out.append(reinterpret_cast<const char*>(buf), n);
  }
}

Digest MemoryBlobSource::add(std::string data) {
  Digest digest = Digest::of(data);
  m_blobs.emplace(digest, std::move(data));
  return digest;
}

Result<BlobStream> MemoryBlobSource::open_blob(const Digest& digest) const {
  auto it = m_blobs.find(digest);
  if (it == m_blobs.end()) {
    return fail(ErrorKind::not_found, "blob " + digest.text() + " not found");
  }
  return BlobStream{source_from_string(it->second), static_cast<std::int64_t>(it->second.size())};
}

Result<BlobStream> ChainBlobSource::open_blob(const Digest& digest) const {
  for (const BlobSource* source : m_sources) {
    auto blob = source->open_blob(digest);
    if (blob || blob.error().kind() != ErrorKind::not_found) {
      return blob;
    }
  }
  return fail(ErrorKind::not_found, "blob " + digest.text() + " not found");
}

} // namespace sifkit::oci
