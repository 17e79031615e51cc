#include "flags.h"

#include <common/secret.h>
#include <runtime/spec/spec.h>

#include <sstream>

#include <unistd.h>

namespace sifkit::tools {

namespace {

CLI::Option* many(CLI::App& app, const std::string& names, std::vector<std::string>& into,
                  const std::string& help, const std::string& type) {
  return app.add_option(names, into, help)->allow_extra_args(false)->type_name(type);
}

std::vector<std::string> split_commas(const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  for (const auto& text : texts) {
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
      if (!item.empty()) {
        out.push_back(item);
      }
    }
  }
  return out;
}

} // namespace

void add_run_flags(CLI::App& app, RunFlags& f) {
  app.add_option("IMAGE", f.image, "OCI-SIF file or image reference")->required()->type_name("");

  auto env = "Environment";
  many(app, "--env", f.env, "Set a variable in the container (repeatable)", "K=V")->group(env);
  many(app, "--env-file", f.env_files, "Read K=V lines from a file (repeatable)", "FILE")
      ->group(env);
  app.add_flag("-e,--cleanenv", f.clean_env, "Pass no variable from the caller")->group(env);

  auto mounts = "Mounts";
  many(app, "-B,--bind", f.binds, "Bind a host path (repeatable, comma lists too)",
       "SRC[:DST[:ro|rw]]")
      ->group(mounts);
  many(app, "--mount", f.mounts, "Bind in docker's form (repeatable)",
       "type=bind,source=S,destination=D[,ro]")
      ->group(mounts);
  app.add_option("--home", f.home, "Home: bind HOST at CONTAINER, or an empty tmpfs at DIR")
      ->type_name("HOST:CONTAINER|DIR")
      ->group(mounts);
  app.add_flag("--no-home", f.no_home, "Mount no home directory")->group(mounts);
  many(app, "-S,--scratch", f.scratch, "An empty tmpfs at DIR (repeatable)", "DIR")->group(mounts);
  app.add_option("-W,--workdir", f.workdir, "Host directory for /tmp, /var/tmp and scratch")
      ->type_name("DIR")
      ->group(mounts);
  many(app, "--no-mount", f.no_mount, "Skip default mounts", "proc,sys,devpts,tmp,home")
      ->group(mounts);
  many(app, "--dns", f.dns, "Nameservers for /etc/resolv.conf", "IP[,IP...]")->group(mounts);
  app.add_flag("--read-only", f.read_only, "No tmpfs overlay: the root filesystem is read-only")
      ->group(mounts);
  app.add_option("--tmpfs-size", f.tmpfs_size_mb, "Size of each tmpfs and of the overlay")
      ->type_name("MiB")
      ->check(CLI::Range(1, 1 << 20))
      ->group(mounts);

  auto process = "Process";
  app.add_option("--cwd,--pwd", f.cwd, "Working directory in the container")
      ->type_name("DIR")
      ->group(process);
  app.add_option("--shell", f.shell, "The shell of `sif-run shell` (default /bin/sh)")
      ->type_name("PATH")
      ->group(process);
  app.add_flag("-n,--net", f.net, "A new network namespace (loopback only)")->group(process);
  app.add_flag("--uts", f.uts, "A new UTS namespace")->group(process);
  app.add_option("--hostname", f.hostname, "Host name in the container (implies --uts)")
      ->type_name("NAME")
      ->group(process);
  app.add_flag("-u,--user,--userns", f.user, "A new user namespace")->group(process);
  many(app, "--add-caps", f.add_caps, "Add capabilities", "CAP[,CAP...]|all")->group(process);
  many(app, "--drop-caps", f.drop_caps, "Drop capabilities", "CAP[,CAP...]|all")->group(process);
  app.add_flag("--keep-privs", f.keep_privs, "Keep the caller's effective capabilities")
      ->group(process);
  app.add_flag("--no-privs", f.no_privs, "No capabilities, and no_new_privileges")->group(process);
  app.add_option("--security", f.security,
                 "Syscall filter: a seccomp profile (containers/Docker or OCI JSON) instead of "
                 "the default one, or none")
      ->type_name("seccomp:PROFILE|seccomp:unconfined")
      ->group(process);
  app.add_flag("-f,--fakeroot", f.fakeroot,
               "Root inside through a user namespace (your /etc/subuid ranges)")
      ->group(process);

  add_overlays_flags(app, f.overlays);
  add_resources_flags(app, f.resources);
  add_devices_flags(app, f.devices);

  auto runtime = "Runtime";
  app.add_option("--runtime", f.runtime, "OCI runtime (default: crun if usable, else runc)")
      ->type_name("crun|runc|PATH")
      ->group(runtime);
  app.add_flag("--fuse", f.fuse, "Mount with squashfuse even when privileged")->group(runtime);
  app.add_flag("-q,--quiet", f.quiet, "No notes on stderr")->group(runtime);

  auto images = "Image references";
  app.add_option("--cache", f.cache_dir, "Cache directory")->type_name("DIR")->group(images);
  app.add_option("--platform", f.platform, "Platform to select from an index")
      ->type_name("OS/ARCH[/VARIANT]")
      ->group(images);
  auto* creds = app.add_option("--creds", f.credentials,
                               "Registry credentials (seen by other users until parsed: "
                               "prefer --creds-stdin)")
                    ->type_name("USER[:PASS]")
                    ->group(images);
  app.add_flag("--creds-stdin", f.creds_stdin, "Read USER:PASS from the first line of stdin")
      ->excludes(creds)
      ->group(images);
  app.add_option("--ca-cert", f.ca_cert, "Trust this CA bundle for registry TLS")
      ->type_name("FILE")
      ->group(images);
  app.add_flag("--insecure", f.insecure, "Allow plain HTTP or unverified TLS")->group(images);
}

Result<runtime::RunOptions> run_options(const RunFlags& f, runtime::Action action,
                                        std::vector<std::string> args) {
  runtime::RunOptions o;
  o.action = action;
  o.args = std::move(args);
  o.shell = f.shell.value_or("");
  o.env = f.env;
  o.env_files = f.env_files;
  o.clean_env = f.clean_env;
  o.cwd = f.cwd;
  if (f.home) {
    SIFKIT_TRY(runtime::parse_home(*f.home, o));
  }
  if (f.no_home) {
    o.home_mode = runtime::HomeMode::none;
  }
  o.scratch = split_commas(f.scratch);
  o.workdir = f.workdir;
  for (const auto& text : f.no_mount) {
    SIFKIT_TRY_ASSIGN(auto parsed, runtime::parse_no_mount(text));
    o.no_mount.insert(parsed.begin(), parsed.end());
  }
  for (const auto& text : f.binds) {
    SIFKIT_TRY_ASSIGN(auto parsed, runtime::parse_binds(text));
    o.binds.insert(o.binds.end(), parsed.begin(), parsed.end());
  }
  for (const auto& text : f.mounts) {
    SIFKIT_TRY_ASSIGN(auto parsed, runtime::parse_mount(text));
    o.binds.push_back(parsed);
  }
  o.dns = split_commas(f.dns);
  o.tmpfs_size_mb = f.tmpfs_size_mb;
  o.net = f.net;
  o.uts = f.uts || f.hostname.has_value();
  o.user = f.user;
  o.hostname = f.hostname;
  for (const auto& [texts, into] :
       {std::pair{&f.add_caps, &o.add_caps}, std::pair{&f.drop_caps, &o.drop_caps}}) {
    for (const auto& text : *texts) {
      SIFKIT_TRY_ASSIGN(auto parsed, runtime::parse_caps(text));
      into->insert(into->end(), parsed.begin(), parsed.end());
    }
  }
  o.keep_privs = f.keep_privs;
  o.no_privs = f.no_privs;
  if (f.security) {
    SIFKIT_TRY(runtime::parse_security(*f.security, o));
  }
  o.writable_tmpfs = !f.read_only;
  o.fakeroot = f.fakeroot;
  SIFKIT_TRY(apply_overlays_flags(f.overlays, o));
  SIFKIT_TRY(apply_resources_flags(f.resources, o));
  SIFKIT_TRY(apply_devices_flags(f.devices, o));
  return o;
}

Result<runtime::ImageRefOptions> image_ref_options(const RunFlags& f) {
  runtime::ImageRefOptions o;
  o.cache_dir = f.cache_dir;
  o.platform = f.platform;
  o.credentials = f.credentials;
  if (f.creds_stdin) {
    SIFKIT_TRY_ASSIGN(auto secret, with_context(read_secret(STDIN_FILENO, SecretEnd::end_of_line),
                                                "--creds-stdin"));
    o.credentials = std::move(secret);
  }
  o.ca_cert = f.ca_cert;
  o.insecure = f.insecure;
  return o;
}

} // namespace sifkit::tools
