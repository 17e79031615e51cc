#include <filesystem>
#include <string>

#include "registry/daemon_export_stub.h"
#include "support/fixtures.h"
#include "support/scoped_env.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using sifkit::test::CommandResult;
using sifkit::test::DaemonExportStub;
using sifkit::test::file_bytes;
using sifkit::test::run_command;
using sifkit::test::ScopedEnv;
using sifkit::test::TempDir;
using sifkit::test::write_docker_save;

namespace {

std::string images(const std::string& name) {
  return sifkit::test::fixture("oci-sif-upstream/test/images/" + name);
}

// sif-pull with the cache in `dir`; requests that fail are retried at once.
CommandResult sif_pull(const TempDir& dir, const std::string& arguments) {
  return run_command("SIFKIT_RETRY_DELAY_MS=0 '" + sifkit::test::tool("sif-pull") + "' --cache '" +
                     dir.file("cache") + "' " + arguments + " </dev/null");
}

} // namespace

TEST_CASE("sif-pull fills the cache and prints the manifest digest", "[pull]") {
  TempDir dir;
  auto first = sif_pull(dir, "oci:" + images("hello-world-docker-v2-manifest"));
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out == "sha256:432f982638b3aefab73cc58ab28f5c16e96fdb504e8c134fc58dff4bae8bf338\n");
  CHECK_THAT(first.err, Catch::Contains("fetched")); // plain lines: stderr is not a terminal

  auto again = sif_pull(dir, "--json --quiet oci:" + images("hello-world-docker-v2-manifest"));
  REQUIRE(again.exit_code == 0);
  CHECK(again.err.empty());
  auto summary = nlohmann::json::parse(again.out);
  CHECK(summary["bytes_fetched"] == 0);
  CHECK(summary["bytes_reused"] == 1485 + 3208);
  CHECK(summary["manifest"] ==
        "sha256:432f982638b3aefab73cc58ab28f5c16e96fdb504e8c134fc58dff4bae8bf338");
  CHECK(summary["layers"].size() == 1);
  CHECK(summary["layers"][0]["reused"] == true);

  auto verify = run_command("'" + sifkit::test::tool("sif-cache") + "' --cache '" +
                            dir.file("cache") + "' verify");
  CHECK(verify.exit_code == 0);
}

TEST_CASE("two sif-pull processes pulling one image at once both succeed", "[pull]") {
  TempDir dir;
  std::string pull = "'" + sifkit::test::tool("sif-pull") + "' --quiet --cache '" +
                     dir.file("cache") + "' oci:" + images("many-layers");
  auto both = run_command("(" + pull + " >" + dir.file("a") + " & first=$!; " + pull + " >" +
                          dir.file("b") + " & second=$!; wait $first && wait $second)");
  INFO(both.err);
  CHECK(both.exit_code == 0);
  CHECK(sifkit::test::file_bytes(dir.file("a")) == sifkit::test::file_bytes(dir.file("b")));
  auto verify = run_command("'" + sifkit::test::tool("sif-cache") + "' --cache '" +
                            dir.file("cache") + "' verify");
  CHECK(verify.exit_code == 0);
}

TEST_CASE("sif-pull --platform and --oci-layout", "[pull]") {
  TempDir dir;
  auto pulled =
      sif_pull(dir, "--quiet --json --platform linux/arm64/v8 --oci-layout '" + dir.file("out") +
                        "' oci:" + images("hello-world-docker-v2-manifest-list"));
  INFO(pulled.err);
  REQUIRE(pulled.exit_code == 0);
  auto summary = nlohmann::json::parse(pulled.out);
  CHECK(summary["platform"] == "linux/arm64/v8");
  CHECK(std::filesystem::exists(dir.file("out/index.json")));
  CHECK(summary["oci_layout"]["tag"] == "latest");
  CHECK(std::filesystem::exists(dir.file("out/oci-layout")));
}

TEST_CASE("sif-pull --sif-path prints only the cache's OCI-SIF and converts once", "[pull]") {
  TempDir dir;
  std::string reference = "oci:" + images("hello-world-docker-v2-manifest");
  auto first = sif_pull(dir, "--sif-path " + reference);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  std::string path = first.out.substr(0, first.out.find('\n'));
  CHECK(first.out == path + "\n");
  CHECK(path.starts_with(dir.file("cache") + "/"));
  CHECK_THAT(first.err, Catch::Contains("converted"));
  auto listed = run_command("'" + sifkit::test::tool("sif-inspect") + "' list '" + path + "'");
  CHECK(listed.exit_code == 0);
  CHECK_THAT(listed.out, Catch::Contains("OCI.RootIndex"));

  auto again = sif_pull(dir, "--sif-path --quiet " + reference);
  CHECK(again.exit_code == 0);
  CHECK(again.out == first.out);
  CHECK(again.err.empty());

  auto with_output = sif_pull(dir, "--sif-path -o " + dir.file("x.sif") + " " + reference);
  CHECK(with_output.exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(dir.file("x.sif")));
  auto missing = sif_pull(dir, "--sif-path oci:" + dir.file("absent"));
  CHECK(missing.exit_code == 3);
  CHECK(missing.out.empty());
}

TEST_CASE("sif-pull exits with the code of the failure", "[pull]") {
  TempDir dir;
  std::string list = "oci:" + images("hello-world-docker-v2-manifest-list");
  struct Row {
    std::string arguments;
    int exit_code;
    std::string message;
  };
  for (const Row& row : std::vector<Row>{
           {"", 2, "REF"},
           {"dir:/x", 2, "unknown transport"},
           {"--platform linux " + list, 2, "invalid platform"},
           {"--platform windows/amd64 " + list, 3, "linux/arm64/v8"},
           {"oci:" + dir.file("absent"), 3, "absent"},
           {"-o " + dir.file("x.sif") + " --compressor lzo " + list, 2, "unknown compressor"},
           {"docker://127.0.0.1:1/app:1", 10, "127.0.0.1:1"},
           {"http://127.0.0.1:1/a.sif", 10, "127.0.0.1:1"},
       }) {
    INFO(row.arguments);
    auto result = sif_pull(dir, row.arguments);
    CHECK(result.exit_code == row.exit_code);
    CHECK_THAT(result.err, Catch::Contains(row.message));
  }
}

TEST_CASE("sif-pull refuses a SIFKIT_RETRY_DELAY_MS that is not a whole number of milliseconds",
          "[pull]") {
  TempDir dir;
  std::string reference = "oci:" + images("hello-world-docker-v2-manifest");
  for (std::string value : {"fast", "-5", "10ms", "99999999999"}) {
    INFO(value);
    auto result = run_command("SIFKIT_RETRY_DELAY_MS=" + value + " '" +
                              sifkit::test::tool("sif-pull") + "' --cache '" + dir.file("cache") +
                              "' " + reference + " </dev/null");
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("SIFKIT_RETRY_DELAY_MS"));
  }
  auto accepted = sif_pull(dir, "--quiet " + reference);
  INFO(accepted.err);
  CHECK(accepted.exit_code == 0);
}

TEST_CASE("sif-pull --help teaches the sources and exit codes", "[pull]") {
  auto help = run_command("'" + sifkit::test::tool("sif-pull") + "' --help");
  REQUIRE(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("docker-archive:") && Catch::Contains("Exit codes") &&
                           Catch::Contains("--oci-layout"));
}

TEST_CASE("sif-pull --sif-path converts a docker-daemon: image into the cache",
          "[pull][docker-daemon]") {
  TempDir dir;
  write_docker_save(dir.file("save.tar"), "hello:1", {{"hello.txt", "hello", ""}});
  DaemonExportStub daemon(dir.file("docker.sock"), "hello:1", dir.file("save.tar"));
  ScopedEnv host("DOCKER_HOST", daemon.docker_host());
  auto first = sif_pull(dir, "--sif-path docker-daemon:hello:1");
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(daemon.exports() == 1);
  std::string path = first.out.substr(0, first.out.find('\n'));
  CHECK(first.out == path + "\n");
  CHECK(path.starts_with(dir.file("cache") + "/blobs/"));
  CHECK_THAT(first.err, Catch::Contains("converted docker-daemon:hello:1"));
  CHECK(std::filesystem::is_empty(dir.file("cache/tmp")));

  // The same image read from its docker-archive is the same conversion.
  auto archived = sif_pull(dir, "--sif-path --quiet docker-archive:'" + dir.file("save.tar") + "'");
  CHECK(archived.exit_code == 0);
  CHECK(archived.out == first.out);
  CHECK(archived.err.empty());
  // A plain pull and -o export it too.
  auto pulled = sif_pull(dir, "--quiet -o '" + dir.file("o.sif") + "' docker-daemon:hello:1");
  INFO(pulled.err);
  CHECK(pulled.exit_code == 0);
  CHECK(daemon.exports() == 2);
  CHECK(file_bytes(dir.file("o.sif")) == file_bytes(path));
}
