#pragma once

// The source flags sif-squash and sif-pull share (--platform, --cache, --creds, --ca-cert,
// --insecure), turned into the one convert::ReferenceOptions both tools pass to
// convert/reference_sif.h, with the tool's notes on stderr.
#include <convert/reference_sif.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sifkit::tools {

struct ReferenceFlags {
  std::optional<std::string> platform;  // --platform os/arch[/variant]
  std::optional<std::string> cache_dir; // --cache
  std::optional<std::string> credentials;
  std::optional<std::string> ca_cert;
  bool insecure = false;
  // the first retry's back-off (sif-pull: $SIFKIT_RETRY_DELAY_MS); the registry default if unset
  std::optional<std::chrono::milliseconds> retry_delay;
};

// The registry options `flags` ask for.
registry::RegistryOptions registry_options(const ReferenceFlags& flags);

// What a tool tells on stderr while it resolves a reference.
enum class ReferenceNotes {
  none,     // --quiet
  warnings, // lock waits and the offline fallback
  steps,    // those, and each long step ("pulling X", "converted X to OCI-SIF D")
};

// The options `flags` ask for: notes printed as "`tool`: TEXT" as `notes` says, a network
// error handled as `offline` says.
convert::ReferenceOptions reference_options(const ReferenceFlags& flags, std::string_view tool,
                                            ReferenceNotes notes, convert::WhenOffline offline);

} // namespace sifkit::tools
