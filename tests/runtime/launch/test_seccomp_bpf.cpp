// The seccomp filter handed to crun compiled: kept in the cache directory, read from it
// on the next run, and left to the runtime when it holds what is not compiled here.
#include <common/file.h>
#include <runtime/launch/launch.h>

#include <filesystem>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <support/fixtures.h>

using namespace sifkit;
using namespace sifkit::runtime;
using namespace sifkit::test;

namespace {

constexpr const char* k_annotation = "run.oci.seccomp_bpf_data";
// A runtime binary whose identity is part of the cache key (any file will do).
constexpr const char* k_runtime = "/proc/self/exe";

nlohmann::json spec_with_filter(const std::string& allowed_action) {
  return nlohmann::json::parse(R"({"linux": {"seccomp": {
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
    "syscalls": [
      {"names": ["read", "write", "exit_group", "no_such_syscall"], "action": ")" +
                               allowed_action + R"("},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
                {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
      {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
       "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}]}]}}})");
}

std::string decoded(const std::string& text) {
  std::string out(text.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  REQUIRE(n >= 0);
  // EVP_DecodeBlock counts the padding's zero bytes too.
  std::size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::vector<std::filesystem::path> kept_files(const std::string& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    out.push_back(entry.path());
  }
  return out;
}

} // namespace

TEST_CASE("a seccomp filter is compiled once, kept, and handed to crun in its annotation",
          "[runtime][seccomp]") {
  TempDir dir;
  std::string cache = dir.file("seccomp");
  auto spec = spec_with_filter("SCMP_ACT_ALLOW");
  attach_compiled_seccomp(spec, cache, k_runtime);
  REQUIRE(spec.contains("annotations"));
  std::string bpf = decoded(spec["annotations"][k_annotation].get<std::string>());
  CHECK(!bpf.empty());
  CHECK(bpf.size() % 8 == 0);               // whole BPF instructions
  CHECK(spec["linux"].contains("seccomp")); // its flags still apply; runc compiles it
  auto files = kept_files(cache);
  REQUIRE(files.size() == 1);
  CHECK(read_file(files[0].string()).value() == bpf);

  // The next run reads what was kept instead of compiling again.
  std::string planted(16, '\x01');
  REQUIRE(write_file_atomic(files[0].string(), planted, Durability::unsynced));
  auto again = spec_with_filter("SCMP_ACT_ALLOW");
  attach_compiled_seccomp(again, cache, k_runtime);
  CHECK(decoded(again["annotations"][k_annotation].get<std::string>()) == planted);

  // Another filter is another entry.
  auto other = spec_with_filter("SCMP_ACT_LOG");
  attach_compiled_seccomp(other, cache, k_runtime);
  CHECK(kept_files(cache).size() == 2);
}

TEST_CASE("a seccomp filter with a notify action or an unknown operator is left to the runtime",
          "[runtime][seccomp]") {
  TempDir dir;
  auto notify = spec_with_filter("SCMP_ACT_NOTIFY");
  attach_compiled_seccomp(notify, dir.file("seccomp"), k_runtime);
  CHECK(!notify.contains("annotations"));
  auto odd = spec_with_filter("SCMP_ACT_ALLOW");
  odd["linux"]["seccomp"]["syscalls"][1]["args"][0]["op"] = "SCMP_CMP_SOMETIMES";
  attach_compiled_seccomp(odd, dir.file("seccomp"), k_runtime);
  CHECK(!odd.contains("annotations"));
  auto none = nlohmann::json::parse(R"({"linux": {}})");
  attach_compiled_seccomp(none, dir.file("seccomp"), k_runtime);
  CHECK(!none.contains("annotations"));
  CHECK(kept_files(dir.file("seccomp")).empty());
}

TEST_CASE("a kept seccomp filter is trusted only in a directory no one else can write in",
          "[runtime][seccomp][hostile]") {
  TempDir dir;
  std::string cache = dir.file("seccomp");
  auto first = spec_with_filter("SCMP_ACT_ALLOW");
  attach_compiled_seccomp(first, cache, k_runtime);
  std::string compiled = decoded(first["annotations"][k_annotation].get<std::string>());
  auto files = kept_files(cache);
  REQUIRE(files.size() == 1);
  // Someone planted an allow-everything program in a cache others may write in.
  std::string planted(16, '\x02');
  REQUIRE(write_file_atomic(files[0].string(), planted, Durability::unsynced));
  std::filesystem::permissions(cache, std::filesystem::perms::others_write,
                               std::filesystem::perm_options::add);
  auto next = spec_with_filter("SCMP_ACT_ALLOW");
  attach_compiled_seccomp(next, cache, k_runtime);
  CHECK(decoded(next["annotations"][k_annotation].get<std::string>()) == compiled);
  CHECK(read_file(files[0].string()).value() == planted); // nor written there
}

TEST_CASE("a kept seccomp filter is not reused once the runtime binary is replaced",
          "[runtime][seccomp]") {
  TempDir dir;
  std::string cache = dir.file("seccomp");
  std::string runtime = dir.file("crun");
  REQUIRE(write_file_atomic(runtime, "crun 1.8.1", Durability::unsynced));
  auto first = spec_with_filter("SCMP_ACT_ALLOW");
  attach_compiled_seccomp(first, cache, runtime);
  std::string compiled = decoded(first["annotations"][k_annotation].get<std::string>());
  auto files = kept_files(cache);
  REQUIRE(files.size() == 1);
  std::string planted(16, '\x03'); // what the old runtime's program stands for
  REQUIRE(write_file_atomic(files[0].string(), planted, Durability::unsynced));
  // An upgrade puts a new file in its place.
  REQUIRE(write_file_atomic(runtime, "crun 1.9.0", Durability::unsynced));
  auto next = spec_with_filter("SCMP_ACT_ALLOW");
  attach_compiled_seccomp(next, cache, runtime);
  CHECK(decoded(next["annotations"][k_annotation].get<std::string>()) == compiled);
  CHECK(kept_files(cache).size() == 2);
}
