#include <common/file.h>
#include <common/in_root.h>
#include <runtime/identity/identity.h>
#include <runtime/spec/spec_parts.h>

#include <fmt/format.h>

namespace sifkit::runtime::detail {

Result<std::string> read_optional_file(const std::string& path, std::size_t max_bytes) {
  auto text = read_file(path, max_bytes);
  if (!text && text.error().kind() == ErrorKind::not_found) {
    return std::string();
  }
  return text;
}

Result<ImageIdentity> read_image_identity(const SpecInputs& inputs) {
  SIFKIT_TRY_ASSIGN(auto root, open_directory(inputs.rootfs));
  ImageIdentity identity;
  for (auto [name, text] :
       {std::pair{"etc/passwd", &identity.passwd}, std::pair{"etc/group", &identity.group}}) {
    auto read = read_file_below(root, name, k_max_identity_file, Resolve::in_root);
    if (read) {
      *text = std::move(*read);
    } else if (read.error().kind() != ErrorKind::not_found) {
      return std::unexpected(
          std::move(read.error()).with_context(fmt::format("reading the image's /{}", name)));
    }
  }
  return identity;
}

namespace {

HomeMode effective_home_mode(const RunOptions& options) {
  return options.no_mount.contains("home") ? HomeMode::none : options.home_mode;
}

// `user` with the home --home asks for (a bind or a tmpfs at an absolute container
// directory); `usage` when the directory is missing or relative, or a bind lacks a source.
Result<TargetUser> with_custom_home(const RunOptions& options, TargetUser user) {
  if (options.home_destination.empty() || options.home_destination.front() != '/' ||
      (user.home_mode == HomeMode::bind && options.home_source.empty())) {
    return fail(ErrorKind::usage, "--home needs an absolute container directory");
  }
  user.home = options.home_destination;
  user.home_mounted = true;
  return user;
}

// --fakeroot: root (0:0, no supplementary groups) whatever the image's USER says, with
// home /root, an empty tmpfs there unless --home says otherwise (SingularityCE's OCI mode).
Result<TargetUser> fakeroot_user(const RunOptions& options, TargetUser user) {
  user.home = "/root";
  switch (user.home_mode) {
  case HomeMode::automatic:
    user.home_mode = HomeMode::tmpfs;
    user.home_mounted = true;
    break;
  case HomeMode::bind:
  case HomeMode::tmpfs:
    return with_custom_home(options, std::move(user));
  case HomeMode::none:
    break;
  }
  return user;
}

} // namespace

Result<TargetUser> resolve_target_user(const SpecInputs& inputs) {
  const RunOptions& options = *inputs.options;
  const HostContext& host = *inputs.host;
  TargetUser user;
  user.home_mode = effective_home_mode(options);
  const std::string& image_user = inputs.image->config.user;
  if (options.fakeroot) {
    return fakeroot_user(options, user);
  }

  if (!image_user.empty()) {
    if (user.home_mode == HomeMode::bind || user.home_mode == HomeMode::tmpfs) {
      return fail(ErrorKind::usage,
                  fmt::format("a custom --home cannot be used with an image that sets USER "
                              "('{}')",
                              image_user));
    }
    SIFKIT_TRY_ASSIGN(auto identity, read_image_identity(inputs));
    SIFKIT_TRY_ASSIGN(auto resolved, resolve_user(image_user, identity.passwd, identity.group));
    user.uid = resolved.uid;
    user.gid = resolved.gid;
    user.additional_gids = resolved.additional_gids;
    user.home = resolved.home;
    user.from_image = true;
    user.home_mode = HomeMode::none;
    return user;
  }

  user.uid = host.uid;
  user.gid = host.gid;
  user.home = host.home.empty() ? "/" : host.home;
  switch (user.home_mode) {
  case HomeMode::automatic:
    user.home_mounted = user.home != "/";
    if (!user.home_mounted) {
      user.home_mode = HomeMode::none;
    }
    break;
  case HomeMode::bind:
  case HomeMode::tmpfs:
    return with_custom_home(options, std::move(user));
  case HomeMode::none:
    break;
  }
  return user;
}

} // namespace sifkit::runtime::detail
