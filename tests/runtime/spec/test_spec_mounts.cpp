// The spec's mounts: kernel file systems, /tmp, home modes, scratch, user binds, the
// generated files (resolv.conf, hosts, passwd, group) and contained libraries.
#include "runtime/spec_fixture.h"
#include <sys/stat.h>

using namespace sifkit;
using namespace sifkit::runtime;
using namespace sifkit::test;
using Strings = std::vector<std::string>;

namespace {

bool has(const Strings& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void require_usage(const SpecFixture& f, const std::string& fragment) {
  auto result = f.build();
  REQUIRE_FALSE(result);
  CHECK(result.error().kind() == ErrorKind::usage);
  CHECK_THAT(result.error().message(), Catch::Contains(fragment));
}

} // namespace

TEST_CASE("the default mounts come in SingularityCE's order", "[spec]") {
  SpecFixture f;
  nlohmann::json spec = f.spec();
  CHECK(mount_destinations(spec) ==
        Strings{"/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/tmp", "/var/tmp",
                f.host.home, "/etc/resolv.conf", "/etc/hosts", "/etc/passwd", "/etc/group"});
  CHECK(mount_options(spec, "/proc") == Strings{"nosuid", "noexec", "nodev"});
  CHECK(mount_options(spec, "/dev") == Strings{"nosuid", "strictatime", "mode=755", "size=64m"});
  CHECK(mount_options(spec, "/dev/shm") ==
        Strings{"nosuid", "noexec", "nodev", "mode=1777", "size=64m"});
  CHECK(find_mount(spec, "/dev/mqueue")["type"] == "mqueue");
  CHECK(mount_options(spec, "/tmp") == Strings{"nosuid", "relatime", "mode=1777", "size=64m"});
  CHECK(find_mount(spec, "/var/tmp")["type"] == "tmpfs");
  CHECK(spec["ociVersion"] == "1.0.2");
  CHECK(spec["root"] == nlohmann::json{{"path", "rootfs"}, {"readonly", false}});
  CHECK(spec["linux"]["resources"] == nlohmann::json::object());
  CHECK_FALSE(spec["linux"].contains("cgroupsPath"));
  CHECK_FALSE(spec["linux"].contains("seccomp"));
  f.options.writable_tmpfs = false;
  CHECK(f.spec()["root"]["readonly"] == true);
}

TEST_CASE("root gets a fresh sysfs and a devpts with gid 5, others a read-only /sys bind",
          "[spec]") {
  SpecFixture f;
  nlohmann::json spec = f.spec();
  CHECK(find_mount(spec, "/sys")["type"] == "none");
  CHECK(find_mount(spec, "/sys")["source"] == "/sys");
  CHECK(mount_options(spec, "/sys") == Strings{"rbind", "nosuid", "noexec", "nodev", "ro"});
  CHECK_FALSE(has(mount_options(spec, "/dev/pts"), "gid=5"));
  f.host.uid = 0;
  f.host.gid = 0;
  spec = f.spec();
  CHECK(find_mount(spec, "/sys")["type"] == "sysfs");
  CHECK(mount_options(spec, "/sys") == Strings{"nosuid", "noexec", "nodev", "ro"});
  CHECK(mount_options(spec, "/dev/pts") ==
        Strings{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
}

TEST_CASE("the tmpfs size applies to every tmpfs", "[spec]") {
  SpecFixture f;
  f.options.tmpfs_size_mb = 16;
  f.options.scratch = {"/scratch"};
  f.options.home_mode = HomeMode::tmpfs;
  f.options.home_destination = "/home/me";
  nlohmann::json spec = f.spec();
  for (const char* destination : {"/dev", "/dev/shm", "/tmp", "/var/tmp", "/scratch", "/home/me"}) {
    INFO(destination);
    CHECK(has(mount_options(spec, destination), "size=16m"));
  }
}

TEST_CASE("no-mount leaves out proc, sys, devpts, tmp and home", "[spec]") {
  SpecFixture f;
  f.options.no_mount = {"proc", "sys", "devpts", "tmp", "home"};
  nlohmann::json spec = f.spec();
  CHECK(mount_destinations(spec) == Strings{"/dev", "/dev/shm", "/dev/mqueue", "/etc/resolv.conf",
                                            "/etc/hosts", "/etc/passwd", "/etc/group"});
  CHECK(spec["process"]["cwd"] == "/");
}

TEST_CASE("a /var/tmp that links to /tmp in the image gets no mount of its own", "[spec]") {
  SpecFixture f;
  std::filesystem::remove(f.rootfs + "/var/tmp");
  std::filesystem::create_symlink("../tmp", f.rootfs + "/var/tmp");
  nlohmann::json spec = f.spec();
  CHECK(find_mount(spec, "/var/tmp").is_null());
  CHECK_FALSE(find_mount(spec, "/tmp").is_null());
}

TEST_CASE("with --workdir /tmp, /var/tmp and scratch are binds of created directories", "[spec]") {
  SpecFixture f;
  f.options.workdir = f.dir.file("work");
  f.options.scratch = {"/data/scratch"};
  nlohmann::json spec = f.spec();
  CHECK(find_mount(spec, "/tmp")["source"] == f.dir.file("work/tmp"));
  CHECK(find_mount(spec, "/var/tmp")["source"] == f.dir.file("work/var_tmp"));
  CHECK(find_mount(spec, "/data/scratch")["source"] == f.dir.file("work/scratch/data/scratch"));
  CHECK(find_mount(spec, "/tmp")["type"] == "bind");
  struct stat st {};
  REQUIRE(stat(f.dir.file("work/tmp").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 01777);
  CHECK(std::filesystem::is_directory(f.dir.file("work/scratch/data/scratch")));
}

TEST_CASE("scratch directories are tmpfs mounts after home and must be absolute", "[spec]") {
  SpecFixture f;
  f.options.scratch = {"/s1", "/s2"};
  nlohmann::json spec = f.spec();
  Strings destinations = mount_destinations(spec);
  auto home = std::find(destinations.begin(), destinations.end(), f.host.home);
  auto s1 = std::find(destinations.begin(), destinations.end(), "/s1");
  CHECK(home < s1);
  CHECK(mount_options(spec, "/s2") == Strings{"relatime", "nodev", "nosuid", "size=64m"});
  f.options.scratch = {"rel"};
  require_usage(f, "rel");
}

TEST_CASE("user binds are rbinds, read-only on request, after scratch", "[spec]") {
  SpecFixture f;
  std::filesystem::create_directories(f.dir.file("data"));
  f.options.scratch = {"/s"};
  f.options.binds = {{f.dir.file("data"), "/data", false}, {f.dir.file("data"), "/data-ro", true}};
  nlohmann::json spec = f.spec();
  CHECK(find_mount(spec, "/data")["type"] == "bind");
  CHECK(find_mount(spec, "/data")["source"] == f.dir.file("data"));
  CHECK(mount_options(spec, "/data") == Strings{"rbind", "nosuid", "nodev"});
  CHECK(mount_options(spec, "/data-ro") == Strings{"rbind", "nosuid", "nodev", "ro"});
  Strings destinations = mount_destinations(spec);
  CHECK(std::find(destinations.begin(), destinations.end(), "/s") <
        std::find(destinations.begin(), destinations.end(), "/data"));
  CHECK(std::find(destinations.begin(), destinations.end(), "/data-ro") <
        std::find(destinations.begin(), destinations.end(), "/etc/resolv.conf"));
}

TEST_CASE("a bind whose source is missing or whose destination is relative is a usage error",
          "[spec]") {
  SpecFixture f;
  f.options.binds = {{f.dir.file("missing"), "/data", false}};
  require_usage(f, f.dir.file("missing"));
  std::filesystem::create_directories(f.dir.file("data"));
  f.options.binds = {{f.dir.file("data"), "data", false}};
  require_usage(f, "absolute");
}

TEST_CASE("the automatic home binds the caller's home only when the image has no USER", "[spec]") {
  SpecFixture f;
  nlohmann::json spec = f.spec();
  CHECK(find_mount(spec, f.host.home)["source"] == f.host.home);
  CHECK(mount_options(spec, f.host.home) == Strings{"rbind", "nosuid", "nodev"});
  f.image.config.user = "app";
  spec = f.spec();
  CHECK(find_mount(spec, f.host.home).is_null());
  CHECK(find_mount(spec, "/home/app").is_null());
  f.image.config.user.clear();
  f.host.home = "/";
  spec = f.spec();
  CHECK(find_mount(spec, "/").is_null());
}

TEST_CASE("a custom home binds a host directory or mounts a tmpfs owned by the user", "[spec]") {
  SpecFixture f;
  std::filesystem::create_directories(f.dir.file("althome"));
  f.options.home_mode = HomeMode::bind;
  f.options.home_source = f.dir.file("althome");
  f.options.home_destination = "/home/alt";
  nlohmann::json spec = f.spec();
  CHECK(find_mount(spec, "/home/alt")["source"] == f.dir.file("althome"));
  CHECK(find_mount(spec, f.host.home).is_null());
  CHECK(spec["process"]["cwd"] == "/home/alt");

  f.options.home_mode = HomeMode::tmpfs;
  spec = f.spec();
  CHECK(find_mount(spec, "/home/alt")["type"] == "tmpfs");
  CHECK(mount_options(spec, "/home/alt") ==
        Strings{"nosuid", "relatime", "mode=755", "size=64m", "uid=1234", "gid=1234"});
  f.host.uid = 0;
  f.host.gid = 0;
  CHECK_FALSE(has(mount_options(f.spec(), "/home/alt"), "uid=0"));

  f.options.home_mode = HomeMode::none;
  spec = f.spec();
  CHECK(find_mount(spec, "/home/alt").is_null());
  CHECK(find_mount(spec, f.host.home).is_null());
}

TEST_CASE("a custom home with an image USER is a usage error", "[spec]") {
  SpecFixture f;
  f.image.config.user = "app";
  f.options.home_mode = HomeMode::tmpfs;
  f.options.home_destination = "/home/x";
  require_usage(f, "USER");
}

TEST_CASE("resolv.conf copies the host's file or lists the --dns servers", "[spec]") {
  SpecFixture f;
  nlohmann::json spec = f.spec();
  nlohmann::json mount = find_mount(spec, "/etc/resolv.conf");
  CHECK(mount["source"] == f.files_dir + "/resolv.conf");
  CHECK(mount["options"].get<Strings>() == Strings{"bind", "nosuid", "nodev", "ro"});
  CHECK(file_bytes(f.files_dir + "/resolv.conf") == file_bytes(f.host.resolv_conf));
  f.options.dns = {"1.1.1.1", "2001:db8::1"};
  f.spec();
  CHECK(file_bytes(f.files_dir + "/resolv.conf") == "nameserver 1.1.1.1\nnameserver 2001:db8::1\n");
  f.options.dns = {"1.1.1.1", "not-an-ip"};
  require_usage(f, "not-an-ip");
}

TEST_CASE("hosts copies the host's file and adds the --hostname", "[spec]") {
  SpecFixture f;
  f.spec();
  CHECK(file_bytes(f.files_dir + "/hosts") == "127.0.0.1 localhost\n");
  f.options.hostname = "box";
  nlohmann::json spec = f.spec();
  CHECK(file_bytes(f.files_dir + "/hosts") == "127.0.0.1 localhost\n127.0.0.1 box\n");
  CHECK(spec["hostname"] == "box");
  f.options.hostname = "bad name;rm";
  require_usage(f, "bad name");
}

TEST_CASE("passwd and group get the caller appended when the container lacks them", "[spec]") {
  SpecFixture f;
  nlohmann::json spec = f.spec();
  CHECK(find_mount(spec, "/etc/passwd")["source"] == f.files_dir + "/passwd");
  CHECK(file_bytes(f.files_dir + "/passwd") ==
        std::string(k_container_passwd) + "alice:x:1234:1234:alice:" + f.host.home + ":/bin/sh\n");
  CHECK(file_bytes(f.files_dir + "/group") ==
        std::string(k_container_group) + "alices:x:1234:alice\n");
}

TEST_CASE("passwd replaces the container's entry for the caller's uid and keeps its shell",
          "[spec]") {
  SpecFixture f;
  f.host.uid = 1000;
  f.host.gid = 1000;
  f.host.user_name = "";
  f.spec();
  CHECK(file_bytes(f.files_dir + "/passwd") ==
        "root:x:0:0:root:/root:/bin/ash\n"
        "user1000:x:1000:1000:user1000:" +
            f.host.home +
            ":/bin/zsh\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n");
  std::string group = file_bytes(f.files_dir + "/group");
  CHECK_THAT(group, Catch::Contains("app:x:1000:user1000\n"));
  CHECK(std::count(group.begin(), group.end(), '\n') == 5);
}

TEST_CASE("passwd and group start from empty files when the container has none", "[spec]") {
  SpecFixture f;
  std::filesystem::remove(f.rootfs + "/etc/passwd");
  std::filesystem::remove(f.rootfs + "/etc/group");
  f.spec();
  CHECK(file_bytes(f.files_dir + "/passwd") ==
        "alice:x:1234:1234:alice:" + f.host.home + ":/bin/sh\n");
  CHECK(file_bytes(f.files_dir + "/group") == "alices:x:1234:alice\n");
}

TEST_CASE("an image USER gets the container's own passwd and group", "[spec]") {
  SpecFixture f;
  f.image.config.user = "app";
  nlohmann::json spec = f.spec();
  CHECK(find_mount(spec, "/etc/passwd").is_null());
  CHECK(find_mount(spec, "/etc/group").is_null());
  CHECK_FALSE(find_mount(spec, "/etc/resolv.conf").is_null());
}

TEST_CASE("contained libraries are bound read-only under /.sifkit.d/libs", "[spec]") {
  SpecFixture f;
  write_text(f.dir.file("lib/libfoo.so.1"), "elf");
  write_text(f.dir.file("lib/libbar.so"), "elf");
  f.host.env["SIFKIT_CONTAINLIBS"] = f.dir.file("lib/libfoo.so.1");
  f.host.env["SINGULARITY_CONTAINLIBS"] = f.dir.file("lib/libbar.so");
  nlohmann::json spec = f.spec();
  nlohmann::json foo = find_mount(spec, "/.sifkit.d/libs/libfoo.so.1");
  REQUIRE_FALSE(foo.is_null());
  CHECK(foo["source"] == f.dir.file("lib/libfoo.so.1"));
  CHECK(has(foo["options"].get<Strings>(), "ro"));
  CHECK_FALSE(find_mount(spec, "/.sifkit.d/libs/libbar.so").is_null());
  CHECK(mount_destinations(spec).back() == "/.sifkit.d/libs/libbar.so");
  f.host.env["SIFKIT_CONTAINLIBS"] += "," + f.dir.file("lib/missing.so");
  require_usage(f, "missing.so");
}

TEST_CASE("namespaces are pid, ipc and mount, plus network, uts and user on request", "[spec]") {
  SpecFixture f;
  nlohmann::json spec = f.spec();
  CHECK(namespace_types(spec) == Strings{"pid", "ipc", "mount"});
  CHECK_FALSE(spec.contains("hostname"));
  f.options.net = true;
  f.options.uts = true;
  CHECK(namespace_types(f.spec()) == Strings{"pid", "ipc", "mount", "network", "uts"});
  f.options.uts = false;
  f.options.hostname = "box";
  f.options.user = true;
  spec = f.spec();
  CHECK(namespace_types(spec) == Strings{"pid", "ipc", "mount", "network", "uts", "user"});
  nlohmann::json map = {{"containerID", 1234}, {"hostID", 1234}, {"size", 1}};
  CHECK(spec["linux"]["uidMappings"] == nlohmann::json::array({map}));
  CHECK(spec["linux"]["gidMappings"] == nlohmann::json::array({map}));
}

TEST_CASE("annotations carry the image's platform, author, dates and labels", "[spec]") {
  SpecFixture f;
  f.image.platform.variant = "v8";
  f.image.author = "someone";
  f.image.created = "2024-01-02T03:04:05Z";
  f.image.config.stop_signal = "SIGINT";
  f.image.config.labels = {{"org.example.x", "1"}, {"org.opencontainers.image.author", "label"}};
  nlohmann::json annotations = f.spec()["annotations"];
  CHECK(annotations["org.opencontainers.image.os"] == "linux");
  CHECK(annotations["org.opencontainers.image.architecture"] == "amd64");
  CHECK(annotations["org.opencontainers.image.variant"] == "v8");
  CHECK(annotations["org.opencontainers.image.created"] == "2024-01-02T03:04:05Z");
  CHECK(annotations["org.opencontainers.image.stopSignal"] == "SIGINT");
  CHECK(annotations["org.example.x"] == "1");
  CHECK(annotations["org.opencontainers.image.author"] == "label");
}

TEST_CASE("masked and read-only /proc paths are runc's defaults", "[spec]") {
  SpecFixture f;
  nlohmann::json linux_json = f.spec()["linux"];
  Strings masked = linux_json["maskedPaths"].get<Strings>();
  CHECK(masked.size() == 10);
  CHECK(has(masked, "/proc/kcore"));
  CHECK(has(masked, "/sys/firmware"));
  CHECK(linux_json["readonlyPaths"].get<Strings>() ==
        Strings{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"});
}

TEST_CASE("the same inputs give the same spec", "[spec]") {
  SpecFixture f;
  f.options.env = {"X=1"};
  CHECK(f.spec().dump() == f.spec().dump());
}
