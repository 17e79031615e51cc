// Generated config.json files validate against the OCI runtime-spec JSON schema (a plain
// run and one with every flag), and the validator really rejects a broken config.
#include "runtime/spec_fixture.h"
#include "runtime/spec_schema.h"

using namespace sifkit;
using namespace sifkit::runtime;
using namespace sifkit::test;

namespace {

// Writes `spec` to a file in `dir` and returns the validator's complaints.
std::string validate(const TempDir& dir, const nlohmann::json& spec) {
  std::string path = dir.file("config.json");
  write_text(path, spec.dump(2));
  return validate_runtime_spec(path);
}

} // namespace

TEST_CASE("a plain generated config validates against the runtime-spec schema", "[spec]") {
  if (!can_validate_runtime_spec()) {
    return;
  }
  SpecFixture f;
  CHECK(validate(f.dir, f.spec()) == "");
  f.host.uid = 0;
  f.host.gid = 0;
  CHECK(validate(f.dir, f.spec()) == "");
}

TEST_CASE("a config with every flag validates against the runtime-spec schema", "[spec]") {
  if (!can_validate_runtime_spec()) {
    return;
  }
  SpecFixture f;
  std::filesystem::create_directories(f.dir.file("data"));
  std::filesystem::create_directories(f.dir.file("althome"));
  write_text(f.dir.file("lib/libfoo.so"), "elf");
  write_text(f.dir.file("vars.env"), "FROM_FILE=1\n");
  f.image.config.entrypoint = {"/entry"};
  f.image.config.env = {"PATH=/bin"};
  f.image.config.labels = {{"org.example", "x"}};
  f.image.config.stop_signal = "SIGTERM";
  f.image.created = "2024-01-02T03:04:05Z";
  f.host.env["SIFKIT_ENV_A"] = "1";
  f.host.env["SIFKIT_CONTAINLIBS"] = f.dir.file("lib/libfoo.so");
  f.host.effective_caps = {"CAP_CHOWN"};
  f.host.stdin_is_tty = true;
  RunOptions& o = f.options;
  o.args = {"arg"};
  o.env = {"B=2"};
  o.env_files = {f.dir.file("vars.env")};
  o.clean_env = true;
  o.cwd = "/data";
  o.home_mode = HomeMode::bind;
  o.home_source = f.dir.file("althome");
  o.home_destination = "/home/alt";
  o.scratch = {"/scratch"};
  o.workdir = f.dir.file("work");
  o.no_mount = {"sys"};
  o.binds = {{f.dir.file("data"), "/data", true}};
  o.dns = {"192.0.2.1"};
  o.tmpfs_size_mb = 32;
  o.net = true;
  o.uts = true;
  o.user = true;
  o.hostname = "box";
  o.add_caps = {"CAP_SYS_ADMIN"};
  o.drop_caps = {"CAP_KILL"};
  o.writable_tmpfs = false;
  f.host.machine = "x86_64";
  f.host.kernel_release = "6.1.0";
  if (std::filesystem::exists("/usr/share/containers/seccomp.json")) {
    f.host.seccomp_profile = "/usr/share/containers/seccomp.json";
  } else {
    SIFKIT_SKIP(program, "/usr/share/containers/seccomp.json is missing "
                         "(golang-github-containers-common): the seccomp part of the config");
  }
  CHECK(validate(f.dir, f.spec()) == "");
  CHECK(f.spec()["linux"].contains("seccomp") == !f.host.seccomp_profile.empty());
  o.keep_privs = true;
  CHECK(validate(f.dir, f.spec()) == "");
  o.keep_privs = false;
  o.no_privs = true;
  CHECK(validate(f.dir, f.spec()) == "");
}

TEST_CASE("the schema validator reports a broken config", "[spec]") {
  if (!can_validate_runtime_spec()) {
    return;
  }
  SpecFixture f;
  nlohmann::json spec = f.spec();
  spec.erase("ociVersion");
  spec["process"]["user"]["uid"] = "root";
  spec["linux"]["namespaces"].push_back({{"type", "bogus"}});
  std::string errors = validate(f.dir, spec);
  CHECK_THAT(errors, Catch::Contains("ociVersion"));
  CHECK_THAT(errors, Catch::Contains("root"));
  CHECK_THAT(errors, Catch::Contains("bogus"));
}
