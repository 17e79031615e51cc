#pragma once

// The user namespace a plain account runs in (--fakeroot, and plain runs when the caller
// has subuid ranges): this process unshares a user namespace and a mount namespace, a
// helper forked before (so still outside) writes the maps with newuidmap/newgidmap (or
// the process writes its single-id map itself), and the process carries on as 0:0 there
// with a full capability set. Every mount made afterwards (squashfuse, overlay, tmpfs)
// belongs to that mount namespace and goes away with its last process, however the run
// ends.
#include <common/error.h>
#include <runtime/fakeroot.h>

#include <cstdint>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::runtime {

// Moves the calling process, which must have one thread, into a new user and mount
// namespace with `plan`'s maps and makes it 0:0 there, its mounts slaves of the host's.
// `unsupported` when the kernel refuses the namespace (naming the sysctl to check), `io`
// when a map cannot be written (with newuidmap's own message); after a failed map the
// process is in an unusable namespace and must give up the run.
Result<void> enter_user_namespace(const FakerootPlan& plan, const FakerootSources& sources);

// Whether `uid_map` (the text of /proc/PID/uid_map) is the initial user namespace's
// identity map of every id.
bool is_initial_uid_map(std::string_view uid_map);

// Whether this process runs in a user namespace other than the initial one (its root is
// then no root of the host's: no loop devices, overlayfs only on kernels from 5.11).
bool in_user_namespace();

// The namespace planned for the calling process and the helpers that map it.
struct CallerNamespace {
  FakerootPlan plan;
  FakerootSources sources;
};

// Plans the caller's namespace: checks the sysctls, then maps from the caller's
// /etc/subuid and /etc/subgid ranges, with newuidmap/newgidmap from PATH. Errors as
// check_user_namespaces and plan_fakeroot.
Result<CallerNamespace> plan_caller_namespace();

// Gives the container of `spec` (config.json) a user namespace of its own inside the
// caller's namespace planned as `plan`, in which its process user is the caller's ids
// again (caller_map_inside): so files the container writes into host directories belong
// to the caller. Supplementary groups the map lacks are dropped.
// `unsupported` when the caller has no subuid ranges and `runtime_name` is runc, which
// refuses a container user namespace without a root mapping, and the container's user is
// not root.
Result<void> map_container_to_caller(nlohmann::json& spec, const FakerootPlan& plan,
                                     std::uint32_t caller_uid, std::uint32_t caller_gid,
                                     const std::string& runtime_name);

} // namespace sifkit::runtime
