#include <runtime/spec/capabilities.h>
#include <runtime/spec/environment.h>
#include <runtime/spec/spec_parts.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sifkit::runtime::detail {

namespace {

Result<std::vector<std::string>> process_args(const oci::RuntimeConfig& image,
                                              const RunOptions& options) {
  std::vector<std::string> args;
  switch (options.action) {
  case Action::run:
    args = image.entrypoint;
    args.insert(args.end(), options.args.empty() ? image.cmd.begin() : options.args.begin(),
                options.args.empty() ? image.cmd.end() : options.args.end());
    break;
  case Action::exec:
    args = options.args;
    break;
  case Action::shell:
    args = {options.shell.empty() ? std::string("/bin/sh") : options.shell};
    break;
  }
  if (args.empty()) {
    return fail(ErrorKind::usage, "the image has no ENTRYPOINT or CMD; give a command");
  }
  return args;
}

Result<std::string> process_cwd(const oci::RuntimeConfig& image, const RunOptions& options,
                                const TargetUser& user) {
  if (options.cwd) {
    if (options.cwd->empty() || options.cwd->front() != '/') {
      return fail(ErrorKind::usage,
                  fmt::format("--cwd '{}' must be an absolute container path", *options.cwd));
    }
    return *options.cwd;
  }
  if (!image.working_dir.empty()) {
    return image.working_dir;
  }
  if (user.home_mounted) {
    return user.home;
  }
  return std::string("/");
}

nlohmann::json capabilities_json(const CapabilitySets& sets) {
  return {{"bounding", sets.bounding},
          {"effective", sets.effective},
          {"inheritable", sets.inheritable},
          {"permitted", sets.permitted},
          {"ambient", sets.ambient}};
}

} // namespace

Result<nlohmann::json> build_process(const SpecInputs& inputs, const TargetUser& user) {
  const RunOptions& options = *inputs.options;
  const HostContext& host = *inputs.host;
  const oci::RuntimeConfig& image = inputs.image->config;

  SIFKIT_TRY_ASSIGN(auto args, process_args(image, options));
  SIFKIT_TRY_ASSIGN(auto env, build_environment(image.env, options, host.env, user.home));
  SIFKIT_TRY_ASSIGN(auto cwd, process_cwd(image, options, user));

  nlohmann::json process_user = {{"uid", user.uid}, {"gid", user.gid}};
  if (!user.additional_gids.empty()) {
    process_user["additionalGids"] = user.additional_gids;
  }
  return nlohmann::json{
      {"terminal", host.stdin_is_tty},
      {"user", process_user},
      {"args", args},
      {"env", env},
      {"cwd", cwd},
      {"capabilities",
       capabilities_json(compute_capabilities(options, host.effective_caps, user.uid))},
      {"noNewPrivileges", options.no_privs},
  };
}

} // namespace sifkit::runtime::detail
