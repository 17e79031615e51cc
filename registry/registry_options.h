#pragma once

// How to talk to a registry (docker://, oras://, http(s)://): the options sif-pull accepts
// for every transport and passes on; local transports ignore them.
#include <chrono>
#include <optional>
#include <string>

namespace sifkit::registry {

// The wait before the first retry of a failed request; each further retry waits twice as long.
inline constexpr std::chrono::milliseconds k_default_retry_delay{500};

struct RegistryOptions {
  std::optional<std::string> credentials; // --creds USER[:PASSWORD]
  std::optional<std::string> ca_cert;     // --ca-cert FILE: trust this CA bundle
  bool insecure = false;                  // --insecure: plain HTTP / unverified TLS
  // docker-daemon: the cache directory whose tmp/ holds the exported image while it is read
  std::optional<std::string> work_cache;
  // first back-off of a retried request, doubled each time ($SIFKIT_RETRY_DELAY_MS in sif-pull)
  std::chrono::milliseconds retry_delay = k_default_retry_delay;
};

} // namespace sifkit::registry
