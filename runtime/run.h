#pragma once

// One container run, start to finish: open the OCI-SIF, mount it in a private mount
// namespace (when privileged), generate config.json, run it with crun or runc in the
// foreground, and undo every mount on every way out.
#include <common/error.h>
#include <runtime/launch/launch.h>
#include <runtime/mount/mount.h>
#include <runtime/spec/spec.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sifkit::runtime {

struct RunRequest {
  std::string image; // an OCI-SIF file
  RunOptions options;
  std::optional<std::string> runtime; // --runtime crun|runc|PATH; empty: automatic
  MountMethod method = MountMethod::automatic;
  std::function<void(std::string_view)> note; // notes for the user (may be empty)
  // Called once just before the runtime starts the container, with where it will be
  // (id, runtime, --root, bundle); may be empty. Instances record it.
  std::function<void(const ContainerHandle&)> on_launch;
};

// Runs the container `request` describes and returns its exit status (its exit code, or
// 128+N for signal N; 128+N too when signal N reached us before it started). Errors:
// those of open_run_image, mount_image, build_spec, select_runtime and run_runtime.
// Stale sessions of dead runs are cleaned first.
Result<int> run_image(const RunRequest& request);

} // namespace sifkit::runtime
