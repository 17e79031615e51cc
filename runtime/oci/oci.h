#pragma once

// The public header of runtime/oci/. The OCI lifecycle (sif-run oci
// create/start/state/kill/delete/attach), with conmon.
//
// Other rooms of runtime/ and the tools include only this header of the room; the
// other headers in the folder are internal to it.
#include <common/error.h>
#include <runtime/launch/launch.h>

#include <optional>
#include <string>

namespace sifkit::runtime {

// The OCI lifecycle over a bundle (`sif-run oci create|start|state|kill|delete|attach|
// exec|pause|resume`): containers created through conmon, which holds their stdio (log
// file, attach socket) while they live, and records that let every later command find
// the runtime and bundle of an id. A container's record is state_root()/oci/<id>/:
// container.json, conmon.pid, container.pid, container.log (unless --log-path),
// conmon.log, exits/.

struct OciContainer {
  ContainerHandle handle;
  std::string state_dir; // state_root()/oci/<id>
  std::string log_path;  // the container's stdout and stderr (conmon's k8s-file format)
  std::string pid_file;  // the container's pid, written by conmon
  int pid = 0;           // the container's pid, when just created
};

struct OciCreateRequest {
  std::string id;
  std::string bundle;                  // a directory with config.json and rootfs/
  std::optional<std::string> runtime;  // crun|runc|PATH; empty: automatic
  std::optional<std::string> log_path; // default: <state_dir>/container.log
  std::optional<std::string> pid_file; // default: <state_dir>/container.pid
};

// Creates container `request.id` from its bundle with `<runtime> create` run by conmon
// (stdin held open for attach; a terminal when config.json's process.terminal is true),
// and records it. Returns when the container is "created". `usage` for an invalid id;
// `conflict` when the id exists or another container uses the bundle; `not_found` when
// conmon, the runtime or the bundle's config.json is missing; `io` carrying the
// runtime's message when creation fails (then nothing is left behind).
Result<OciContainer> oci_create(const OciCreateRequest& request);

// The record of container `id`. `not_found` ("no container ID") when there is none.
Result<OciContainer> oci_find(const std::string& id);

// Deletes container `id` (`<runtime> delete`, with --force when `force`), waits for its
// conmon to end, removes conmon's sockets from the bundle and the record. `conflict`
// when it is not stopped and `force` is false; errors of oci_find and runtime_verb.
// A record whose container the runtime no longer has is removed without complaint.
Result<void> oci_delete(const std::string& id, bool force);

// Connects our stdin, stdout and stderr to container `id`'s stdio through conmon's
// attach socket (stdin is passed on until it ends) until conmon closes the socket when the
// container ends, or the detach keys ctrl-p ctrl-q arrive on a terminal. `conflict` when the
// container has no attach socket (not running under conmon, or ended).
Result<void> oci_attach(const std::string& id);

// The id of the recorded container that uses `bundle` (a canonical path), if any.
std::optional<std::string> oci_container_of_bundle(const std::string& bundle);

} // namespace sifkit::runtime
