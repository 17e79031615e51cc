// The spec's process: args for run/exec/shell, the environment's precedence, cwd, the
// user (image USER against the container's passwd) and the capability sets.
#include <runtime/spec/capabilities.h>

#include "runtime/spec_fixture.h"

using namespace sifkit;
using namespace sifkit::runtime;
using namespace sifkit::test;
using Strings = std::vector<std::string>;

namespace {

Strings args_of(const nlohmann::json& spec) {
  return spec["process"]["args"].get<Strings>();
}

Strings caps(const nlohmann::json& spec, const char* set) {
  return spec["process"]["capabilities"][set].get<Strings>();
}

bool has(const Strings& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

} // namespace

TEST_CASE("run gives ENTRYPOINT followed by CMD, or by the arguments that replace CMD", "[spec]") {
  SpecFixture f;
  f.image.config.entrypoint = {"/entry", "-x"};
  f.image.config.cmd = {"default", "cmd"};
  CHECK(args_of(f.spec()) == Strings{"/entry", "-x", "default", "cmd"});
  f.options.args = {"mine"};
  CHECK(args_of(f.spec()) == Strings{"/entry", "-x", "mine"});
  f.image.config.entrypoint.clear();
  CHECK(args_of(f.spec()) == Strings{"mine"});
}

TEST_CASE("exec runs the given command and ignores ENTRYPOINT and CMD", "[spec]") {
  SpecFixture f;
  f.image.config.entrypoint = {"/entry"};
  f.options.action = Action::exec;
  f.options.args = {"/bin/echo", "hi"};
  CHECK(args_of(f.spec()) == Strings{"/bin/echo", "hi"});
}

TEST_CASE("shell runs /bin/sh unless --shell names another", "[spec]") {
  SpecFixture f;
  f.image.config.entrypoint = {"/entry"};
  f.options.action = Action::shell;
  CHECK(args_of(f.spec()) == Strings{"/bin/sh"});
  f.options.shell = "/bin/bash";
  CHECK(args_of(f.spec()) == Strings{"/bin/bash"});
}

TEST_CASE("an image without ENTRYPOINT or CMD and no command is a usage error", "[spec]") {
  SpecFixture f;
  f.image.config.cmd.clear();
  auto result = f.build();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind() == ErrorKind::usage);
  CHECK_THAT(result.error().message(), Catch::Contains("no ENTRYPOINT or CMD"));
  f.options.action = Action::exec;
  CHECK_FALSE(f.build());
}

TEST_CASE("environment precedence is image, host prefixes, env files, then --env", "[spec]") {
  SpecFixture f;
  f.image.config.env = {"A=image", "B=image", "C=image", "D=image", "E=image"};
  f.host.env["SINGULARITYENV_B"] = "singularityenv";
  f.host.env["SIFKIT_ENV_C"] = "sifkitenv";
  f.host.env["SIFKIT_ENV_D"] = "sifkitenv";
  f.host.env["SINGULARITYENV_F"] = "new";
  write_text(f.dir.file("one.env"), "# comment\n\nexport D=\"file one\"\nE='file one'\nG=plain\n");
  write_text(f.dir.file("two.env"), "E=file two\n");
  f.options.env_files = {f.dir.file("one.env"), f.dir.file("two.env")};
  f.options.env = {"G=first", "G=flag", "H=x=y"};
  nlohmann::json spec = f.spec();
  CHECK(env_value(spec, "A") == "image");
  CHECK(env_value(spec, "B") == "singularityenv");
  CHECK(env_value(spec, "C") == "sifkitenv");
  CHECK(env_value(spec, "D") == "file one");
  CHECK(env_value(spec, "E") == "file two");
  CHECK(env_value(spec, "F") == "new");
  CHECK(env_value(spec, "G") == "flag");
  CHECK(env_value(spec, "H") == "x=y");
  CHECK(env_value(spec, "SECRET") == "<unset>");
  // Image keys keep their order; new keys follow in order of appearance.
  Strings env = spec["process"]["env"].get<Strings>();
  REQUIRE(env.size() >= 5);
  CHECK(env[0] == "A=image");
  CHECK(env[4] == "E=file two");
}

TEST_CASE("TERM and proxy variables pass through only when unset and never with --cleanenv",
          "[spec]") {
  SpecFixture f;
  CHECK(env_value(f.spec(), "TERM") == "xterm-256color");
  CHECK(env_value(f.spec(), "http_proxy") == "http://proxy:3128");
  f.image.config.env = {"TERM=dumb"};
  CHECK(env_value(f.spec(), "TERM") == "dumb");
  f.image.config.env.clear();
  f.options.clean_env = true;
  f.options.env = {"KEPT=yes"};
  f.host.env["SIFKIT_ENV_ALSO"] = "yes";
  nlohmann::json spec = f.spec();
  CHECK(env_value(spec, "TERM") == "<unset>");
  CHECK(env_value(spec, "http_proxy") == "<unset>");
  CHECK(env_value(spec, "KEPT") == "yes");
  CHECK(env_value(spec, "ALSO") == "yes");
}

TEST_CASE("PATH is the user's, else the image's, else the default", "[spec]") {
  SpecFixture f;
  CHECK(env_value(f.spec(), "PATH") ==
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  f.image.config.env = {"PATH=/opt/bin:/bin"};
  CHECK(env_value(f.spec(), "PATH") == "/opt/bin:/bin");
  f.options.env = {"PATH=/mine"};
  CHECK(env_value(f.spec(), "PATH") == "/mine");
  f.options.env = {"APPEND_PATH=/after", "PREPEND_PATH=/before"};
  CHECK(env_value(f.spec(), "PATH") == "/before:/opt/bin:/bin:/after");
}

TEST_CASE("HOME is the home destination, or the image USER's home", "[spec]") {
  SpecFixture f;
  f.options.env = {"HOME=/ignored"};
  CHECK(env_value(f.spec(), "HOME") == f.host.home);
  f.options.home_mode = HomeMode::tmpfs;
  f.options.home_destination = "/scratchhome";
  CHECK(env_value(f.spec(), "HOME") == "/scratchhome");
  f.options.home_mode = HomeMode::automatic;
  f.image.config.user = "app";
  CHECK(env_value(f.spec(), "HOME") == "/home/app");
}

TEST_CASE("LD_LIBRARY_PATH ends with the contained libraries directory", "[spec]") {
  SpecFixture f;
  CHECK(env_value(f.spec(), "LD_LIBRARY_PATH") == "/.sifkit.d/libs");
  f.image.config.env = {"LD_LIBRARY_PATH=/opt/lib"};
  CHECK(env_value(f.spec(), "LD_LIBRARY_PATH") == "/opt/lib:/.sifkit.d/libs");
}

TEST_CASE("malformed --env and env-file lines are usage errors naming them", "[spec]") {
  SpecFixture f;
  f.options.env = {"NOVALUE"};
  auto result = f.build();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind() == ErrorKind::usage);
  CHECK_THAT(result.error().message(), Catch::Contains("NOVALUE"));
  f.options.env.clear();
  write_text(f.dir.file("bad.env"), "OK=1\n1BAD=2\n");
  f.options.env_files = {f.dir.file("bad.env")};
  result = f.build();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind() == ErrorKind::usage);
  CHECK_THAT(result.error().message(), Catch::Contains("line 2"));
  f.options.env_files = {f.dir.file("missing.env")};
  result = f.build();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind() == ErrorKind::not_found);
}

TEST_CASE("cwd is --cwd, else WorkingDir, else the mounted home, else the root", "[spec]") {
  SpecFixture f;
  CHECK(f.spec()["process"]["cwd"] == f.host.home);
  f.options.home_mode = HomeMode::none;
  CHECK(f.spec()["process"]["cwd"] == "/");
  f.image.config.working_dir = "/work";
  CHECK(f.spec()["process"]["cwd"] == "/work");
  f.options.cwd = "/elsewhere";
  CHECK(f.spec()["process"]["cwd"] == "/elsewhere");
  f.options.cwd = "relative";
  auto result = f.build();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind() == ErrorKind::usage);
}

TEST_CASE("without USER the process runs as the caller", "[spec]") {
  SpecFixture f;
  nlohmann::json user = f.spec()["process"]["user"];
  CHECK(user["uid"] == 1234);
  CHECK(user["gid"] == 1234);
  CHECK_FALSE(user.contains("additionalGids"));
  f.host.uid = 0;
  f.host.gid = 0;
  user = f.spec()["process"]["user"];
  CHECK(user["uid"] == 0);
  CHECK(user["gid"] == 0);
}

TEST_CASE(
    "an image USER name resolves through the container's passwd and group, primary group first",
    "[spec]") {
  SpecFixture f;
  f.image.config.user = "app";
  nlohmann::json user = f.spec()["process"]["user"];
  CHECK(user["uid"] == 1000);
  CHECK(user["gid"] == 1000);
  CHECK(user["additionalGids"] == nlohmann::json::array({1000, 10, 100}));
}

TEST_CASE("an image USER may be a uid, name:group or uid:gid", "[spec]") {
  SpecFixture f;
  f.image.config.user = "4321";
  nlohmann::json user = f.spec()["process"]["user"];
  CHECK(user["uid"] == 4321);
  CHECK(user["gid"] == 0);
  CHECK(user["additionalGids"] == nlohmann::json::array({0}));
  CHECK(env_value(f.spec(), "HOME") == "/");
  f.image.config.user = "1000";
  CHECK(f.spec()["process"]["user"]["gid"] == 1000);
  f.image.config.user = "app:users";
  user = f.spec()["process"]["user"];
  CHECK(user["uid"] == 1000);
  CHECK(user["gid"] == 100);
  CHECK(user["additionalGids"] == nlohmann::json::array({100, 10}));
  f.image.config.user = "77:88";
  user = f.spec()["process"]["user"];
  CHECK(user["uid"] == 77);
  CHECK(user["gid"] == 88);
}

TEST_CASE("an image USER the container's passwd lacks is not_found naming it", "[spec]") {
  SpecFixture f;
  f.image.config.user = "ghost";
  auto result = f.build();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind() == ErrorKind::not_found);
  CHECK_THAT(result.error().message(), Catch::Contains("ghost"));
  f.image.config.user = "app:ghosts";
  result = f.build();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind() == ErrorKind::not_found);
  CHECK_THAT(result.error().message(), Catch::Contains("ghosts"));
}

TEST_CASE("root gets the default capability set as bounding, permitted and effective", "[spec]") {
  SpecFixture f;
  f.host.uid = 0;
  f.host.gid = 0;
  nlohmann::json spec = f.spec();
  CHECK(caps(spec, "bounding").size() == 15);
  for (const std::string& cap : default_capabilities()) {
    CHECK(has(caps(spec, "bounding"), cap));
  }
  CHECK(caps(spec, "permitted") == caps(spec, "bounding"));
  CHECK(caps(spec, "effective") == caps(spec, "bounding"));
  CHECK(caps(spec, "inheritable").empty());
  CHECK(caps(spec, "ambient").empty());
  CHECK(spec["process"]["noNewPrivileges"] == false);
}

TEST_CASE("a non-root user gets the set as bounding and only added capabilities otherwise",
          "[spec]") {
  SpecFixture f;
  nlohmann::json spec = f.spec();
  CHECK(caps(spec, "bounding").size() == 15);
  CHECK(caps(spec, "effective").empty());
  CHECK(caps(spec, "ambient").empty());
  f.options.add_caps = {"CAP_SYS_ADMIN", "CAP_NET_ADMIN"};
  f.options.drop_caps = {"CAP_NET_ADMIN", "CAP_KILL"};
  spec = f.spec();
  CHECK(has(caps(spec, "bounding"), "CAP_SYS_ADMIN"));
  CHECK_FALSE(has(caps(spec, "bounding"), "CAP_NET_ADMIN"));
  CHECK_FALSE(has(caps(spec, "bounding"), "CAP_KILL"));
  for (const char* set : {"effective", "permitted", "inheritable", "ambient"}) {
    CHECK(caps(spec, set) == Strings{"CAP_SYS_ADMIN"});
  }
}

TEST_CASE("ALL adds or drops every capability", "[spec]") {
  SpecFixture f;
  f.host.uid = 0;
  f.options.add_caps = {"ALL"};
  CHECK(caps(f.spec(), "effective").size() == all_capability_names().size());
  f.options.add_caps = {"CAP_CHOWN"};
  f.options.drop_caps = {"ALL"};
  CHECK(caps(f.spec(), "bounding").empty());
}

TEST_CASE("with --keep-privs the set is the caller's effective set and /proc is unmasked",
          "[spec]") {
  SpecFixture f;
  f.host.uid = 0;
  f.host.effective_caps = {"CAP_SYS_ADMIN", "CAP_CHOWN"};
  CHECK(f.spec()["linux"].contains("maskedPaths"));
  f.options.keep_privs = true;
  nlohmann::json spec = f.spec();
  CHECK(caps(spec, "bounding") == Strings{"CAP_CHOWN", "CAP_SYS_ADMIN"});
  CHECK_FALSE(spec["linux"].contains("maskedPaths"));
  CHECK_FALSE(spec["linux"].contains("readonlyPaths"));
}

TEST_CASE("with --no-privs every set is empty and noNewPrivileges is set", "[spec]") {
  SpecFixture f;
  f.host.uid = 0;
  f.options.no_privs = true;
  f.options.add_caps = {"CAP_SYS_ADMIN"};
  nlohmann::json spec = f.spec();
  for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"}) {
    CHECK(caps(spec, set).empty());
  }
  CHECK(spec["process"]["noNewPrivileges"] == true);
}

TEST_CASE("the terminal flag follows the caller's stdin", "[spec]") {
  SpecFixture f;
  CHECK(f.spec()["process"]["terminal"] == false);
  f.host.stdin_is_tty = true;
  CHECK(f.spec()["process"]["terminal"] == true);
}
