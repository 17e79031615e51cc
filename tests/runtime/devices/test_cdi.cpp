// CDI specs: JSON and YAML files of cdiVersion 0.3.0 to 0.8.0 read from the CDI
// directories, device names resolved with directory precedence, and every container edit
// applied to a config.json field by field.
#include <runtime/devices/devices.h>

#include "runtime/spec_fixture.h"
#include "runtime/spec_schema.h"
#include <fmt/format.h>
#include <sys/stat.h>

using namespace sifkit;
using namespace sifkit::runtime;
using namespace sifkit::test;
using nlohmann::json;

namespace {

// The edits for `names` from `dirs`; fails the test on error.
CdiEdits edits_for(const std::vector<std::string>& dirs, const std::vector<std::string>& names) {
  auto registry = load_cdi_registry(dirs);
  REQUIRE(registry.has_value());
  auto edits = resolve_cdi_devices(*registry, names);
  if (!edits) {
    FAIL(edits.error().what());
  }
  return *edits;
}

// The error of resolving `names` from `dirs` (loading or resolving); fails when none.
Error error_for(const std::vector<std::string>& dirs, const std::vector<std::string>& names) {
  auto registry = load_cdi_registry(dirs);
  if (!registry) {
    return registry.error();
  }
  auto edits = resolve_cdi_devices(*registry, names);
  REQUIRE_FALSE(edits.has_value());
  return edits.error();
}

// A config.json as build_spec leaves it before the devices: a user, an env, a mount and
// a resources section with a deny-all device rule.
json base_spec() {
  return json::parse(R"({
    "process": {"user": {"uid": 0, "gid": 0}, "env": ["PATH=/bin", "KEEP=1", "MODE=old"]},
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc", "options": []},
               {"destination": "/opt/replaced", "type": "tmpfs", "source": "tmpfs"}],
    "linux": {"resources": {"devices": [{"allow": false, "access": "rwm"}]}}
  })");
}

json applied(const CdiEdits& edits, json spec = base_spec()) {
  auto done = apply_cdi_edits(edits, spec);
  if (!done) {
    FAIL(done.error().what());
  }
  return spec;
}

// The file `name` in `dir` (created) with `text`.
std::string spec_file(const TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir.file(name);
  write_text(path, text);
  return path;
}

} // namespace

TEST_CASE("a 0.3.0 JSON spec's device node takes type, numbers and mode from the host node",
          "[devices][cdi]") {
  TempDir dir;
  spec_file(dir, "etc/vendor.json", R"({
    "cdiVersion": "0.3.0", "kind": "example.com/null",
    "devices": [{"name": "one", "containerEdits": {"deviceNodes": [{"path": "/dev/null"}]}}]
  })");
  json spec = applied(edits_for({dir.file("etc")}, {"example.com/null=one"}));
  struct stat st {};
  REQUIRE(::stat("/dev/null", &st) == 0);
  REQUIRE(spec["linux"]["devices"].size() == 1);
  json device = spec["linux"]["devices"][0];
  CHECK(device["path"] == "/dev/null");
  CHECK(device["type"] == "c");
  CHECK(device["major"] == 1);
  CHECK(device["minor"] == 3);
  CHECK(device["fileMode"] == (st.st_mode & 07777));
  CHECK_FALSE(device.contains("uid")); // root's own nodes carry no owner
  json rules = spec["linux"]["resources"]["devices"];
  REQUIRE(rules.size() == 2);
  CHECK(rules[0] == json::parse(R"({"allow": false, "access": "rwm"})"));
  CHECK(rules[1] ==
        json::parse(R"({"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"})"));
}

TEST_CASE("a 0.5.0 YAML spec's device node fields are applied as written", "[devices][cdi]") {
  TempDir dir;
  spec_file(dir, "cdi/vendor.yaml", R"(cdiVersion: "0.5.0"
kind: example.com/dev
devices:
  - name: zero
    containerEdits:
      deviceNodes:
        - path: /dev/cdi-zero
          hostPath: /dev/zero
          type: c
          major: 1
          minor: 5
          fileMode: 0640
          permissions: rw
          uid: 1000
          gid: 100
)");
  json spec = base_spec();
  spec["process"]["user"] = {{"uid", 1234}, {"gid", 1234}};
  spec = applied(edits_for({dir.file("cdi")}, {"example.com/dev=zero"}), spec);
  CHECK(spec["linux"]["devices"][0] == json::parse(R"({"path": "/dev/cdi-zero", "type": "c",
        "major": 1, "minor": 5, "fileMode": 416, "uid": 1000, "gid": 100})"));
  CHECK(spec["linux"]["resources"]["devices"][1] ==
        json::parse(R"({"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rw"})"));
}

TEST_CASE("a device node without uid and gid belongs to the container's non-root user",
          "[devices][cdi]") {
  TempDir dir;
  spec_file(dir, "cdi/v.json", R"({"cdiVersion": "0.5.0", "kind": "example.com/dev",
    "devices": [{"name": "n", "containerEdits": {"deviceNodes": [
      {"path": "/dev/x", "hostPath": "/dev/null"}]}}]})");
  json spec = base_spec();
  spec["process"]["user"] = {{"uid", 1234}, {"gid", 99}};
  spec = applied(edits_for({dir.file("cdi")}, {"example.com/dev=n"}), spec);
  CHECK(spec["linux"]["devices"][0]["uid"] == 1234);
  CHECK(spec["linux"]["devices"][0]["gid"] == 99);
  CHECK(spec["linux"]["devices"][0]["path"] == "/dev/x");
}

TEST_CASE("a 0.6.0 spec's env, mounts and hooks are applied, the spec's own edits once",
          "[devices][cdi]") {
  TempDir dir;
  spec_file(dir, "cdi/vendor.json", R"({
    "cdiVersion": "0.6.0", "kind": "example.com/gpu.v2",
    "annotations": {"a": "b"},
    "containerEdits": {
      "env": ["SPEC_LEVEL=1"],
      "hooks": [{"hookName": "createContainer", "path": "/bin/sh", "args": ["sh", "-c", "true"],
                 "env": ["HOOK=1"], "timeout": 5}]
    },
    "devices": [
      {"name": "a", "annotations": {"x": "y"}, "containerEdits": {
        "env": ["MODE=new", "A=1"],
        "mounts": [{"hostPath": "/srv/a", "containerPath": "/opt/replaced",
                    "options": ["ro", "rbind"]},
                   {"hostPath": "/srv/t", "containerPath": "/opt/t", "type": "tmpfs",
                    "options": ["size=1m"]}],
        "hooks": [{"hookName": "poststop", "path": "/bin/true"},
                  {"hookName": "prestart", "path": "/bin/true"},
                  {"hookName": "createRuntime", "path": "/bin/true"},
                  {"hookName": "startContainer", "path": "/bin/true"},
                  {"hookName": "poststart", "path": "/bin/true"}]}},
      {"name": "b", "containerEdits": {"env": ["B=1"],
        "mounts": [{"hostPath": "/srv/b", "containerPath": "/opt/b"}]}}
    ]
  })");
  json spec =
      applied(edits_for({dir.file("cdi")}, {"example.com/gpu.v2=a", "example.com/gpu.v2=b"}));
  CHECK(spec["process"]["env"] ==
        json::parse(R"(["PATH=/bin", "KEEP=1", "MODE=new", "SPEC_LEVEL=1", "A=1", "B=1"])"));
  CHECK(spec["hooks"]["createContainer"] ==
        json::parse(R"([{"path": "/bin/sh", "args": ["sh", "-c", "true"], "env": ["HOOK=1"],
                         "timeout": 5}])"));
  for (const char* name :
       {"poststop", "prestart", "createRuntime", "startContainer", "poststart"}) {
    INFO(name);
    CHECK(spec["hooks"][name] == json::parse(R"([{"path": "/bin/true"}])"));
  }
  json mounts = spec["mounts"];
  REQUIRE(mounts.size() == 4);
  CHECK(mounts[0]["destination"] == "/proc");
  CHECK(mounts[1] == json::parse(R"({"destination": "/opt/replaced", "type": "bind",
        "source": "/srv/a", "options": ["ro", "rbind"]})"));
  CHECK(mounts[2] == json::parse(R"({"destination": "/opt/t", "type": "tmpfs",
        "source": "/srv/t", "options": ["size=1m"]})"));
  CHECK(mounts[3] == json::parse(R"({"destination": "/opt/b", "type": "bind",
        "source": "/srv/b", "options": ["bind"]})"));
}

TEST_CASE("a 0.8.0 YAML spec merges additionalGids, =all takes every device of the kind",
          "[devices][cdi]") {
  TempDir dir;
  spec_file(dir, "cdi/acc.yml", R"(cdiVersion: 0.8.0
kind: example.com/acc
containerEdits:
  additionalGids: [0, 44]
devices:
  - name: "0"
    containerEdits:
      env: [ACC0=yes]
      additionalGids: [44, 45]
  - name: "1"
    containerEdits:
      env: [ACC1=yes]
)");
  json spec = base_spec();
  spec["process"]["user"]["additionalGids"] = json::array({45});
  json all = applied(edits_for({dir.file("cdi")}, {"example.com/acc=all"}), spec);
  CHECK(all["process"]["user"]["additionalGids"] == json::parse("[45, 44]"));
  CHECK(env_value(all, "ACC0") == "yes");
  CHECK(env_value(all, "ACC1") == "yes");

  json one = applied(edits_for({dir.file("cdi")}, {"example.com/acc=1"}));
  CHECK(env_value(one, "ACC0") == "<unset>");
  CHECK(env_value(one, "ACC1") == "yes");
  CHECK(one["process"]["user"]["additionalGids"] == json::parse("[44]"));
}

TEST_CASE("a kind that defines a device named all gets that device for =all", "[devices][cdi]") {
  TempDir dir;
  spec_file(dir, "cdi/nv.json", R"({"cdiVersion": "0.5.0", "kind": "nvidia.com/gpu",
    "devices": [{"name": "0", "containerEdits": {"env": ["ZERO=1"]}},
                {"name": "all", "containerEdits": {"env": ["ALL=1"]}}]})");
  json spec = applied(edits_for({dir.file("cdi")}, {"nvidia.com/gpu=all"}));
  CHECK(env_value(spec, "ALL") == "1");
  CHECK(env_value(spec, "ZERO") == "<unset>");
}

TEST_CASE("device lists split on commas and reject names that are not fully qualified",
          "[devices][cdi]") {
  auto names = parse_cdi_device_list("example.com/a=x,,example.com/b=y:1");
  REQUIRE(names.has_value());
  CHECK(*names == std::vector<std::string>{"example.com/a=x", "example.com/b=y:1"});
  for (const char* bad : {"gpu0", "example.com=x", "example.com/a", "example.com/a=",
                          "example.com/a/b=x", "-x.com/a=b", "example.com/a=x y"}) {
    INFO(bad);
    auto parsed = parse_cdi_device_list(bad);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().kind() == ErrorKind::usage);
    CHECK_THAT(parsed.error().what(), Catch::Contains(bad));
  }
}

TEST_CASE("a later CDI directory overrides an earlier one, a duplicate in one directory "
          "is a conflict naming both files",
          "[devices][cdi]") {
  TempDir dir;
  std::string etc = dir.file("etc"), run = dir.file("run");
  auto device = [](const std::string& value) {
    return R"({"cdiVersion": "0.3.0", "kind": "example.com/c", "devices": [)"
           R"({"name": "d", "containerEdits": {"env": ["FROM=)" +
           value + R"("]}}]})";
  };
  spec_file(dir, "etc/a.json", device("etc"));
  spec_file(dir, "run/a.json", device("run"));
  CHECK(env_value(applied(edits_for({etc, run}, {"example.com/c=d"})), "FROM") == "run");
  CHECK(env_value(applied(edits_for({run, etc}, {"example.com/c=d"})), "FROM") == "etc");

  std::string twice = spec_file(dir, "etc/b.yaml",
                                "cdiVersion: 0.3.0\nkind: example.com/c\n"
                                "devices: [{name: d}]\n");
  Error conflict = error_for({etc}, {"example.com/c=d"});
  CHECK(conflict.kind() == ErrorKind::conflict);
  CHECK_THAT(conflict.what(), Catch::Contains(dir.file("etc/a.json")));
  CHECK_THAT(conflict.what(), Catch::Contains(twice));
  CHECK_THAT(conflict.what(), Catch::Contains("example.com/c=d"));
  // The later directory's single definition wins over the clash below it.
  CHECK(env_value(applied(edits_for({etc, run}, {"example.com/c=d"})), "FROM") == "run");
}

TEST_CASE("an unknown CDI device is not_found naming it and the directories searched",
          "[devices][cdi]") {
  TempDir dir;
  spec_file(dir, "one/a.json", R"({"cdiVersion": "0.3.0", "kind": "example.com/c",
    "devices": [{"name": "d"}]})");
  std::vector<std::string> dirs = {dir.file("one"), dir.file("missing")};
  for (const char* name : {"example.com/c=nope", "example.com/other=d", "example.com/other=all"}) {
    INFO(name);
    Error error = error_for(dirs, {name});
    CHECK(error.kind() == ErrorKind::not_found);
    CHECK_THAT(error.what(), Catch::Contains(name));
    CHECK_THAT(error.what(), Catch::Contains(dir.file("one")));
    CHECK_THAT(error.what(), Catch::Contains(dir.file("missing")));
  }
}

TEST_CASE("CDI versions outside 0.3.0 to 0.8.0 are unsupported, naming the file",
          "[devices][cdi]") {
  for (const char* version : {"0.2.0", "0.9.0", "1.0.0", "latest", "0.5"}) {
    INFO(version);
    TempDir dir;
    std::string file = spec_file(dir, "cdi/v.json",
                                 fmt::format(R"({{"cdiVersion": "{}", "kind": "example.com/c",
                                   "devices": [{{"name": "d"}}]}})",
                                             version));
    Error error = error_for({dir.file("cdi")}, {"example.com/c=d"});
    CHECK(error.kind() == ErrorKind::unsupported);
    CHECK_THAT(error.what(), Catch::Contains(file));
    CHECK_THAT(error.what(), Catch::Contains(version));
  }
}

TEST_CASE("a field newer than the spec's cdiVersion is rejected naming the field",
          "[devices][cdi]") {
  struct Case {
    const char* version;
    const char* edits;
    const char* field;
  };
  const Case cases[] = {
      {"0.3.0", R"({"mounts": [{"hostPath": "/a", "containerPath": "/b", "type": "bind"}]})",
       "mounts[].type"},
      {"0.4.0", R"({"deviceNodes": [{"path": "/dev/x", "hostPath": "/dev/null"}]})",
       "deviceNodes[].hostPath"},
      {"0.6.0", R"({"additionalGids": [5]})", "additionalGids"},
  };
  for (const Case& c : cases) {
    INFO(c.field);
    TempDir dir;
    std::string file = spec_file(dir, "cdi/v.json",
                                 fmt::format(R"({{"cdiVersion": "{}", "kind": "example.com/c",
                         "devices": [{{"name": "d", "containerEdits": {}}}]}})",
                                             c.version, c.edits));
    Error error = error_for({dir.file("cdi")}, {"example.com/c=d"});
    CHECK(error.kind() == ErrorKind::corrupt_input);
    CHECK_THAT(error.what(), Catch::Contains(file));
    CHECK_THAT(error.what(), Catch::Contains(c.field));
  }
}

TEST_CASE("malformed or incomplete JSON and YAML specs are corrupt_input naming the file",
          "[devices][cdi]") {
  const std::pair<const char*, const char*> cases[] = {
      {"bad.json", R"({"cdiVersion": "0.3.0", "kind": )"},
      {"bad.yaml", "cdiVersion: 0.3.0\nkind: [unclosed\n"},
      {"nokind.json", R"({"cdiVersion": "0.3.0", "devices": [{"name": "d"}]})"},
      {"badkind.yaml", "cdiVersion: 0.3.0\nkind: nokind\ndevices: [{name: d}]\n"},
      {"nodevices.json", R"({"cdiVersion": "0.3.0", "kind": "example.com/c"})"},
      {"badname.json", R"({"cdiVersion": "0.3.0", "kind": "example.com/c",
                          "devices": [{"name": "-d"}]})"},
      {"badhook.json", R"({"cdiVersion": "0.3.0", "kind": "example.com/c",
        "devices": [{"name": "d", "containerEdits": {"hooks": [
          {"hookName": "whenever", "path": "/bin/true"}]}}]})"},
      {"badmajor.yml", "cdiVersion: 0.3.0\nkind: example.com/c\ndevices:\n- name: d\n"
                       "  containerEdits:\n    deviceNodes: [{path: /dev/x, major: one}]\n"},
      {"badenv.json", R"({"cdiVersion": "0.3.0", "kind": "example.com/c",
        "devices": [{"name": "d", "containerEdits": {"env": ["NOVALUE"]}}]})"},
      {"badperm.json", R"({"cdiVersion": "0.3.0", "kind": "example.com/c",
        "devices": [{"name": "d", "containerEdits": {"deviceNodes": [
          {"path": "/dev/null", "permissions": "rx"}]}}]})"},
  };
  for (const auto& [name, text] : cases) {
    INFO(name);
    TempDir dir;
    std::string file = spec_file(dir, std::string("cdi/") + name, text);
    Error error = error_for({dir.file("cdi")}, {"example.com/c=d"});
    CHECK(error.kind() == ErrorKind::corrupt_input);
    CHECK_THAT(error.what(), Catch::Contains(file));
  }
}

TEST_CASE("intelRdt and netDevices are unsupported only for the devices that use them",
          "[devices][cdi]") {
  TempDir dir;
  spec_file(dir, "cdi/r.json", R"({"cdiVersion": "0.8.0", "kind": "example.com/c",
    "devices": [{"name": "rdt", "containerEdits": {"intelRdt": {"closID": "x"}}},
                {"name": "net", "containerEdits": {"netDevices": [{"hostInterfaceName": "e"}]}},
                {"name": "ok", "containerEdits": {"env": ["OK=1"]}}]})");
  CHECK(env_value(applied(edits_for({dir.file("cdi")}, {"example.com/c=ok"})), "OK") == "1");
  for (const char* name : {"rdt", "net"}) {
    json spec = base_spec();
    auto done =
        apply_cdi_edits(edits_for({dir.file("cdi")}, {std::string("example.com/c=") + name}), spec);
    REQUIRE_FALSE(done.has_value());
    CHECK(done.error().kind() == ErrorKind::unsupported);
    CHECK_THAT(done.error().what(), Catch::Contains(dir.file("cdi/r.json")));
  }
}

TEST_CASE("a missing or mistyped host device node is an error naming it", "[devices][cdi]") {
  TempDir dir;
  write_text(dir.file("plain"), "not a device");
  spec_file(dir, "cdi/n.json",
            fmt::format(R"({{"cdiVersion": "0.5.0", "kind": "example.com/c",
    "devices": [{{"name": "gone", "containerEdits": {{"deviceNodes": [{{"path": "/dev/gone",
                   "hostPath": "{0}/gone"}}]}}}},
                {{"name": "file", "containerEdits": {{"deviceNodes": [{{"path": "/dev/f",
                   "hostPath": "{0}/plain"}}]}}}},
                {{"name": "block", "containerEdits": {{"deviceNodes": [{{"path": "/dev/b",
                   "hostPath": "/dev/null", "type": "b"}}]}}}}]}})",
                        dir.path().string()));
  const std::pair<const char*, ErrorKind> cases[] = {
      {"gone", ErrorKind::not_found}, {"file", ErrorKind::usage}, {"block", ErrorKind::usage}};
  for (const auto& [name, kind] : cases) {
    INFO(name);
    json spec = base_spec();
    auto done =
        apply_cdi_edits(edits_for({dir.file("cdi")}, {std::string("example.com/c=") + name}), spec);
    REQUIRE_FALSE(done.has_value());
    CHECK(done.error().kind() == kind);
  }
}

TEST_CASE("build_spec applies --device edits after the resources and the config validates",
          "[devices][cdi]") {
  SpecFixture f;
  spec_file(f.dir, "cdi/n.json", R"({"cdiVersion": "0.5.0", "kind": "example.com/c",
    "devices": [{"name": "null", "containerEdits": {
      "env": ["CDI=1"],
      "deviceNodes": [{"path": "/dev/cdi-null", "hostPath": "/dev/null"}],
      "mounts": [{"hostPath": "/etc", "containerPath": "/host-etc", "options": ["ro", "bind"]}],
      "hooks": [{"hookName": "poststop", "path": "/bin/sh", "args": ["sh", "-c", "true"]}]}}]})");
  f.options.devices.cdi = {"example.com/c=null"};
  f.options.devices.cdi_dirs = {f.dir.file("cdi")};
  // The caller 1234 runs in a user namespace: the node is a bind of the host's.
  json spec = f.spec();
  CHECK(env_value(spec, "CDI") == "1");
  CHECK_FALSE(spec["linux"].contains("devices"));
  CHECK(find_mount(spec, "/dev/cdi-null")["source"] == "/dev/null");
  CHECK(spec["linux"]["resources"]["devices"].back()["major"] == 1);
  CHECK(find_mount(spec, "/host-etc")["source"] == "/etc");
  CHECK(spec["hooks"]["poststop"][0]["path"] == "/bin/sh");

  f.host.uid = 0;
  f.host.gid = 0;
  json as_root = f.spec();
  CHECK(as_root["linux"]["devices"][0]["path"] == "/dev/cdi-null");
  CHECK(find_mount(as_root, "/dev/cdi-null").is_null());
  f.options.fakeroot = true;
  CHECK(find_mount(f.spec(), "/dev/cdi-null")["source"] == "/dev/null");

  f.options.devices.cdi = {"example.com/c=absent"};
  auto missing = f.build();
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().kind() == ErrorKind::not_found);
  CHECK_THAT(missing.error().what(), Catch::Contains("example.com/c=absent"));

  if (!can_validate_runtime_spec()) {
    return;
  }
  write_text(f.dir.file("config.json"), spec.dump(2));
  CHECK(validate_runtime_spec(f.dir.file("config.json")) == "");
}

TEST_CASE("in a user namespace device nodes become binds of the host nodes", "[devices][cdi]") {
  TempDir dir;
  spec_file(dir, "cdi/n.json", R"({"cdiVersion": "0.5.0", "kind": "example.com/c",
    "devices": [{"name": "n", "containerEdits": {"deviceNodes": [
      {"path": "/dev/cdi-null", "hostPath": "/dev/null", "permissions": "rw"},
      {"path": "/dev/zero"}]}}]})");
  json spec = base_spec();
  auto done = apply_cdi_edits(edits_for({dir.file("cdi")}, {"example.com/c=n"}), spec,
                              DeviceNodeMode::bind);
  REQUIRE(done.has_value());
  CHECK_FALSE(spec["linux"].contains("devices"));
  CHECK(find_mount(spec, "/dev/cdi-null") == json::parse(R"({"destination": "/dev/cdi-null",
        "type": "bind", "source": "/dev/null", "options": ["bind", "nosuid"]})"));
  CHECK(find_mount(spec, "/dev/zero")["source"] == "/dev/zero");
  json rules = spec["linux"]["resources"]["devices"];
  REQUIRE(rules.size() == 3);
  CHECK(rules[1]["access"] == "rw");
  CHECK(rules[2]["minor"] == 5);
}
