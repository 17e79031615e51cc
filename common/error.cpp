#include <common/error.h>

#include <cerrno>
#include <cstring>

namespace sifkit {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::usage: return "usage";
  case ErrorKind::not_found: return "not_found";
  case ErrorKind::corrupt_input: return "corrupt_input";
  case ErrorKind::io: return "io";
  case ErrorKind::unsupported: return "unsupported";
  case ErrorKind::conflict: return "conflict";
  case ErrorKind::capacity: return "capacity";
  case ErrorKind::auth: return "auth";
  case ErrorKind::network: return "network";
  case ErrorKind::internal: return "internal";
  }
  return "internal";
}

int exit_code(ErrorKind kind) {
  // Documented in docs/exit-codes.md; 1 is left for "failure of unknown kind".
  switch (kind) {
  case ErrorKind::usage: return 2;
  case ErrorKind::not_found: return 3;
  case ErrorKind::corrupt_input: return 4;
  case ErrorKind::io: return 5;
  case ErrorKind::unsupported: return 6;
  case ErrorKind::conflict: return 7;
  case ErrorKind::capacity: return 8;
  case ErrorKind::auth: return 9;
  case ErrorKind::network: return 10;
  case ErrorKind::internal: return 70;
  }
  return 1;
}

Error::Error(ErrorKind kind, std::string message) : m_kind(kind), m_message(std::move(message)) {}

Error& Error::add_context(std::string line) {
  m_context.push_back(std::move(line));
  return *this;
}

Error&& Error::with_context(std::string line) && {
  add_context(std::move(line));
  return std::move(*this);
}

std::string Error::what() const {
  std::string out;
  for (auto it = m_context.rbegin(); it != m_context.rend(); ++it) {
    out += *it;
    out += ": ";
  }
  out += m_message;
  return out;
}

std::unexpected<Error> fail_errno(std::string what, int errno_value) {
  ErrorKind kind = errno_value == ENOENT ? ErrorKind::not_found : ErrorKind::io;
  return fail(kind, what + ": " + std::strerror(errno_value));
}

} // namespace sifkit
