#include "runtime/spec_schema.h"

#include <filesystem>
#include <fstream>

#include <support/fixtures.h>

namespace sifkit::test {

namespace {

// Draft 4 is what config-schema.json declares; refs like "defs.json#/..." resolve
// against the schema directory.
constexpr const char* k_validator_script = R"PY(
import json, sys, warnings
warnings.simplefilter("ignore")
import jsonschema
schema_dir, config_path = sys.argv[1], sys.argv[2]
with open(schema_dir + "/config-schema.json") as f:
    schema = json.load(f)
with open(config_path) as f:
    config = json.load(f)
resolver = jsonschema.RefResolver(base_uri="file://" + schema_dir + "/", referrer=schema)
validator = jsonschema.Draft4Validator(schema, resolver=resolver)
errors = sorted(validator.iter_errors(config), key=lambda e: list(e.path))
for error in errors:
    print("/".join(str(p) for p in error.path) + ": " + error.message)
sys.exit(1 if errors else 0)
)PY";

// Why the schema or python3-jsonschema is not usable here; empty when both are.
std::string validator_missing() {
  std::string schema = std::string(k_runtime_spec_schema_dir) + "/config-schema.json";
  if (!std::filesystem::exists(schema)) {
    return schema + " is missing (install golang-github-opencontainers-specs-dev)";
  }
  if (!std::filesystem::exists("/usr/bin/python3")) {
    return "/usr/bin/python3 is missing";
  }
  CommandResult probe = run_command("/usr/bin/python3 -c 'import jsonschema'");
  if (probe.exit_code != 0) {
    return "python3-jsonschema is not installed: " + probe.err;
  }
  return {};
}

} // namespace

bool can_validate_runtime_spec() {
  std::string why = validator_missing();
  if (!why.empty()) {
    SIFKIT_SKIP(program, "schema validation: " << why);
    return false;
  }
  return true;
}

std::string validate_runtime_spec(const std::string& config_json_path) {
  if (std::string why = validator_missing(); !why.empty()) {
    return "validator unavailable: " + why;
  }
  TempDir dir;
  std::string script = dir.file("validate.py");
  std::ofstream(script) << k_validator_script;
  CommandResult result =
      run_command("/usr/bin/python3 " + shell_quote(script) + " " +
                  shell_quote(k_runtime_spec_schema_dir) + " " + shell_quote(config_json_path));
  if (result.exit_code == 0) {
    return "";
  }
  std::string errors = result.out + result.err;
  return errors.empty() ? "validator exited with " + std::to_string(result.exit_code) : errors;
}

} // namespace sifkit::test
