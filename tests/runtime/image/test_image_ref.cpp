// Image references resolved through a sif-pull process: the OCI-SIF it prints stays
// leased to the caller (a concurrent clean or gc cannot remove it before the run opens
// it), and credentials reach it on an inherited descriptor, never on its command line.
#include <runtime/image/image.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "registry/registry_fixture.h"
#include "runtime/run_fixture.h"
#include "support/fixtures.h"
#include "support/scoped_env.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace sifkit;
using namespace sifkit::test;

namespace {

const std::string k_hello = "oci-sif-upstream/test/images/hello-world-docker-v2-manifest";

std::string tool_dir(const std::string& name) {
  return std::filesystem::path(tool(name)).parent_path().string();
}

CommandResult sif_cache(const std::string& cache, const std::string& args) {
  return run_command("'" + tool("sif-cache") + "' --cache '" + cache + "' " + args);
}

// Pushes the hello-world layout to `registry` as `repo:tag`.
void push_hello(TestRegistry& registry, const std::string& repo, const std::string& tag) {
  std::string layout = fixture(k_hello);
  for (const auto& file : std::filesystem::directory_iterator(layout + "/blobs/sha256")) {
    registry.push_blob(repo, file_bytes(file.path().string()));
  }
  auto index = nlohmann::json::parse(file_bytes(layout + "/index.json"));
  std::string digest = index["manifests"][0]["digest"];
  registry.push_manifest(repo, tag, file_bytes(layout + "/blobs/sha256/" + digest.substr(7)),
                         index["manifests"][0]["mediaType"]);
}

} // namespace

TEST_CASE("the OCI-SIF a reference resolves to stays leased to the caller through clean and gc",
          "[pull][hostile]") {
  TempDir dir;
  ScopedEnv path("PATH", tool_dir("sif-pull") + ":/usr/bin:/bin");
  runtime::ImageRefOptions options;
  options.cache_dir = dir.file("cache");
  auto sif = runtime::resolve_image("oci:" + fixture(k_hello), options);
  INFO((sif ? "" : sif.error().what()));
  REQUIRE(sif);
  REQUIRE(std::filesystem::exists(*sif));
  // sif-pull has exited: only a lease held for this process keeps the image now.
  auto clean = sif_cache(*options.cache_dir, "clean");
  INFO(clean.err);
  CHECK(clean.exit_code == 0);
  auto gc = sif_cache(*options.cache_dir, "gc --keep-bytes 0");
  INFO(gc.err);
  CHECK(gc.exit_code == 0);
  CHECK(std::filesystem::exists(*sif));
}

TEST_CASE("credentials reach sif-pull on a descriptor, never on its command line",
          "[pull][hostile]") {
  SIFKIT_START_REGISTRY(registry, RegistryMode::tls_htpasswd);
  push_hello(*registry, "hello/world", "1");
  TempDir dir;
  // A sif-pull on PATH that records its arguments, then runs the real one.
  std::filesystem::create_directory(dir.file("bin"));
  std::string wrapper = dir.file("bin/sif-pull");
  std::ofstream(wrapper) << "#!/bin/sh\nprintf '%s\\n' \"$@\" >>'" << dir.file("args")
                         << "'\nexec '" << tool("sif-pull") << "' \"$@\"\n";
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
  ScopedEnv path("PATH", dir.file("bin") + ":/usr/bin:/bin");
  ScopedEnv auth_file("REGISTRY_AUTH_FILE", dir.file("no-auth.json"));
  ScopedEnv docker_config("DOCKER_CONFIG", dir.file("no-docker"));
  const std::string reference = "docker://" + registry->host() + "/hello/world:1";
  const std::string password = TestRegistry::k_password;

  runtime::ImageRefOptions anonymous;
  anonymous.cache_dir = dir.file("cache");
  anonymous.ca_cert = registry->ca_cert();
  auto refused = runtime::resolve_image(reference, anonymous);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind() == ErrorKind::auth);

  runtime::ImageRefOptions options = anonymous;
  options.credentials = std::string(TestRegistry::k_user) + ":" + password;
  auto sif = runtime::resolve_image(reference, options);
  INFO((sif ? "" : sif.error().what()));
  REQUIRE(sif);
  CHECK(std::filesystem::exists(*sif));
  std::string args = file_bytes(dir.file("args"));
  CHECK_THAT(args, Catch::Contains("--creds-fd"));
  CHECK_THAT(args, !Catch::Contains(password));

  // sif-pull itself takes them from stdin too.
  auto piped =
      run_command("printf '%s\\n' " + shell_quote(*options.credentials) + " | '" +
                  tool("sif-pull") + "' --quiet --creds-stdin --ca-cert '" + registry->ca_cert() +
                  "' --cache '" + dir.file("cache2") + "' --sif-path " + reference);
  INFO(piped.err);
  CHECK(piped.exit_code == 0);
  CHECK_THAT(piped.out, Catch::Contains("/blobs/sha256/"));
}
