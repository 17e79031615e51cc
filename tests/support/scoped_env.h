#pragma once

// An environment variable set for a scope (tests only: the environment is process-wide,
// so no other thread may read it meanwhile).
#include <cstdlib>
#include <optional>
#include <string>

namespace sifkit::test {

// Sets `name` to `value` until destroyed, then restores the old value (or unsets it).
class ScopedEnv {
public:
  ScopedEnv(const char* name, const std::string& value) : m_name(name) {
    if (const char* old = std::getenv(name)) {
      m_old = old;
    }
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (m_old) {
      ::setenv(m_name, m_old->c_str(), 1);
    } else {
      ::unsetenv(m_name);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  const char* m_name;
  std::optional<std::string> m_old;
};

} // namespace sifkit::test
