#pragma once

// The texts of sif-run's flags turned into RunOptions values. Every malformed text is a
// `usage` error that names what was wrong.
#include <common/error.h>
#include <runtime/run_options.h>

#include <set>
#include <string>
#include <vector>

namespace sifkit::runtime {

// Parses `--bind` text: comma-separated `src[:dst[:ro|rw]]`. A relative source is made
// absolute against the current directory; dst defaults to the source and must be absolute.
Result<std::vector<BindMount>> parse_binds(const std::string& text);

// Parses `--mount` text: `type=bind,source=S,destination=D[,ro|readonly[=true|false]]`
// (`src`, `dst`, `target` accepted as synonyms; type defaults to bind, other types are
// refused). A relative source is made absolute; the destination must be absolute.
Result<BindMount> parse_mount(const std::string& text);

// Applies `--home` text to `options`: `host:container` binds the host directory there
// (HomeMode::bind); `/dir` mounts an empty tmpfs at /dir (HomeMode::tmpfs).
Result<void> parse_home(const std::string& text, RunOptions& options);

// Parses a capability list (`--add-caps`, `--drop-caps`): comma-separated, any case,
// `CAP_` optional; `all` stands for every capability. Returns "CAP_X" names without
// duplicates, in order; unknown names are reported all together.
Result<std::vector<std::string>> parse_caps(const std::string& text);

// Parses `--no-mount` text: comma-separated from proc, sys, devpts, tmp, home. `dev` and
// any other name are refused.
Result<std::set<std::string>> parse_no_mount(const std::string& text);

// Applies `--security TEXT` to `options`: "seccomp:unconfined" or "seccomp:FILE" (an
// absolute or relative profile path). `usage` for any other form (apparmor and selinux
// labels are not supported).
Result<void> parse_security(const std::string& text, RunOptions& options);

} // namespace sifkit::runtime
