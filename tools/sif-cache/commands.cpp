#include "commands.h"

#include <cache/cache.h>
#include <cache/gc.h>
#include <cache/location.h>
#include <cache/report.h>
#include <cache/units.h>
#include <cache/usage.h>
#include <cache/verify.h>

#include <cerrno>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace sifkit::tools {

namespace {

using namespace sifkit::cache;
using Json = nlohmann::ordered_json;

Result<void> write_out(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
    return fail_errno("cannot write to standard output", errno);
  }
  return {};
}

Result<void> write_json(const Json& value) {
  return write_out(value.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
}

void tell_wait(const LockWait& wait) {
  std::string who =
      wait.holder_pid ? fmt::format(" (being written by pid {})", *wait.holder_pid) : std::string();
  if (wait.first) {
    std::fprintf(stderr, "sif-cache: waiting for %s%s\n", wait.digest.text().c_str(), who.c_str());
  } else {
    std::fprintf(stderr, "sif-cache: still waiting for %s (%lld s)\n", wait.digest.text().c_str(),
                 static_cast<long long>(wait.waited.count()));
  }
}

// Progress on a terminal only: scripts and --json get clean output.
Progress progress_for(const CacheCommandOptions& options) {
  if (options.json || ::isatty(STDERR_FILENO) == 0) {
    return {};
  }
  return [](std::string_view step, std::int64_t done, std::int64_t total) {
    std::fprintf(stderr, "\r%.*s %lld/%lld", static_cast<int>(step.size()), step.data(),
                 static_cast<long long>(done), static_cast<long long>(total));
    if (done == total) {
      std::fputc('\n', stderr);
    }
  };
}

Result<Cache> open_cache(const CacheCommandOptions& options) {
  SIFKIT_TRY_ASSIGN(auto root, resolve_cache_directory(options.cache_dir));
  CacheOptions cache_options;
  cache_options.on_wait = tell_wait;
  return Cache::open(root, std::move(cache_options));
}

Result<UsageReport> usage_of(const CacheCommandOptions& options) {
  SIFKIT_TRY_ASSIGN(auto cache, open_cache(options));
  SIFKIT_TRY_ASSIGN(auto snapshot, cache.index().snapshot());
  return compute_usage(snapshot);
}

Result<GcPolicy> policy_of(const CacheCommandOptions& options) {
  GcPolicy policy;
  if (options.keep_bytes) {
    SIFKIT_TRY_ASSIGN(auto bytes, parse_byte_size(*options.keep_bytes));
    policy.keep_bytes = bytes;
  }
  if (options.older_than) {
    SIFKIT_TRY_ASSIGN(auto age, parse_duration(*options.older_than));
    policy.older_than = age;
  }
  return policy;
}

Result<void> collect(const CacheCommandOptions& options, const GcPolicy& policy) {
  SIFKIT_TRY_ASSIGN(auto cache, open_cache(options));
  SIFKIT_TRY_ASSIGN(auto report,
                    collect_garbage(cache, policy, options.dry_run ? DryRun::yes : DryRun::no,
                                    progress_for(options)));
  return options.json ? write_json(gc_json(report)) : write_out(format_gc(report));
}

// A digest typed on the command line: malformed is a usage error, not corrupt input.
Result<Digest> digest_argument(const std::string& text) {
  auto digest = Digest::parse(text);
  if (!digest) {
    return fail(ErrorKind::usage, digest.error().message());
  }
  return digest;
}

} // namespace

Result<void> run_list(const CacheCommandOptions& options) {
  SIFKIT_TRY_ASSIGN(auto usage, usage_of(options));
  return options.json ? write_json(list_json(usage)) : write_out(format_list(usage));
}

Result<void> run_du(const CacheCommandOptions& options) {
  SIFKIT_TRY_ASSIGN(auto usage, usage_of(options));
  return options.json ? write_json(usage_json(usage)) : write_out(format_usage(usage));
}

Result<void> run_gc(const CacheCommandOptions& options) {
  auto policy = policy_of(options);
  return policy ? collect(options, *policy) : std::unexpected(policy.error());
}

Result<void> run_clean(const CacheCommandOptions& options) {
  GcPolicy policy;
  policy.drop_roots = DropRoots::all;
  return collect(options, policy);
}

Result<void> run_verify(const CacheCommandOptions& options) {
  SIFKIT_TRY_ASSIGN(auto cache, open_cache(options));
  SIFKIT_TRY_ASSIGN(auto report,
                    verify_cache(cache, options.no_hash ? Hashing::size_only : Hashing::full,
                                 options.repair ? Repair::yes : Repair::no, progress_for(options)));
  auto written = options.json ? write_json(verify_json(report)) : write_out(format_verify(report));
  if (written && !report.clean()) {
    return fail(ErrorKind::corrupt_input,
                fmt::format("{} problem(s) found in the cache", report.findings.size()));
  }
  return written;
}

Result<void> run_rm(const CacheCommandOptions& options) {
  SIFKIT_TRY_ASSIGN(auto cache, open_cache(options));
  SIFKIT_TRY_ASSIGN(auto removed, cache.remove_refs(options.name, options.platform));
  if (removed == 0) {
    return fail(ErrorKind::not_found, "no reference named " + options.name +
                                          (options.platform ? " for " + *options.platform : ""));
  }
  return options.json ? write_json(Json{{"removed", removed}})
                      : write_out(fmt::format("Removed {} reference(s); run 'sif-cache gc' to "
                                              "free the blobs only they needed.\n",
                                              removed));
}

Result<void> run_put(const CacheCommandOptions& options) {
  SIFKIT_TRY_ASSIGN(auto cache, open_cache(options));
  Json results = Json::array();
  for (const std::string& file : options.files) {
    SIFKIT_TRY_ASSIGN(auto put,
                      with_context(cache.put_file(file, options.media_type), "putting " + file));
    const char* outcome = put.outcome == PutOutcome::written ? "written" : "already_stored";
    results.push_back(Json{{"file", file},
                           {"digest", put.blob.digest.text()},
                           {"size", put.blob.size},
                           {"outcome", outcome}});
    if (!options.json) {
      SIFKIT_TRY(write_out(put.blob.digest.text() + " " + outcome + "\n"));
    }
  }
  return options.json ? write_json(results) : Result<void>();
}

Result<void> run_ref(const CacheCommandOptions& options) {
  SIFKIT_TRY_ASSIGN(auto digest, digest_argument(options.digest));
  SIFKIT_TRY_ASSIGN(auto cache, open_cache(options));
  SIFKIT_TRY(cache.set_ref(RefKey{options.name, options.platform.value_or("")}, digest));
  return {};
}

Result<void> run_link(const CacheCommandOptions& options) {
  SIFKIT_TRY_ASSIGN(auto parent, digest_argument(options.digest));
  std::vector<Digest> children;
  for (const std::string& text : options.digests) {
    SIFKIT_TRY_ASSIGN(auto child, digest_argument(text));
    children.push_back(child);
  }
  SIFKIT_TRY_ASSIGN(auto cache, open_cache(options));
  return cache.add_children(parent, children);
}

Result<void> run_convert(const CacheCommandOptions& options) {
  SIFKIT_TRY_ASSIGN(auto source, digest_argument(options.digest));
  SIFKIT_TRY_ASSIGN(auto result, digest_argument(options.result));
  SIFKIT_TRY_ASSIGN(auto cache, open_cache(options));
  SIFKIT_TRY(cache.record_conversion(source, options.options_key, result));
  return {};
}

} // namespace sifkit::tools
