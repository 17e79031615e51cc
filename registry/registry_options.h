#pragma once

// How to talk to a registry (docker://, oras://, http(s)://): the options sif-pull accepts
// for every transport and passes on; local transports ignore them.
#include <optional>
#include <string>

namespace sifkit::registry {

struct RegistryOptions {
  std::optional<std::string> credentials; // --creds USER[:PASSWORD]
  std::optional<std::string> ca_cert;     // --ca-cert FILE: trust this CA bundle
  bool insecure = false;                  // --insecure: plain HTTP / unverified TLS
  // docker-daemon: the cache directory whose tmp/ holds the exported image while it is read
  std::optional<std::string> work_cache;
};

} // namespace sifkit::registry
