#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace sifkit {

// The kind of a failure: what callers branch on, and what a tool maps to its exit code.
enum class ErrorKind {
  usage,         // the caller asked for something malformed (bad argument, bad option)
  not_found,     // a file, object, blob or reference does not exist
  corrupt_input, // input that is truncated, malformed or maliciously manipulated
  io,            // the operating system failed a read, write, open, ...
  unsupported,   // well-formed input that this version does not handle
  conflict,      // the operation contradicts existing state (e.g. a second primary partition)
  capacity,      // a fixed-size resource is exhausted (e.g. no free descriptor slot)
  auth,          // credentials missing or refused
  network,       // a remote endpoint could not be reached or misbehaved
  internal,      // a broken invariant inside sifkit
};

// Returns the stable lower-case name of `kind` (e.g. "corrupt_input").
std::string_view to_string(ErrorKind kind);

// Returns the process exit code the tools use for `kind` (0 is never returned).
int exit_code(ErrorKind kind);

// A failure: a kind, the innermost message, and the context lines that callers added on
// the way up (outermost last).
class Error {
public:
  Error(ErrorKind kind, std::string message);

  ErrorKind kind() const { return m_kind; }
  const std::string& message() const { return m_message; }
  const std::vector<std::string>& context() const { return m_context; }

  // Adds one line of context (e.g. "reading descriptor 3 of x.sif") and returns *this.
  Error& add_context(std::string line);
  Error&& with_context(std::string line) &&;

  // The whole chain, outermost context first: "ctx2: ctx1: message".
  std::string what() const;

private:
  ErrorKind m_kind;
  std::string m_message;
  std::vector<std::string> m_context;
};

template <typename T>
using Result = std::expected<T, Error>;

// Shorthand for `std::unexpected(Error(kind, message))`.
inline std::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return std::unexpected(Error(kind, std::move(message)));
}

// Builds an `io` error from `errno_value` (e.g. "open x.sif: No such file or directory");
// ENOENT becomes `not_found`.
std::unexpected<Error> fail_errno(std::string what, int errno_value);

// Adds `line` as context to the error of `result`, if any, and returns it.
template <typename T>
Result<T> with_context(Result<T>&& result, std::string line) {
  if (!result) {
    result.error().add_context(std::move(line));
  }
  return std::move(result);
}

} // namespace sifkit

// Passing an error on, as ccache's TRY does. In a function that returns a Result:
//   SIFKIT_TRY(write_file_atomic(path, text));        // returns its error, if any
//   SIFKIT_TRY_ASSIGN(auto header, read_header(file)); // declares `header` from the value
//   SIFKIT_TRY(with_context(open_layer(n), "layer 2")); // the error with a line of context
#define SIFKIT_TRY(expr)                                                                   \
  do {                                                                                     \
    if (auto&& sifkit_try_result = (expr); !sifkit_try_result) {                           \
      return std::unexpected(std::move(sifkit_try_result).error());                        \
    }                                                                                      \
  } while (false)

#define SIFKIT_TRY_ASSIGN(declaration, expr)                                               \
  SIFKIT_TRY_ASSIGN_WITH(SIFKIT_TRY_JOIN(sifkit_try_, __LINE__), declaration, expr)
#define SIFKIT_TRY_ASSIGN_WITH(result, declaration, expr)                                  \
  auto result = (expr);                                                                    \
  if (!result) {                                                                           \
    return std::unexpected(std::move(result).error());                                     \
  }                                                                                        \
  declaration = std::move(*result)
#define SIFKIT_TRY_JOIN(a, b) SIFKIT_TRY_JOIN_TOKENS(a, b)
#define SIFKIT_TRY_JOIN_TOKENS(a, b) a##b
