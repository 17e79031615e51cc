#include <cache/cache.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using sifkit::test::CommandResult;
using sifkit::test::run_command;
using sifkit::test::TempDir;
namespace fs = std::filesystem;

namespace {

// Runs sif-cache on the cache in `dir` with `arguments` (already quoted where needed).
CommandResult sif_cache(const TempDir& dir, const std::string& arguments) {
  return run_command("'" + sifkit::test::tool("sif-cache") + "' --cache '" + dir.file("cache") +
                     "' " + arguments);
}

// Writes `content` to `dir/name` and returns the path.
std::string make_file(const TempDir& dir, const std::string& name, const std::string& content) {
  std::ofstream(dir.file(name), std::ios::binary) << content;
  return dir.file(name);
}

// Stores `content` with the tool and returns its digest.
std::string put(const TempDir& dir, const std::string& name, const std::string& content) {
  CommandResult result = sif_cache(dir, "put '" + make_file(dir, name, content) + "'");
  REQUIRE(result.exit_code == 0);
  return result.out.substr(0, result.out.find(' '));
}

// A cache with image "docker://example/app:1" (manifest -> layer) and one stray blob.
struct Populated {
  std::string manifest, layer, stray;
};

Populated populate(const TempDir& dir) {
  Populated p;
  p.layer = put(dir, "layer", std::string(2048, 'l'));
  p.manifest = put(dir, "manifest", "{\"manifest\": true}");
  p.stray = put(dir, "stray", "stray");
  REQUIRE(sif_cache(dir, "link " + p.manifest + " " + p.layer).exit_code == 0);
  REQUIRE(sif_cache(dir, "ref docker://example/app:1 " + p.manifest + " --platform linux/amd64")
              .exit_code == 0);
  return p;
}

} // namespace

TEST_CASE("sif-cache --help teaches the commands, the cache location and exit codes",
          "[cache][tools]") {
  CommandResult help = run_command("'" + sifkit::test::tool("sif-cache") + "' --help");
  CHECK(help.exit_code == 0);
  for (const char* text : {"list", "du", "gc", "verify", "rm", "clean", "$SIFKIT_CACHEDIR",
                           "--keep-bytes", "Exit codes"}) {
    CHECK_THAT(help.out, Catch::Contains(text));
  }
  CHECK_THAT(help.out, !Catch::Contains("put  "));
  CommandResult none = run_command("'" + sifkit::test::tool("sif-cache") + "'");
  CHECK(none.exit_code == 2);
}

TEST_CASE("sif-cache list and du show references, sizes and sharing", "[cache][tools]") {
  TempDir dir;
  Populated p = populate(dir);
  CommandResult list = sif_cache(dir, "list");
  REQUIRE(list.exit_code == 0);
  CHECK_THAT(list.out, Catch::StartsWith("REFERENCE"));
  CHECK_THAT(list.out, Catch::Contains("docker://example/app:1") &&
                           Catch::Contains("linux/amd64") &&
                           Catch::Contains(p.manifest.substr(0, 19)));

  CommandResult json = sif_cache(dir, "list --json");
  REQUIRE(json.exit_code == 0);
  auto refs = nlohmann::json::parse(json.out)["references"];
  REQUIRE(refs.size() == 1);
  CHECK(refs[0]["manifest"] == p.manifest);
  CHECK(refs[0]["bytes"] == 2048 + 18);

  CommandResult du = sif_cache(dir, "du --json");
  REQUIRE(du.exit_code == 0);
  auto usage = nlohmann::json::parse(du.out);
  CHECK(usage["total"]["blobs"] == 3);
  CHECK(usage["total"]["unique_bytes"] == 2048 + 18);
  CHECK(usage["total"]["unreferenced_bytes"] == 5);
  CHECK(sif_cache(dir, "du").out.find("UNREFERENCED") != std::string::npos);
}

TEST_CASE("sif-cache gc removes only unreferenced blobs, and rm then frees an image",
          "[cache][tools]") {
  TempDir dir;
  Populated p = populate(dir);
  std::string blobs = dir.file("cache/blobs/sha256/");
  CommandResult dry = sif_cache(dir, "gc --dry-run --json");
  REQUIRE(dry.exit_code == 0);
  CHECK(nlohmann::json::parse(dry.out)["planned_blobs"] == 1);
  CHECK(fs::exists(blobs + p.stray.substr(7)));

  CommandResult gc = sif_cache(dir, "gc");
  REQUIRE(gc.exit_code == 0);
  CHECK_THAT(gc.out, Catch::StartsWith("Removed 1 blob(s) (5 B)"));
  CHECK_FALSE(fs::exists(blobs + p.stray.substr(7)));
  CHECK(fs::exists(blobs + p.layer.substr(7)));

  CommandResult missing = sif_cache(dir, "rm docker://example/other:1");
  CHECK(missing.exit_code == 3);
  CHECK_THAT(missing.err, Catch::StartsWith("sif-cache: no reference named"));
  CHECK(sif_cache(dir, "rm docker://example/app:1").exit_code == 0);
  auto after = nlohmann::json::parse(sif_cache(dir, "gc --json").out);
  CHECK(after["removed_blobs"] == 2);
  CHECK(fs::is_empty(blobs));
}

TEST_CASE("sif-cache gc rejects a malformed size as bad usage", "[cache][tools]") {
  TempDir dir;
  CommandResult bad = sif_cache(dir, "gc --keep-bytes lots");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("invalid size \"lots\""));
}

TEST_CASE("sif-cache verify exits 4 on damage and 0 once --repair fixed the index",
          "[cache][tools]") {
  TempDir dir;
  Populated p = populate(dir);
  CHECK(sif_cache(dir, "verify").exit_code == 0);
  fs::remove(dir.file("cache/blobs/sha256/" + p.layer.substr(7)));
  CommandResult found = sif_cache(dir, "verify");
  CHECK(found.exit_code == 4);
  CHECK_THAT(found.out, Catch::Contains("missing_file  " + p.layer));
  CHECK_THAT(found.err, Catch::Contains("1 problem(s)"));
  CommandResult repaired = sif_cache(dir, "verify --repair --json");
  CHECK(repaired.exit_code == 0);
  auto report = nlohmann::json::parse(repaired.out);
  CHECK(report["clean"] == true);
  CHECK(report["findings"][0]["repaired"] == true);
  CHECK(sif_cache(dir, "verify --no-hash").exit_code == 0);
}

TEST_CASE("sif-cache clean empties the cache", "[cache][tools]") {
  TempDir dir;
  populate(dir);
  CommandResult clean = sif_cache(dir, "clean --json");
  REQUIRE(clean.exit_code == 0);
  CHECK(nlohmann::json::parse(clean.out)["removed_blobs"] == 3);
  CHECK(nlohmann::json::parse(sif_cache(dir, "list --json").out)["references"].empty());
  CHECK(fs::is_empty(dir.file("cache/blobs/sha256")));
}

TEST_CASE("sif-cache finds its cache through --cache after the subcommand and "
          "$SIFKIT_CACHEDIR",
          "[cache][tools]") {
  TempDir dir;
  std::string exe = "'" + sifkit::test::tool("sif-cache") + "'";
  std::string file = make_file(dir, "f", "content");
  CHECK(run_command(exe + " put '" + file + "' --cache '" + dir.file("a") + "'").exit_code == 0);
  CHECK(fs::exists(dir.file("a/index.db")));
  CHECK(run_command("SIFKIT_CACHEDIR='" + dir.file("b") + "' " + exe + " put '" + file + "'")
            .exit_code == 0);
  CHECK(fs::exists(dir.file("b/index.db")));
  CHECK((fs::status(dir.file("b")).permissions() & fs::perms::all) == fs::perms::owner_all);
}

TEST_CASE("eight sif-cache processes putting the same files store each blob once",
          "[cache][tools]") {
  TempDir dir;
  std::string files;
  for (int i = 0; i < 12; ++i) {
    files += " '" +
             make_file(dir, "f" + std::to_string(i),
                       std::string(static_cast<std::size_t>(i) * 40000, 'a' + i)) +
             "'";
  }
  std::string exe = "'" + sifkit::test::tool("sif-cache") + "' --cache '" + dir.file("cache") + "'";
  std::string script;
  for (int p = 0; p < 8; ++p) {
    script += exe + " put" + files + " >/dev/null || echo failed & ";
  }
  CommandResult all = run_command("(" + script + "wait)");
  REQUIRE(all.exit_code == 0);
  CHECK(all.out.empty());
  auto cache = sifkit::cache::Cache::open(dir.file("cache"));
  REQUIRE(cache.has_value());
  auto rows = cache->index().all_blobs();
  REQUIRE(rows->size() == 12);
  for (const auto& row : *rows) {
    CHECK(row.writes == 1);
  }
  CHECK(sif_cache(dir, "verify").exit_code == 0);
}
