#pragma once

// Test support for the spec generator: a fake root filesystem (etc/passwd, etc/group), a
// hand-made HostContext (no probing), and lookups into the generated config.json.
#include <runtime/spec/spec.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <support/fixtures.h>

namespace sifkit::test {

inline void write_text(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// The container's /etc/passwd and /etc/group in SpecFixture's root filesystem.
inline constexpr const char* k_container_passwd =
    "root:x:0:0:root:/root:/bin/ash\n"
    "app:x:1000:1000:app:/home/app:/bin/zsh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n";
inline constexpr const char* k_container_group = "root:x:0:\n"
                                                 "wheel:x:10:app,other\n"
                                                 "users:x:100:app\n"
                                                 "app:x:1000:\n"
                                                 "nogroup:x:65534:\n";

// An image (CMD /bin/sh), default options and the caller alice (1234:1234, home under
// the temporary directory, TERM and a proxy set, not a terminal).
struct SpecFixture {
  TempDir dir;
  oci::ImageConfig image;
  runtime::RunOptions options;
  runtime::HostContext host;
  std::string rootfs = dir.file("rootfs");
  std::string files_dir = dir.file("files");

  SpecFixture() {
    write_text(rootfs + "/etc/passwd", k_container_passwd);
    write_text(rootfs + "/etc/group", k_container_group);
    std::filesystem::create_directories(rootfs + "/tmp");
    std::filesystem::create_directories(rootfs + "/var/tmp");
    image.config.cmd = {"/bin/sh"};
    image.platform.os = "linux";
    image.platform.architecture = "amd64";
    host.uid = 1234;
    host.gid = 1234;
    host.user_name = "alice";
    host.group_name = "alices";
    host.home = dir.file("home/alice");
    std::filesystem::create_directories(host.home);
    host.shell = "/bin/bash";
    host.env = {{"TERM", "xterm-256color"},
                {"http_proxy", "http://proxy:3128"},
                {"HOME", host.home},
                {"SECRET", "not passed"}};
    host.effective_caps = {};
    host.resolv_conf = dir.file("host/resolv.conf");
    host.hosts = dir.file("host/hosts");
    host.hostname = "build-host";
    write_text(host.resolv_conf, "nameserver 192.0.2.53\nsearch example.org\n");
    write_text(host.hosts, "127.0.0.1 localhost\n");
  }

  runtime::SpecInputs inputs() const { return {&image, &options, &host, rootfs, files_dir}; }

  Result<nlohmann::json> build() const { return runtime::build_spec(inputs()); }

  // The spec; fails the test when generation fails.
  nlohmann::json spec() const {
    auto result = build();
    if (!result) {
      FAIL("build_spec failed: " << result.error().what());
    }
    return *result;
  }
};

// The value of `key` in the spec's process.env; "<unset>" when absent.
inline std::string env_value(const nlohmann::json& spec, const std::string& key) {
  for (const auto& entry : spec["process"]["env"]) {
    std::string text = entry.get<std::string>();
    if (text.starts_with(key + "=")) {
      return text.substr(key.size() + 1);
    }
  }
  return "<unset>";
}

// The destinations of the spec's mounts, in order.
inline std::vector<std::string> mount_destinations(const nlohmann::json& spec) {
  std::vector<std::string> out;
  for (const auto& mount : spec["mounts"]) {
    out.push_back(mount["destination"].get<std::string>());
  }
  return out;
}

// The mount at `destination`; a null json when there is none.
inline nlohmann::json find_mount(const nlohmann::json& spec, const std::string& destination) {
  for (const auto& mount : spec["mounts"]) {
    if (mount["destination"] == destination) {
      return mount;
    }
  }
  return nullptr;
}

// The options of the mount at `destination` (empty when there is none).
inline std::vector<std::string> mount_options(const nlohmann::json& spec,
                                              const std::string& destination) {
  nlohmann::json mount = find_mount(spec, destination);
  return mount.is_null() ? std::vector<std::string>{}
                         : mount["options"].get<std::vector<std::string>>();
}

// The namespace types of the spec, in order.
inline std::vector<std::string> namespace_types(const nlohmann::json& spec) {
  std::vector<std::string> out;
  for (const auto& ns : spec["linux"]["namespaces"]) {
    out.push_back(ns["type"].get<std::string>());
  }
  return out;
}

} // namespace sifkit::test
