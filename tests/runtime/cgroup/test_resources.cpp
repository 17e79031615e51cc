// Resource limits as the OCI "linux.resources" object: SingularityCE's cgroups TOML and
// the JSON form, field by field; the flags (--cpus, sizes, -1 for unlimited); the errors;
// the rule against limits for unprivileged callers; the config it ends up in; and the
// cgroupfs reader for v1 and v2 layouts.
#include <runtime/cgroup/cgroup.h>

#include <filesystem>

#include "runtime/spec_fixture.h"
#include "runtime/spec_schema.h"
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::runtime;
using namespace sifkit::test;
using nlohmann::json;

namespace {

const char* const k_full_toml = R"(
[memory]
    limit = 536870912
    reservation = 268435456
    swap = 1073741824
    kernel = -1
    kernelTCP = 1048576
    swappiness = 10
    disableOOMKiller = false
[cpu]
    shares = 512
    quota = 50000
    period = 100000
    realtimeRuntime = 1000
    realtimePeriod = 2000
    cpus = "0"
    mems = "0"
[pids]
    limit = 64
[blockIO]
    weight = 500
    leafWeight = 300
    [[blockIO.weightDevice]]
        major = 8
        minor = 0
        weight = 200
        leafWeight = 100
    [[blockIO.throttleReadBpsDevice]]
        major = 8
        minor = 0
        rate = 1048576
    [[blockIO.throttleWriteIOPSDevice]]
        major = 8
        minor = 16
        rate = 100
[[devices]]
    allow = false
    access = "rwm"
[[devices]]
    allow = true
    type = "c"
    major = 1
    minor = 3
    access = "rw"
[[hugepageLimits]]
    pageSize = "2MB"
    limit = 0
[network]
    classID = 1048577
    [[network.priorities]]
        name = "eth0"
        priority = 10
[unified]
    "memory.high" = "500000000"
)";

json parsed(const std::string& text) {
  auto result = resources_from_text(text, "limits.toml");
  if (!result) {
    FAIL(result.error().what());
  }
  return *result;
}

void require_usage(const Result<json>& result, const std::string& fragment) {
  REQUIRE_FALSE(result);
  CHECK(result.error().kind() == ErrorKind::usage);
  CHECK_THAT(result.error().what(), Catch::Contains(fragment));
}

json from_flags(const ResourceOptions& options, unsigned cpus = 4) {
  auto result = resources_from_flags(options, cpus);
  if (!result) {
    FAIL(result.error().what());
  }
  return *result;
}

// A block device node 7:200 in `dir`; empty when it cannot be made (no CAP_MKNOD).
std::string make_block_device(const TempDir& dir) {
  std::string path = dir.file("blk");
  if (::mknod(path.c_str(), S_IFBLK | 0600, makedev(7, 200)) != 0) {
    return "";
  }
  return path;
}

} // namespace

TEST_CASE("a cgroups TOML becomes the OCI linux.resources object field by field", "[resources]") {
  json r = parsed(k_full_toml);
  CHECK(r["memory"] == json{{"limit", 536870912},
                            {"reservation", 268435456},
                            {"swap", 1073741824},
                            {"kernel", -1},
                            {"kernelTCP", 1048576},
                            {"swappiness", 10},
                            {"disableOOMKiller", false}});
  CHECK(r["cpu"] == json{{"shares", 512},
                         {"quota", 50000},
                         {"period", 100000},
                         {"realtimeRuntime", 1000},
                         {"realtimePeriod", 2000},
                         {"cpus", "0"},
                         {"mems", "0"}});
  CHECK(r["pids"] == json{{"limit", 64}});
  CHECK(r["blockIO"]["weight"] == 500);
  CHECK(r["blockIO"]["leafWeight"] == 300);
  CHECK(r["blockIO"]["weightDevice"] ==
        json::array({{{"major", 8}, {"minor", 0}, {"weight", 200}, {"leafWeight", 100}}}));
  CHECK(r["blockIO"]["throttleReadBpsDevice"] ==
        json::array({{{"major", 8}, {"minor", 0}, {"rate", 1048576}}}));
  CHECK(r["blockIO"]["throttleWriteIOPSDevice"][0]["rate"] == 100);
  CHECK(r["devices"] ==
        json::array(
            {{{"allow", false}, {"access", "rwm"}},
             {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rw"}}}));
  CHECK(r["hugepageLimits"] == json::array({{{"pageSize", "2MB"}, {"limit", 0}}}));
  CHECK(r["network"] == json{{"classID", 1048577},
                             {"priorities", json::array({{{"name", "eth0"}, {"priority", 10}}})}});
  CHECK(r["unified"] == json{{"memory.high", "500000000"}});
  CHECK(r.size() == 8);
}

TEST_CASE("a JSON limits file is taken as the OCI object itself", "[resources]") {
  std::string text = R"(  {"memory": {"limit": 67108864}, "pids": {"limit": 20},
                         "cpu": {"cpus": "0-1", "shares": 256}})";
  json r = parsed(text);
  CHECK(r == json{{"memory", {{"limit", 67108864}}},
                  {"pids", {{"limit", 20}}},
                  {"cpu", {{"cpus", "0-1"}, {"shares", 256}}}});
  // The same object in TOML gives the same JSON.
  CHECK(parsed("[memory]\nlimit = 67108864\n[pids]\nlimit = 20\n[cpu]\ncpus = \"0-1\"\n"
               "shares = 256\n") == r);
  CHECK(parsed("") == json::object());
  CHECK(parsed("{}") == json::object());
}

TEST_CASE("a limits file with an unknown key, a wrong type or bad syntax is a usage error "
          "naming the file and the key",
          "[resources]") {
  require_usage(resources_from_text("[memory]\nlimt = 5\n", "my.toml"), "my.toml");
  require_usage(resources_from_text("[memory]\nlimt = 5\n", "my.toml"), "'memory.limt'");
  require_usage(resources_from_text("[memroy]\nlimit = 5\n", "a.toml"), "unknown key 'memroy'");
  require_usage(resources_from_text("[memory]\nlimit = \"1G\"\n", "a.toml"),
                "'memory.limit' must be an integer");
  require_usage(resources_from_text("[cpu]\nshares = -5\n", "a.toml"),
                "'cpu.shares' must be a non-negative integer");
  require_usage(resources_from_text("[cpu]\ncpus = 0\n", "a.toml"), "'cpu.cpus' must be a string");
  require_usage(resources_from_text("[blockIO]\nweight = 70000\n", "a.toml"),
                "'blockIO.weight' must be an integer in 0..65535");
  require_usage(
      resources_from_text("[[blockIO.weightDevice]]\nmajor = 8\nminor = 0\nwieght = 1\n", "a.toml"),
      "'blockIO.weightDevice[0].wieght'");
  require_usage(resources_from_text("[pids]\n", "a.toml"), "'pids' needs the key 'limit'");
  require_usage(resources_from_text("[[devices]]\naccess = \"rwm\"\n", "a.toml"),
                "'devices[0]' needs the key 'allow'");
  require_usage(resources_from_text("memory = 5\n", "a.toml"), "'memory' must be a table");
  require_usage(resources_from_text("[memory\nlimit = 1\n", "bad.toml"), "bad.toml:1");
  require_usage(resources_from_text("{\"memory\": {\"limit\": 1.5}}", "l.json"),
                "'memory.limit' must be an integer");
  require_usage(resources_from_text("{\"memory\": ", "l.json"), "l.json: not valid JSON");
  require_usage(resources_from_text("{\"swap\": 1}", "l.json"), "unknown key 'swap'");
}

TEST_CASE("a JSON limits file with a number beyond any double is a usage error naming the file",
          "[resources][hostile]") {
  // nlohmann reports such a number with out_of_range, not parse_error.
  require_usage(resources_from_text("{\"memory\": {\"limit\": 1e400}}", "big.json"),
                "big.json: not valid JSON");
}

TEST_CASE("an unreadable --apply-cgroups file is a usage error naming it", "[resources]") {
  require_usage(resources_from_file("/no/such/limits.toml"), "/no/such/limits.toml");
  TempDir dir;
  write_text(dir.file("limits.toml"), "[pids]\nlimit = 7\n");
  auto read = resources_from_file(dir.file("limits.toml"));
  REQUIRE(read);
  CHECK(*read == json{{"pids", {{"limit", 7}}}});
}

TEST_CASE("the --cpus flag becomes a quota over a 100000 us period, within 0.01 and the CPU count",
          "[resources]") {
  ResourceOptions o;
  o.cpus = 1.5;
  CHECK(from_flags(o)["cpu"] == json{{"period", 100000}, {"quota", 150000}});
  o.cpus = 0.01;
  CHECK(from_flags(o)["cpu"]["quota"] == 1000);
  o.cpus = 4;
  CHECK(from_flags(o, 4)["cpu"]["quota"] == 400000);
  for (double bad : {0.0, 0.005, 4.5, -1.0}) {
    INFO("cpus " << bad);
    o.cpus = bad;
    require_usage(resources_from_flags(o, 4), "--cpus");
  }
  o.cpus = 3;
  require_usage(resources_from_flags(o, 2), "outside 0.01..2");
}

TEST_CASE("the memory, pids, cpu and blkio flags become their OCI fields", "[resources]") {
  ResourceOptions o;
  CHECK(from_flags(o) == json::object());
  o.memory = 64 << 20;
  o.memory_reservation = 32 << 20;
  o.memory_swap = -1;
  o.oom_kill_disable = true;
  o.pids_limit = -1;
  o.cpu_shares = 512;
  o.cpuset_cpus = "0-1,3";
  o.cpuset_mems = "0";
  o.blkio_weight = 300;
  json r = from_flags(o);
  CHECK(r["memory"] == json{{"limit", 67108864},
                            {"reservation", 33554432},
                            {"swap", -1},
                            {"disableOOMKiller", true}});
  CHECK(r["pids"] == json{{"limit", -1}});
  CHECK(r["cpu"] == json{{"shares", 512}, {"cpus", "0-1,3"}, {"mems", "0"}});
  CHECK(r["blockIO"] == json{{"weight", 300}});
  o.memory_swap = 128 << 20;
  o.pids_limit = 50;
  r = from_flags(o);
  CHECK(r["memory"]["swap"] == 134217728);
  CHECK(r["pids"]["limit"] == 50);
}

TEST_CASE("malformed limit flags are usage errors that say what is wrong", "[resources]") {
  auto with = [](auto change) {
    ResourceOptions o;
    change(o);
    return resources_from_flags(o, 4);
  };
  require_usage(with([](auto& o) { o.pids_limit = 0; }), "--pids-limit 0");
  require_usage(with([](auto& o) { o.pids_limit = -2; }), "-1 for unlimited");
  require_usage(with([](auto& o) { o.cpu_shares = 1; }), "--cpu-shares");
  require_usage(with([](auto& o) { o.cpuset_cpus = "0-"; }), "--cpuset-cpus '0-'");
  require_usage(with([](auto& o) { o.cpuset_cpus = "3-1"; }), "--cpuset-cpus");
  require_usage(with([](auto& o) { o.cpuset_mems = "a"; }), "--cpuset-mems 'a'");
  require_usage(with([](auto& o) { o.cpuset_cpus = "0,"; }), "--cpuset-cpus");
  require_usage(with([](auto& o) { o.blkio_weight = 5; }), "--blkio-weight 5 is outside 10..1000");
  require_usage(with([](auto& o) { o.blkio_weight = 1001; }), "outside 10..1000");
  require_usage(with([](auto& o) { o.memory_swap = 1 << 30; }), "needs --memory");
  require_usage(with([](auto& o) {
                  o.memory = 1 << 30;
                  o.memory_swap = 1 << 20;
                }),
                "must not be below --memory");
  require_usage(with([](auto& o) {
                  o.memory = 1 << 20;
                  o.memory_reservation = 1 << 30;
                }),
                "--memory-reservation");
}

TEST_CASE("sizes take docker's binary units", "[resources]") {
  auto size = [](const std::string& text) {
    auto result = parse_size(text, "--memory");
    if (!result) {
      FAIL(result.error().what());
    }
    return *result;
  };
  CHECK(size("4096") == 4096);
  CHECK(size("512M") == 512LL << 20);
  CHECK(size("512m") == 512LL << 20);
  CHECK(size("1G") == 1LL << 30);
  CHECK(size("1g") == 1LL << 30);
  CHECK(size("1024k") == 1LL << 20);
  CHECK(size("1.5G") == 3LL << 29);
  CHECK(size("2MiB") == 2LL << 20);
  CHECK(size("2mb") == 2LL << 20);
  CHECK(size("100b") == 100);
  CHECK(size("1T") == 1LL << 40);
  for (const char* bad :
       {"", "M", "-1", "1X", "1.2.3G", "12 M B", "0", "0.1", ".5G", "1e3", "99999999P"}) {
    INFO("size '" << bad << "'");
    auto result = parse_size(bad, "--memory");
    REQUIRE_FALSE(result);
    CHECK(result.error().kind() == ErrorKind::usage);
    CHECK_THAT(result.error().what(), Catch::Contains("--memory"));
  }
}

TEST_CASE("the --blkio-weight-device flag takes a block device path and a weight", "[resources]") {
  auto parsed_device = parse_weight_device("/dev/x:200");
  REQUIRE(parsed_device);
  CHECK(parsed_device->first == "/dev/x");
  CHECK(parsed_device->second == 200);
  for (const char* bad : {"/dev/x", "/dev/x:", ":200", "/dev/x:2a", "/dev/x:5", "/dev/x:2000"}) {
    INFO(bad);
    auto result = parse_weight_device(bad);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind() == ErrorKind::usage);
  }
  TempDir dir;
  ResourceOptions o;
  o.blkio_weight_device = {{dir.file("missing"), 100}};
  require_usage(resources_from_flags(o, 4), dir.file("missing"));
  write_text(dir.file("plain"), "not a device");
  o.blkio_weight_device = {{dir.file("plain"), 100}};
  require_usage(resources_from_flags(o, 4), "is not a block device");
  o.blkio_weight_device = {{"/dev/null", 100}};
  require_usage(resources_from_flags(o, 4), "/dev/null is not a block device");
  std::string device = make_block_device(dir);
  if (device.empty() && ::geteuid() != 0) {
    SIFKIT_SKIP(root, "making a block device node needs root");
    return;
  }
  if (device.empty()) {
    SIFKIT_SKIP(host, "cannot make a block device node here (CAP_MKNOD is taken away)");
    return;
  }
  o.blkio_weight_device = {{device, 250}};
  CHECK(from_flags(o)["blockIO"]["weightDevice"] ==
        json::array({{{"major", 7}, {"minor", 200}, {"weight", 250}}}));
}

TEST_CASE("a --apply-cgroups file and the limit flags are mutually exclusive", "[resources]") {
  TempDir dir;
  write_text(dir.file("l.toml"), "[memory]\nlimit = 1048576\n");
  ResourceOptions o;
  o.apply_cgroups = dir.file("l.toml");
  auto file_only = build_resources(o, 4);
  REQUIRE(file_only);
  CHECK(*file_only == json{{"memory", {{"limit", 1048576}}}});
  o.pids_limit = 10;
  require_usage(build_resources(o, 4), "--apply-cgroups cannot be combined");
  o.pids_limit.reset();
  o.oom_kill_disable = true;
  require_usage(build_resources(o, 4), "--apply-cgroups cannot be combined");
  CHECK(wants_limits(o));
  CHECK_FALSE(wants_limits(ResourceOptions{}));
}

TEST_CASE("an unlimited pids limit is left out, as the default of a new cgroup", "[resources]") {
  ResourceOptions o;
  o.pids_limit = -1;
  o.memory = 1 << 20;
  auto built = build_resources(o, 4);
  REQUIRE(built);
  CHECK(*built == json{{"memory", {{"limit", 1048576}}}});
  TempDir dir;
  write_text(dir.file("l.toml"), "[pids]\nlimit = -1\n[cpu]\nshares = 100\n");
  ResourceOptions file;
  file.apply_cgroups = dir.file("l.toml");
  built = build_resources(file, 4);
  REQUIRE(built);
  CHECK(*built == json{{"cpu", {{"shares", 100}}}});
}

TEST_CASE("limits for an unprivileged caller are refused as unsupported", "[resources]") {
  json limits = {{"memory", {{"limit", 1048576}}}};
  CHECK(require_cgroup_control(limits, 0));
  CHECK(require_cgroup_control(json::object(), 1000));
  auto refused = require_cgroup_control(limits, 1000);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind() == ErrorKind::unsupported);
  CHECK_THAT(refused.error().what(), Catch::Contains("rootless"));

  SpecFixture f; // the caller is uid 1234
  f.options.resources.memory = 64 << 20;
  auto spec = f.build();
  REQUIRE_FALSE(spec);
  CHECK(spec.error().kind() == ErrorKind::unsupported);
  f.host.uid = 0;
  f.host.gid = 0;
  CHECK(f.spec()["linux"]["resources"]["memory"]["limit"] == 67108864);
}

TEST_CASE("the limits land in linux.resources of a config that passes the schema, with the "
          "read-only cgroup mount for root",
          "[resources]") {
  SpecFixture f;
  f.host.uid = 0;
  f.host.gid = 0;
  ResourceOptions& o = f.options.resources;
  o.cpus = 0.5;
  o.cpu_shares = 512;
  o.cpuset_cpus = "0";
  o.memory = 64 << 20;
  o.memory_swap = -1;
  o.pids_limit = 50;
  o.blkio_weight = 200;
  json spec = f.spec();
  CHECK(spec["linux"]["resources"]["cpu"] ==
        json{{"period", 100000}, {"quota", 50000}, {"shares", 512}, {"cpus", "0"}});
  CHECK(spec["linux"]["resources"]["pids"]["limit"] == 50);
  json cgroup = find_mount(spec, "/sys/fs/cgroup");
  CHECK(cgroup["type"] == "cgroup");
  CHECK(mount_options(spec, "/sys/fs/cgroup") ==
        std::vector<std::string>{"nosuid", "noexec", "nodev", "relatime", "ro"});
  auto destinations = mount_destinations(spec);
  CHECK(std::find(destinations.begin(), destinations.end(), "/sys/fs/cgroup") ==
        std::find(destinations.begin(), destinations.end(), "/sys") + 1);
  f.options.no_mount = {"sys"};
  CHECK(find_mount(f.spec(), "/sys/fs/cgroup").is_null());
  f.options.no_mount.clear();
  f.host.uid = 1234;
  o = ResourceOptions{};
  CHECK(find_mount(f.spec(), "/sys/fs/cgroup").is_null());

  if (!can_validate_runtime_spec()) {
    return;
  }
  f.host.uid = 0;
  o.apply_cgroups = f.dir.file("limits.toml");
  write_text(*o.apply_cgroups, k_full_toml);
  spec = f.spec();
  spec["linux"]["cgroupsPath"] = container_cgroups_path("sifkit-1-abc");
  write_text(f.dir.file("config.json"), spec.dump(2));
  CHECK(validate_runtime_spec(f.dir.file("config.json")) == "");
}

TEST_CASE("the cgroup reader reads v1 hierarchies and v2 files", "[resources]") {
  TempDir dir;
  std::string cg = "/sifkit/c1";
  CgroupInfo v1;
  v1.layout = CgroupLayout::legacy;
  for (const char* controller : {"memory", "cpu", "pids", "cpuset", "blkio"}) {
    v1.v1_mounts.push_back(dir.file(std::string("v1/") + controller));
  }
  write_text(dir.file("v1/memory" + cg + "/memory.limit_in_bytes"), "67108864\n");
  write_text(dir.file("v1/cpu" + cg + "/cpu.cfs_quota_us"), "50000\n");
  write_text(dir.file("v1/cpu" + cg + "/cpu.cfs_period_us"), "100000\n");
  write_text(dir.file("v1/cpu" + cg + "/cpu.shares"), "512\n");
  write_text(dir.file("v1/pids" + cg + "/pids.max"), "50\n");
  write_text(dir.file("v1/cpuset" + cg + "/cpuset.cpus"), "0\n");
  write_text(dir.file("v1/blkio" + cg + "/blkio.bfq.weight"), "default 200\n");
  auto limits = read_cgroup_limits(v1, cg);
  REQUIRE(limits);
  CHECK(limits->memory_limit == 67108864);
  CHECK(limits->cpu_quota == 50000);
  CHECK(limits->cpu_period == 100000);
  CHECK(limits->cpu_shares == 512);
  CHECK(limits->pids_limit == 50);
  CHECK(limits->cpuset_cpus == "0");
  CHECK(limits->blkio_weight == 200);
  CHECK(existing_cgroup_dirs(v1, cg).size() == 5);
  write_text(dir.file("v1/memory" + cg + "/memory.limit_in_bytes"), "9223372036854771712\n");
  write_text(dir.file("v1/cpu" + cg + "/cpu.cfs_quota_us"), "-1\n");
  write_text(dir.file("v1/pids" + cg + "/pids.max"), "max\n");
  limits = read_cgroup_limits(v1, cg);
  REQUIRE(limits);
  CHECK_FALSE(limits->memory_limit);
  CHECK_FALSE(limits->cpu_quota);
  CHECK_FALSE(limits->pids_limit);

  CgroupInfo v2;
  v2.layout = CgroupLayout::unified;
  v2.v2_mount = dir.file("v2");
  write_text(dir.file("v2" + cg + "/memory.max"), "67108864\n");
  write_text(dir.file("v2" + cg + "/cpu.max"), "150000 100000\n");
  write_text(dir.file("v2" + cg + "/cpu.weight"), "20\n");
  write_text(dir.file("v2" + cg + "/pids.max"), "max\n");
  write_text(dir.file("v2" + cg + "/cpuset.cpus"), "0-1\n");
  limits = read_cgroup_limits(v2, cg);
  REQUIRE(limits);
  CHECK(limits->memory_limit == 67108864);
  CHECK(limits->cpu_quota == 150000);
  CHECK(limits->cpu_period == 100000);
  CHECK(limits->cpu_shares == 20);
  CHECK_FALSE(limits->pids_limit);
  CHECK(limits->cpuset_cpus == "0-1");
  CHECK_FALSE(limits->blkio_weight);
  write_text(dir.file("v2" + cg + "/cpu.max"), "max 100000\n");
  CHECK_FALSE(read_cgroup_limits(v2, cg)->cpu_quota);

  auto missing = read_cgroup_limits(v2, "/sifkit/none");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind() == ErrorKind::not_found);
  CHECK(existing_cgroup_dirs(v2, "/sifkit/none").empty());
}

TEST_CASE("a container's cgroup directories are removed from every hierarchy, never the parent",
          "[resources]") {
  if (::geteuid() != 0) {
    SIFKIT_SKIP(root, "making cgroups needs root");
    return;
  }
  auto info = detect_cgroups();
  REQUIRE(info);
  if (info->layout == CgroupLayout::none) {
    SIFKIT_SKIP(host, "no cgroup filesystem here");
    return;
  }
  std::string id = fmt::format("sifkit-test-{}", ::getpid());
  std::string path = container_cgroups_path(id);
  CHECK(path == "/sifkit/" + id);
  std::vector<std::string> mounts = info->v1_mounts;
  if (!info->v2_mount.empty()) {
    mounts.push_back(info->v2_mount);
  }
  for (const auto& mount : mounts) {
    std::error_code ec;
    std::filesystem::create_directories(mount + path, ec);
  }
  REQUIRE_FALSE(existing_cgroup_dirs(*info, path).empty());
  // A process in one of them: not removed, and said so.
  std::string pids_dir;
  for (const auto& dir : existing_cgroup_dirs(*info, path)) {
    if (std::filesystem::exists(dir + "/pids.max") && pids_dir.empty()) {
      pids_dir = dir;
    }
  }
  if (!pids_dir.empty()) {
    auto held = run_command("sh -c 'echo $$ > " + pids_dir + "/cgroup.procs; exec sleep 30' & " +
                            "sleep 0.5; echo $!");
    auto busy = remove_container_cgroup(*info, id);
    REQUIRE_FALSE(busy);
    CHECK(busy.error().kind() == ErrorKind::conflict);
    run_command("kill -KILL " + held.out);
    for (int i = 0; i < 100 && !file_bytes(pids_dir + "/cgroup.procs").empty(); ++i) {
      run_command("sleep 0.05");
    }
  } else {
    SIFKIT_SKIP(host, "the busy case: no pids controller here");
  }
  CHECK(remove_container_cgroup(*info, ""));
  CHECK(remove_container_cgroup(*info, "../x"));
  CHECK(std::filesystem::exists(mounts.front() + "/sifkit"));
  auto removed = remove_container_cgroup(*info, id);
  INFO((removed ? "" : removed.error().what()));
  CHECK(removed);
  CHECK(existing_cgroup_dirs(*info, path).empty());
  CHECK(remove_container_cgroup(*info, id)); // nothing left to do
}
