// `sif-run oci VERB ...`: the OCI lifecycle over a bundle, with the arguments of
// `singularity oci`. A dispatch table of small parsers; the work is in runtime/
// (oci_lifecycle.h, container_ops.h, mount_session.h).
#include <runtime/oci/oci.h>
#include <runtime/session/session.h>

#include <cstdio>
#include <functional>
#include <map>

#include "command_line.h"
#include "lifecycle.h"
#include "lifecycle_help.h"
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <support/report.h>

namespace sifkit::tools {

namespace {

constexpr std::string_view k_oci_tool = "sif-run oci";

int parse_oci(CLI::App& app, const std::vector<std::string>& words) {
  return parse_words(app, words, k_oci_tool);
}

int finish_oci(const Result<void>& done) {
  return finish_command(done, k_oci_tool);
}

int mount_command(const std::vector<std::string>& words) {
  CLI::App app(k_oci_mount_help, "sif-run oci mount");
  runtime::SessionRequest request;
  request.kind = runtime::SessionKind::bundle;
  request.mount.writable = runtime::Writable::tmpfs;
  bool fuse = false;
  app.add_option("IMAGE", request.image, "The OCI-SIF file")->required()->type_name("");
  app.add_option("BUNDLE", request.target, "The bundle directory (created when missing)")
      ->required()
      ->type_name("");
  app.add_flag("--fuse", fuse, "Mount with squashfuse even as root");
  if (int code = parse_oci(app, words); code >= 0) {
    return code;
  }
  request.mount.method = fuse ? runtime::MountMethod::fuse : runtime::MountMethod::automatic;
  auto session = runtime::start_mount_session(request);
  if (!session) {
    return finish_oci(std::unexpected(session.error()));
  }
  fmt::print("mounted {} on {}\nwrote {}\n", request.image, session->record.rootfs,
             session->config);
  return finish_oci({});
}

int umount_command(const std::vector<std::string>& words) {
  CLI::App app(k_oci_umount_help, "sif-run oci umount");
  std::string bundle;
  app.add_option("BUNDLE", bundle, "The bundle sif-run oci mount made")->required()->type_name("");
  if (int code = parse_oci(app, words); code >= 0) {
    return code;
  }
  auto target = runtime::session_target(bundle);
  if (target) {
    if (auto user = runtime::oci_container_of_bundle(*target); user) {
      return finish_oci(fail(ErrorKind::conflict,
                             fmt::format("{} is the bundle of container {}: sif-run oci delete {} "
                                         "first",
                                         bundle, *user, *user)));
    }
  }
  auto record = runtime::end_mount_session(bundle);
  if (!record) {
    return finish_oci(std::unexpected(record.error()));
  }
  fmt::print("unmounted {}\n", bundle);
  return finish_oci({});
}

int create_command(const std::vector<std::string>& words) {
  CLI::App app(k_oci_create_help, "sif-run oci create");
  runtime::OciCreateRequest request;
  request.bundle = ".";
  std::string log_format = "kubernetes";
  app.add_option("ID", request.id, "The container's id")->required()->type_name("");
  app.add_option("-b,--bundle", request.bundle, "The bundle (default: the current directory)")
      ->type_name("DIR");
  app.add_option("--log-path", request.log_path,
                 "Where conmon writes the container's output (default: in the state directory)")
      ->type_name("FILE");
  app.add_option("--log-format", log_format, "The log's format: kubernetes (the only one)")
      ->check(CLI::IsMember({"kubernetes"}))
      ->type_name("FORMAT");
  app.add_option("--pid-file", request.pid_file, "Also write the container's pid to FILE")
      ->type_name("FILE");
  app.add_option("--runtime", request.runtime, "crun, runc or a path (default: automatic)")
      ->type_name("RUNTIME");
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "Print nothing on success");
  if (int code = parse_oci(app, words); code >= 0) {
    return code;
  }
  auto created = runtime::oci_create(request);
  if (!created) {
    return finish_oci(std::unexpected(created.error()));
  }
  if (!quiet) {
    fmt::print(stderr, "sif-run: container {} created with pid {}\n", request.id, created->pid);
  }
  return finish_oci({});
}

// start, state, pause, resume: `<runtime> VERB ID`.
int simple_command(const std::string& verb, const std::vector<std::string>& words) {
  CLI::App app(fmt::format(k_oci_simple_help, verb), std::string("sif-run oci ") + verb);
  std::string id;
  app.add_option("ID", id, "The container's id")->required()->type_name("");
  if (int code = parse_oci(app, words); code >= 0) {
    return code;
  }
  auto c = runtime::oci_find(id);
  if (!c) {
    return finish_oci(std::unexpected(c.error()));
  }
  if (verb == "state") {
    auto state = runtime::container_state_text(c->handle);
    if (!state) {
      return finish_oci(std::unexpected(state.error()));
    }
    std::fwrite(state->data(), 1, state->size(), stdout);
    if (!state->empty() && state->back() != '\n') {
      std::fputc('\n', stdout);
    }
    return finish_oci({});
  }
  auto done = runtime::runtime_verb(c->handle, {verb, id});
  return finish_oci(done ? Result<void>() : std::unexpected(done.error()));
}

int kill_command(const std::vector<std::string>& words) {
  CLI::App app(k_oci_kill_help, "sif-run oci kill");
  std::string id;
  std::optional<std::string> signal_word, signal_option;
  bool force = false;
  app.add_option("ID", id, "The container's id")->required()->type_name("");
  app.add_option("SIGNAL", signal_word, "A signal name or number (default TERM)")->type_name("");
  app.add_option("-s,--signal", signal_option, "The signal (as SIGNAL)")->type_name("SIGNAL");
  app.add_flag("-f,--force", force, "Send KILL");
  if (int code = parse_oci(app, words); code >= 0) {
    return code;
  }
  std::string text = force ? "KILL" : signal_word.value_or(signal_option.value_or("TERM"));
  auto signal = runtime::parse_signal(text);
  if (!signal) {
    return finish_oci(std::unexpected(signal.error()));
  }
  auto c = runtime::oci_find(id);
  if (!c) {
    return finish_oci(std::unexpected(c.error()));
  }
  auto done = runtime::runtime_verb(c->handle, {"kill", id, std::to_string(*signal)});
  return finish_oci(done ? Result<void>() : std::unexpected(done.error()));
}

int delete_command(const std::vector<std::string>& words) {
  CLI::App app(k_oci_delete_help, "sif-run oci delete");
  std::string id;
  bool force = false;
  app.add_option("ID", id, "The container's id")->required()->type_name("");
  app.add_flag("-f,--force", force, "Kill it first when it still runs");
  if (int code = parse_oci(app, words); code >= 0) {
    return code;
  }
  return finish_oci(runtime::oci_delete(id, force));
}

int attach_command(const std::vector<std::string>& words) {
  CLI::App app(k_oci_attach_help, "sif-run oci attach");
  std::string id;
  app.add_option("ID", id, "The container's id")->required()->type_name("");
  if (int code = parse_oci(app, words); code >= 0) {
    return code;
  }
  return finish_oci(runtime::oci_attach(id));
}

int exec_command(const std::vector<std::string>& words) {
  CLI::App app(k_oci_exec_help, "sif-run oci exec");
  runtime::ExecRequest request;
  std::string id;
  app.add_option("ID", id, "The container's id")->required()->type_name("");
  add_exec_flags(app, request);
  // Everything after ID is the command, options included.
  std::vector<std::string> own;
  split_exec_words(words, own, request.args);
  if (int code = parse_oci(app, own); code >= 0) {
    return code;
  }
  if (request.args.empty()) {
    return report_usage(k_oci_tool, "exec needs a command after ID");
  }
  auto c = runtime::oci_find(id);
  if (!c) {
    return finish_oci(std::unexpected(c.error()));
  }
  auto status = runtime::exec_in_container(c->handle, request);
  if (!status) {
    return finish_oci(std::unexpected(status.error()));
  }
  std::fflush(stdout);
  return *status;
}

} // namespace

int oci_main(const std::vector<std::string>& words) {
  using Handler = std::function<int(const std::vector<std::string>&)>;
  const std::map<std::string, Handler> commands{
      {"mount", mount_command}, {"umount", umount_command}, {"create", create_command},
      {"kill", kill_command},   {"delete", delete_command}, {"attach", attach_command},
      {"exec", exec_command},
  };
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    fmt::print("{}", k_oci_help);
    return words.empty() ? exit_code(ErrorKind::usage) : 0;
  }
  std::vector<std::string> rest(words.begin() + 1, words.end());
  const std::string& verb = words[0];
  if (auto found = commands.find(verb); found != commands.end()) {
    return found->second(rest);
  }
  if (verb == "start" || verb == "state" || verb == "pause" || verb == "resume") {
    return simple_command(verb, rest);
  }
  return report_usage(k_oci_tool, "unknown command " + verb +
                                      " (mount, create, start, state, kill, delete, attach, exec, "
                                      "pause, resume, umount)");
}

} // namespace sifkit::tools
