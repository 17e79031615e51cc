#include <convert/gzip_source.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <isa-l/igzip_lib.h>

namespace sifkit::convert {

namespace {

constexpr std::size_t k_input_buffer = 256 * 1024;
constexpr std::byte k_magic1{0x1f};
constexpr std::byte k_magic2{0x8b};
constexpr std::byte k_method_deflate{0x08};

class GzipInflater {
public:
  GzipInflater(ByteSource compressed, std::string name)
      : m_source(std::move(compressed)), m_name(std::move(name)), m_input(k_input_buffer) {
    start_member();
  }

  Result<std::size_t> read(std::span<std::byte> out) {
    if (out.empty()) {
      return 0;
    }
    for (;;) {
      if (m_state.block_state == ISAL_BLOCK_FINISH) {
        SIFKIT_TRY_ASSIGN(bool another, next_member_follows());
        if (!another) {
          return 0;
        }
        start_member();
      }
      if (m_state.avail_in == 0 && !m_eof) {
        SIFKIT_TRY(refill());
      }
      std::size_t want = std::min<std::size_t>(out.size(), k_max_chunk);
      m_state.next_out = reinterpret_cast<std::uint8_t*>(out.data());
      m_state.avail_out = static_cast<std::uint32_t>(want);
      int rc = isal_inflate(&m_state);
      if (rc < 0) {
        return corrupt(rc);
      }
      std::size_t produced = want - m_state.avail_out;
      if (produced > 0) {
        return produced;
      }
      if (m_state.block_state != ISAL_BLOCK_FINISH && m_state.avail_in == 0 && m_eof) {
        return fail(ErrorKind::corrupt_input,
                    fmt::format("{}: the gzip stream ends inside a member (truncated)", m_name));
      }
    }
  }

private:
  // Far below the 4 GiB ISA-L's counters hold.
  static constexpr std::size_t k_max_chunk = std::size_t{1} << 30;

  void start_member() {
    isal_inflate_init(&m_state);
    m_state.crc_flag = ISAL_GZIP;
    m_state.next_in = m_next;
    m_state.avail_in = m_avail;
  }

  Result<void> refill() {
    SIFKIT_TRY_ASSIGN(auto n, m_source(m_input));
    if (n == 0) {
      m_eof = true;
    }
    m_state.next_in = reinterpret_cast<std::uint8_t*>(m_input.data());
    m_state.avail_in = static_cast<std::uint32_t>(n);
    return {};
  }

  // After a member: whether another one starts in the bytes that follow (its first three
  // bytes are gzip's), keeping whatever was read for it.
  Result<bool> next_member_follows() {
    auto* unread = reinterpret_cast<const std::byte*>(m_state.next_in);
    std::vector<std::byte> head(unread, unread + m_state.avail_in);
    while (head.size() < 3 && !m_eof) {
      SIFKIT_TRY(refill());
      head.insert(head.end(), reinterpret_cast<std::byte*>(m_state.next_in),
                  reinterpret_cast<std::byte*>(m_state.next_in) + m_state.avail_in);
    }
    if (!looks_like_gzip(head)) {
      return false;
    }
    // `head` holds the unread input: put it back at the front of the buffer.
    if (head.size() > m_input.size()) {
      m_input.resize(head.size());
    }
    std::memcpy(m_input.data(), head.data(), head.size());
    m_next = reinterpret_cast<std::uint8_t*>(m_input.data());
    m_avail = static_cast<std::uint32_t>(head.size());
    return true;
  }

  std::unexpected<Error> corrupt(int rc) const {
    const char* what = "damaged deflate data";
    switch (rc) {
    case ISAL_INVALID_WRAPPER:
      what = "a damaged gzip header";
      break;
    case ISAL_UNSUPPORTED_METHOD:
      what = "a gzip member not compressed with deflate";
      break;
    case ISAL_INCORRECT_CHECKSUM:
      what = "a gzip member whose checksum does not match its content";
      break;
    default:
      break;
    }
    return fail(ErrorKind::corrupt_input, fmt::format("{}: {} (ISA-L error {})", m_name, what, rc));
  }

  ByteSource m_source;
  std::string m_name;
  std::vector<std::byte> m_input;
  inflate_state m_state{};
  std::uint8_t* m_next = nullptr; // the unread input a new member starts with
  std::uint32_t m_avail = 0;
  bool m_eof = false;
};

} // namespace

bool looks_like_gzip(std::span<const std::byte> head) {
  return head.size() >= 3 && head[0] == k_magic1 && head[1] == k_magic2 &&
         head[2] == k_method_deflate;
}

ByteSource inflate_gzip(ByteSource compressed, std::string name) {
  auto inflater = std::make_shared<GzipInflater>(std::move(compressed), std::move(name));
  return [inflater](std::span<std::byte> out) { return inflater->read(out); };
}

ByteSource prepend_bytes(std::vector<std::byte> head, ByteSource rest) {
  auto state = std::make_shared<std::pair<std::vector<std::byte>, std::size_t>>(std::move(head), 0);
  return [state, rest = std::move(rest)](std::span<std::byte> out) -> Result<std::size_t> {
    auto& [bytes, at] = *state;
    if (at < bytes.size()) {
      std::size_t n = std::min(out.size(), bytes.size() - at);
      std::memcpy(out.data(), bytes.data() + at, n);
      at += n;
      return n;
    }
    return rest(out);
  };
}

} // namespace sifkit::convert
