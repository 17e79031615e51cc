#pragma once

// The spec generator: from an image config, the run options and the host context to an
// OCI runtime-spec config.json, matching SingularityCE's OCI mode flag by flag.
#include <common/error.h>
#include <runtime/host.h>
#include <runtime/run_options.h>
#include <sif/oci_config.h>

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::runtime {

struct SpecInputs {
  const oci::ImageConfig* image = nullptr; // its config: ENTRYPOINT, CMD, ENV, USER, ...
  const RunOptions* options = nullptr;
  const HostContext* host = nullptr;
  std::string rootfs; // the mounted image (read: /etc/passwd, /etc/group, /var/tmp link)
  // A private directory of the run (on tmpfs or disk) where the generator writes the
  // files it binds into the container: passwd, group, resolv.conf, hosts, libs/.
  std::string files_dir;
  // Warnings for the user (e.g. --nv on a host without a GPU); may be empty.
  std::function<void(std::string_view)> note;
};

// Builds the config.json for `inputs` with "root": {"path": "rootfs"}: the process
// (args, env, cwd, user, capabilities, terminal), the mounts, the namespaces, the
// hostname and the annotations. Writes the bound files into `inputs.files_dir`.
// `usage` for contradictory or malformed options (a bind whose source is missing, a
// relative destination, an unknown capability with --add-caps), `not_found` when the
// image's USER names a user the container's /etc/passwd lacks, `io` when a file cannot
// be written.
Result<nlohmann::json> build_spec(const SpecInputs& inputs);

} // namespace sifkit::runtime
