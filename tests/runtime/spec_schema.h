#pragma once

// Validation of generated config.json files against the OCI runtime-spec JSON schema that
// Debian's golang-github-opencontainers-specs-dev installs, with python3-jsonschema.
#include <string>

namespace sifkit::test {

// Where the runtime-spec schema files are expected.
inline constexpr const char* k_runtime_spec_schema_dir =
    "/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema";

// True when the schema and python3-jsonschema are installed; otherwise records a skip
// (support/skip.h) naming what is missing and returns false.
bool can_validate_runtime_spec();

// Validates the config.json at `config_json_path` against config-schema.json: "" when it
// is valid, else the validator's messages (one per error) or why validation could not run.
std::string validate_runtime_spec(const std::string& config_json_path);

} // namespace sifkit::test
