#include "commands.h"

#include <runtime/mount/mount.h>
#include <runtime/session/session.h>

#include <cerrno>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sifkit::tools {

namespace {

Result<void> write_out(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
    return fail_errno("cannot write to standard output", errno);
  }
  return {};
}

// "kernel squashfs, 2 layers, writable overlay".
std::string describe(const runtime::MountRecord& record, runtime::Writable writable) {
  int layers = 0;
  bool kernel = false;
  for (const auto& entry : record.entries) {
    if (entry.kind == runtime::MountKind::squashfs ||
        entry.kind == runtime::MountKind::squashfuse) {
      ++layers;
      kernel = entry.kind == runtime::MountKind::squashfs;
    }
  }
  return fmt::format("{}, {} layer{}{}", kernel ? "kernel squashfs" : "squashfuse", layers,
                     layers == 1 ? "" : "s",
                     writable == runtime::Writable::tmpfs ? ", writable overlay" : "");
}

} // namespace

Result<void> run_mount(const MountCommandOptions& o) {
  if (o.dir.empty() == o.bundle.empty()) {
    return fail(ErrorKind::usage, o.bundle.empty() ? "give the directory to mount on (DIR) or "
                                                     "--bundle DIR"
                                                   : "DIR and --bundle DIR exclude each other");
  }
  runtime::SessionRequest request;
  request.image = o.image;
  bool bundle = !o.bundle.empty();
  request.target = bundle ? o.bundle : o.dir;
  request.kind = bundle ? runtime::SessionKind::bundle : runtime::SessionKind::mount_point;
  request.mount.method = o.method;
  request.mount.writable =
      o.writable.value_or(bundle) ? runtime::Writable::tmpfs : runtime::Writable::no;
  request.mount.tmpfs_size_mb = o.tmpfs_size_mb;
  SIFKIT_TRY_ASSIGN(auto session, runtime::start_mount_session(request));
  if (o.json) {
    auto json = runtime::mount_record_json(session.record);
    json["target"] = session.target;
    json["config"] = session.config.empty() ? nlohmann::ordered_json(nullptr)
                                            : nlohmann::ordered_json(session.config);
    return write_out(json.dump(2) + "\n");
  }
  if (o.quiet) {
    return {};
  }
  std::string line = fmt::format("mounted {} on {} ({})\n", o.image, session.record.rootfs,
                                 describe(session.record, request.mount.writable));
  if (bundle) {
    line += fmt::format("wrote {}\n", session.config);
  }
  return write_out(line);
}

Result<void> run_umount(const UmountCommandOptions& o) {
  if (o.stale) {
    SIFKIT_TRY_ASSIGN(auto root, runtime::state_root());
    SIFKIT_TRY_ASSIGN(auto swept, runtime::sweep_stale_runs(root));
    if (!o.quiet) {
      SIFKIT_TRY(write_out(fmt::format("cleaned {} stale run session(s), {} container(s)\n",
                                       swept.sessions, swept.containers)));
    }
    if (o.dir.empty()) {
      return {};
    }
  } else if (o.dir.empty()) {
    return fail(ErrorKind::usage, "give DIR, or --stale");
  }
  SIFKIT_TRY(runtime::end_mount_session(o.dir));
  return o.quiet ? Result<void>() : write_out(fmt::format("unmounted {}\n", o.dir));
}

} // namespace sifkit::tools
