// libFuzzer target: any byte string read as an --apply-cgroups file (SingularityCE's
// cgroups TOML, or JSON when it starts with '{') either fails with `usage` or yields a
// linux.resources object that serialises (as config.json does) and reads back, as JSON,
// to the same object.
#include <runtime/cgroup/cgroup.h>

#include <cstdint>
#include <string>

#include "memfd_input.h"
#include <nlohmann/json.hpp>

using namespace sifkit;
using namespace sifkit::runtime;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto resources = resources_from_text(text, "cgroups.toml");
  if (!resources) {
    FUZZ_CHECK(resources.error().kind() == ErrorKind::usage);
    FUZZ_CHECK(!resources.error().what().empty());
    return 0;
  }
  FUZZ_CHECK(resources->is_object());
  const std::string json = resources->dump();
  auto again = resources_from_text(json, "cgroups.json");
  FUZZ_CHECK(again && *again == *resources);
  return 0;
}
