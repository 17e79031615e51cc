#include <common/bytes.h>
#include <common/sha256.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace sifkit {

struct Sha256::State {
  EVP_MD_CTX* ctx = nullptr;
  ~State() { EVP_MD_CTX_free(ctx); }
};

namespace {

// SHA-256 fetched from OpenSSL's providers once per process: EVP_sha256() looks the
// implementation up again on every initialisation. Also the first call into OpenSSL of
// most tools, which then leave OpenSSL's memory to the kernel at exit (no clean-up at
// exit: a short run spent ~0.2 ms freeing its tables).
const EVP_MD* sha256_algorithm() {
  static const EVP_MD* const k_md = [] {
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
    return EVP_MD_fetch(nullptr, "SHA256", nullptr);
  }();
  return k_md;
}

void init(EVP_MD_CTX* ctx) {
  const EVP_MD* md = sha256_algorithm();
  if (md == nullptr || EVP_DigestInit_ex(ctx, md, nullptr) != 1) {
    throw std::runtime_error("OpenSSL: SHA-256 initialisation failed");
  }
}

} // namespace

Sha256::Sha256() : m_state(std::make_unique<State>()) {
  m_state->ctx = EVP_MD_CTX_new();
  if (m_state->ctx == nullptr) {
    throw std::bad_alloc();
  }
  init(m_state->ctx);
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::span<const std::byte> data) {
  EVP_DigestUpdate(m_state->ctx, data.data(), data.size());
}

void Sha256::update(std::string_view data) {
  update(std::as_bytes(std::span(data)));
}

std::string Sha256::hex_digest() {
  std::array<std::byte, 32> md = digest();
  return to_hex(md);
}

std::array<std::byte, 32> Sha256::digest() {
  std::array<std::byte, EVP_MAX_MD_SIZE> md{};
  unsigned len = 0;
  EVP_DigestFinal_ex(m_state->ctx, reinterpret_cast<unsigned char*>(md.data()), &len);
  init(m_state->ctx);
  std::array<std::byte, 32> out{};
  std::copy_n(md.begin(), out.size(), out.begin());
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

} // namespace sifkit
