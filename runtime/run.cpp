#include "run.h"

#include <common/file.h>
#include <common/unique_fd.h>
#include <runtime/cgroup/cgroup.h>
#include <runtime/identity/identity.h>
#include <runtime/image/image.h>
#include <runtime/launch/launch.h>
#include <runtime/session/session.h>
#include <runtime/spec/spec.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

void tell(const RunRequest& request, const std::string& text) {
  if (request.note) {
    request.note(text);
  }
}

// With SIFKIT_TRACE_PHASES set, the wall time of each phase of a run and the CPU time
// sif-run's own process spent in it (user + system, children not counted) on stderr
// (docs/sif-run.md); else nothing.
class PhaseTimer {
public:
  PhaseTimer() : m_on(std::getenv("SIFKIT_TRACE_PHASES") != nullptr) {
    if (m_on) {
      m_last_cpu = own_cpu_ms();
      fmt::print(stderr, "sif-run phase start-up: cpu {:.2f} ms\n", m_last_cpu);
    }
  }
  // Prints the time since the previous mark (or since the timer was made) as `phase`'s.
  void mark(std::string_view phase) {
    if (!m_on) {
      return;
    }
    auto now = Clock::now();
    double cpu = own_cpu_ms();
    std::chrono::duration<double, std::milli> spent = now - m_last;
    std::chrono::duration<double, std::milli> total = now - m_start;
    fmt::print(stderr,
               "sif-run phase {}: {:.2f} ms (total {:.2f} ms), cpu {:.2f} ms (total {:.2f} ms)\n",
               phase, spent.count(), total.count(), cpu - m_last_cpu, cpu);
    m_last = now;
    m_last_cpu = cpu;
  }

private:
  using Clock = std::chrono::steady_clock;
  // The CPU time this process has used since it started, in ms.
  static double own_cpu_ms() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
    return ms(usage.ru_utime) + ms(usage.ru_stime);
  }
  bool m_on;
  Clock::time_point m_start = Clock::now();
  Clock::time_point m_last = m_start;
  double m_last_cpu = 0;
};

// Where a root run's mounts live: a mount namespace of its own, or the host's when none
// could be made.
struct PrivateMounts {
  bool entered = false; // in a mount namespace of our own
  UniqueFd host;        // entered: the host's mount namespace, to go back to at the end
};

// As root, our mounts go into a mount namespace of our own: invisible to the host, and
// gone with the last process in it even when sif-run is killed. Host mounts still
// propagate in (slave).
PrivateMounts enter_private_mount_namespace(const RunRequest& request) {
  PrivateMounts out;
  out.host.reset(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
  if (::unshare(CLONE_NEWNS) != 0) {
    tell(request,
         fmt::format("mounting in the host's mount namespace (unshare: {})", std::strerror(errno)));
    out.host.reset();
    return out;
  }
  out.entered = true;
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
    tell(request, fmt::format("mount propagation unchanged ({})", std::strerror(errno)));
  }
  return out;
}

// Undoes the mounts and removes the session however the run ends. Mounts in a mount
// namespace of our own are left to the kernel: a root run goes back to the host's
// namespace, ours dies with its last process and the kernel detaches everything in it
// (loop devices autoclear); a plain account, which cannot go back, detaches the two trees
// that hold every mount (the root filesystem and the scratch tmpfs) in one call each.
// FUSE daemons are then waited for, so that none outlives the run. Nothing is unmounted
// one by one unless the scratch files could not have a tmpfs of their own.
class SessionCleanup {
public:
  SessionCleanup(RunSession& session, const RunRequest& request, PhaseTimer& timer)
      : m_session(&session), m_request(&request), m_timer(&timer) {}
  SessionCleanup(const SessionCleanup&) = delete;
  SessionCleanup& operator=(const SessionCleanup&) = delete;
  ~SessionCleanup() {
    undo_mounts();
    m_timer->mark("unmount");
    if (auto removed = m_session->remove(); !removed) {
      tell(*m_request, removed.error().what());
    }
    m_timer->mark("remove session");
  }
  void set_record(MountRecord record) { m_record = std::move(record); }
  // The host's mount namespace, when the mounts are in one of our own that a root run can
  // leave (else empty), and the scratch tmpfs mounted in our namespace (empty when none).
  void set_private_mounts(UniqueFd host, std::string scratch) {
    m_host_mounts = std::move(host);
    m_scratch = std::move(scratch);
  }

private:
  void undo_mounts() {
    bool fuse = m_record && std::any_of(m_record->entries.begin(), m_record->entries.end(),
                                        [](const MountEntry& e) { return is_fuse(e.kind); });
    if (m_scratch.empty()) {
      // Scratch files in the session directory: every mount is undone by hand, then the
      // namespace (if any) is left.
      unmount_record();
      leave_namespace();
      return;
    }
    if (fuse || !m_host_mounts) {
      // In our own namespace every mount lies below the root filesystem or the scratch
      // tmpfs; no other process can have moved or replaced them.
      ::umount2(m_session->rootfs().c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
      ::umount2(m_scratch.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
      if (m_record) {
        stop_fuse_daemons(*m_record);
      }
    }
    leave_namespace();
  }

  // Back in the host's namespace, ours dies and the kernel detaches the rest.
  void leave_namespace() {
    if (!m_host_mounts || ::setns(m_host_mounts.get(), CLONE_NEWNS) == 0) {
      return;
    }
    unmount_record(); // still in ours, which the host may see: undone by hand after all
    if (!m_scratch.empty()) {
      ::umount2(m_scratch.c_str(), MNT_DETACH);
    }
  }

  void unmount_record() {
    if (!m_record) {
      return;
    }
    if (auto undone = unmount_all(*m_record); !undone) {
      tell(*m_request, undone.error().what());
    }
  }

  RunSession* m_session;
  const RunRequest* m_request;
  PhaseTimer* m_timer;
  std::optional<MountRecord> m_record;
  UniqueFd m_host_mounts;
  std::string m_scratch;
};

// Unprivileged, the container needs a user namespace in which the caller is the
// container's user: its uid and gid map to the caller's, nothing else is mapped (so no
// supplementary groups). The runtime then runs rootless.
void map_caller_into_user_namespace(nlohmann::json& spec) {
  auto& linux_part = spec["linux"];
  auto& namespaces = linux_part["namespaces"];
  bool have_user = false;
  for (const auto& ns : namespaces) {
    have_user = have_user || ns.value("type", "") == "user";
  }
  if (!have_user) {
    namespaces.push_back({{"type", "user"}});
  }
  auto& user = spec["process"]["user"];
  std::uint32_t uid = user.value("uid", 0u);
  std::uint32_t gid = user.value("gid", 0u);
  linux_part["uidMappings"] =
      nlohmann::json::array({{{"containerID", uid}, {"hostID", ::getuid()}, {"size", 1}}});
  linux_part["gidMappings"] =
      nlohmann::json::array({{{"containerID", gid}, {"hostID", ::getgid()}, {"size", 1}}});
  user.erase("additionalGids");
}

// Where run_image mounts and runs: a private mount namespace (root), a user namespace of
// the caller's (runtime/identity/identity.h) where the caller is root and the container is root
// (--fakeroot) or the caller again (a container user namespace inside), or the host's
// namespaces when a plain account cannot have a user namespace of its own.
enum class RunNamespace { host, private_mounts, fakeroot, caller };

struct EnteredNamespace {
  RunNamespace kind = RunNamespace::host;
  FakerootPlan plan; // kind fakeroot or caller: the namespace's maps
  // kind private_mounts: the host's mount namespace when ours could be made (the mounts
  // then need no record on disk: no other process sees them).
  PrivateMounts private_mounts;
};

// A plain account mounts and runs as root of a user namespace of its own, with its own
// mount namespace (SingularityCE's way): kernel overlay and tmpfs work there, and every
// mount vanishes with it; without subuid ranges it maps the caller alone. Root needs no
// user namespace, with --fakeroot either: it is root already (SingularityCE would map
// root's own subuid ranges; that would only hide root's files behind a mapping).
Result<EnteredNamespace> enter_run_namespace(const RunRequest& request) {
  if (::geteuid() == 0) {
    return EnteredNamespace{
        RunNamespace::private_mounts, {}, enter_private_mount_namespace(request)};
  }
  bool fakeroot = request.options.fakeroot;
  auto planned = plan_caller_namespace();
  if (!planned && !fakeroot) {
    return EnteredNamespace{};
  }
  if (!planned) {
    return std::unexpected(planned.error());
  }
  if (fakeroot && !planned->plan.warning.empty()) {
    tell(request, "warning: " + planned->plan.warning);
  }
  SIFKIT_TRY(enter_user_namespace(planned->plan, planned->sources));
  return EnteredNamespace{fakeroot ? RunNamespace::fakeroot : RunNamespace::caller,
                          std::move(planned->plan)};
}

// Whether the run mounts in a mount namespace of its own (root's, or the one that comes
// with a plain account's user namespace): no other process sees those mounts, and they
// go with the namespace.
bool has_own_mount_namespace(const EnteredNamespace& run_namespace) {
  return run_namespace.private_mounts.entered || run_namespace.kind == RunNamespace::fakeroot ||
         run_namespace.kind == RunNamespace::caller;
}

// Where a run keeps its scratch files (layer mount points, the overlay's directories, the
// generated /etc files): in a mount namespace of its own, a tmpfs in the session
// directory that goes with the namespace (nothing to remove from the host's file system);
// else the session directory itself.
std::string scratch_dir(const RunSession& session, const EnteredNamespace& run_namespace) {
  if (!has_own_mount_namespace(run_namespace)) {
    return session.dir();
  }
  std::string scratch = session.dir() + "/scratch";
  // Room for the generated /etc files (the image's passwd and group are read up to 4 MiB).
  if (::mkdir(scratch.c_str(), 0700) != 0 ||
      ::mount("tmpfs", scratch.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=32m") != 0) {
    return session.dir();
  }
  return scratch;
}

Result<bool> write_spec(const RunImage& image, const RunRequest& request, const RunSession& session,
                        const std::string& scratch, const Result<HostContext>& host,
                        const EnteredNamespace& run_namespace, const OciRuntime& runtime,
                        const std::string& state_root) {
  if (!host) {
    return std::unexpected(host.error());
  }
  std::string files = scratch + "/files";
  if (::mkdir(files.c_str(), 0755) != 0) {
    return fail_errno("creating " + files, errno);
  }
  SpecInputs inputs{&image.config, &request.options, &*host, session.rootfs(), files};
  inputs.note = request.note;
  SIFKIT_TRY_ASSIGN(auto spec, build_spec(inputs));
  switch (run_namespace.kind) {
  case RunNamespace::fakeroot:
    // Root of our own user namespace: the container shares it (no inner one), and the
    // host's cgroup hierarchies are not ours to create groups in.
    break;
  case RunNamespace::caller:
    SIFKIT_TRY(
        map_container_to_caller(spec, run_namespace.plan, host->uid, host->gid, runtime.name));
    break;
  case RunNamespace::host: // a plain account without a user namespace of its own
    map_caller_into_user_namespace(spec);
    break;
  case RunNamespace::private_mounts: // root
    // A cgroup of its own under every hierarchy, found by the container's id.
    spec["linux"]["cgroupsPath"] = container_cgroups_path(session.id());
    break;
  }
  if (runtime.name == "crun") {
    attach_compiled_seccomp(spec, state_root + "/seccomp", runtime.path);
  }
  SIFKIT_TRY(write_file_atomic(session.bundle() + "/config.json", spec.dump(2) + "\n",
                               Durability::unsynced));
  return spec.value("/process/terminal"_json_pointer, false);
}

} // namespace

Result<int> run_image(const RunRequest& request) {
  PhaseTimer timer;
  SIFKIT_TRY_ASSIGN(auto image, open_run_image(request.image));
  timer.mark("open image");
  block_forwarded_signals();
  SIFKIT_TRY_ASSIGN(auto root, state_root());
  if (auto swept = sweep_stale_runs(root); !swept) {
    tell(request, swept.error().what());
  }
  timer.mark("sweep");
  SIFKIT_TRY_ASSIGN(auto cgroups, detect_cgroups());
  SIFKIT_TRY_ASSIGN(auto runtime, select_runtime(request.runtime, cgroups, request.note));
  timer.mark("select runtime");
  SIFKIT_TRY_ASSIGN(auto session, RunSession::create(root));
  SessionCleanup cleanup(session, request, timer);
  timer.mark("create session");
  // The caller as the host knows it, before a user namespace makes it root.
  auto host = probe_host();
  timer.mark("probe host");
  SIFKIT_TRY_ASSIGN(auto run_namespace, enter_run_namespace(request));
  timer.mark("enter namespace");

  MountOptions mount_options;
  mount_options.method = request.method;
  // Always an overlay: the runtime creates missing mount points in it before it turns the
  // root read-only (root.readonly) for --read-only.
  mount_options.writable = Writable::tmpfs;
  mount_options.tmpfs_size_mb = request.options.tmpfs_size_mb;
  mount_options.overlays = request.options.overlays;
  mount_options.image_overlay = request.options.image_overlay;
  if (has_own_mount_namespace(run_namespace)) {
    mount_options.recording = MountRecording::in_memory;
  }
  std::string scratch = scratch_dir(session, run_namespace);
  cleanup.set_private_mounts(std::move(run_namespace.private_mounts.host),
                             scratch == session.dir() ? std::string() : scratch);
  SIFKIT_TRY_ASSIGN(auto record, mount_image(image, session.rootfs(), scratch, mount_options));
  cleanup.set_record(record);
  timer.mark("mount");

  SIFKIT_TRY_ASSIGN(auto terminal, write_spec(image, request, session, scratch, host, run_namespace,
                                              runtime, root));
  timer.mark("write spec");
  std::string runtime_root = runtime_state_dir(root, runtime.name);
  SIFKIT_TRY(make_private_dirs(runtime_root));
  SIFKIT_TRY(session.record_runtime(runtime, runtime_root));
  if (int signal = 0; forwarded_signal_pending(signal)) {
    return 128 + signal; // asked to stop before the container started
  }
  if (request.on_launch) {
    request.on_launch(ContainerHandle{session.id(), runtime, runtime_root, session.bundle()});
  }
  Launch launch{
      runtime, runtime_root, session.bundle(), session.id(), session.dir() + "/runtime.log",
      terminal};
  timer.mark("record runtime");
  auto status = run_runtime(launch);
  timer.mark("runtime run");
  struct stat st {};
  if (::stat((runtime_root + "/" + session.id()).c_str(), &st) == 0) {
    force_delete_container(runtime, runtime_root, session.id());
  }
  if (run_namespace.kind == RunNamespace::private_mounts) {
    // The container had a cgroup of its own (write_spec): crun leaves it when it fails to
    // start a container (a limit it cannot write); processes of a container killed from
    // outside may still be dying.
    if (auto removed = remove_container_cgroup(cgroups, session.id(), std::chrono::seconds(2));
        !removed) {
      tell(request, removed.error().what());
    }
  }
  timer.mark("runtime clean-up");
  return status;
}

} // namespace sifkit::runtime
