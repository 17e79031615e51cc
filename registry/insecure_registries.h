#pragma once

// Registries that may be reached over plain HTTP or without TLS verification because a
// configuration file names them, as Docker's daemon.json does:
//   {"insecure-registries": ["registry.lan:5000", "10.0.0.7"]}
// Files read (all that exist count): $SIFKIT_REGISTRIES_CONF when set (then only that
// one), else $XDG_CONFIG_HOME/sifkit/registries.json (~/.config/...),
// /etc/sifkit/registries.json and /etc/docker/daemon.json.
#include <common/error.h>

#include <string>
#include <string_view>
#include <vector>

namespace sifkit::registry {

// The files consulted, in order, for this environment.
std::vector<std::string> insecure_registry_files();

// The hosts ("host" or "host:port") file `path` lists as insecure; an empty list when
// the file does not exist. `usage` naming the file for malformed JSON or a non-string
// entry, `io`.
Result<std::vector<std::string>> read_insecure_registries(const std::string& path);

// Whether `host` ("host[:port]", as in a reference) is listed by any of the files.
Result<bool> registry_listed_insecure(std::string_view host);

} // namespace sifkit::registry
