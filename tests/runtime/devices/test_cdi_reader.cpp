// Reading a CDI spec document: YAML aliases are expanded into the JSON the parser reads,
// within bounds, so that a hostile spec cannot recurse for ever or expand exponentially.
#include <runtime/devices/devices.h>

#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace sifkit;
using namespace sifkit::runtime;

namespace {

constexpr const char* k_header = "cdiVersion: 0.6.0\nkind: vendor.com/device\n";

} // namespace

TEST_CASE("a YAML CDI spec may reuse a value through an alias", "[cdi][hostile]") {
  std::string text = std::string(k_header) + R"(devices:
- name: one
  containerEdits:
    env: &env [A=1, B=2]
- name: two
  containerEdits:
    env: *env
)";
  auto spec = parse_cdi_spec(text, "/etc/cdi/alias.yaml");
  REQUIRE(spec.has_value());
  REQUIRE(spec->devices.size() == 2);
  CHECK(spec->devices[1].edits.env == std::vector<std::string>{"A=1", "B=2"});
}

TEST_CASE("a YAML CDI spec with an alias inside its own anchor is corrupt_input and does not "
          "recurse for ever",
          "[cdi][hostile]") {
  std::string text = std::string(k_header) + R"(devices: &devices
- name: loop
  containerEdits:
    env: *devices
)";
  auto spec = parse_cdi_spec(text, "/etc/cdi/loop.yaml");
  REQUIRE_FALSE(spec.has_value());
  CHECK(spec.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(spec.error().what(), Catch::Contains("/etc/cdi/loop.yaml"));
}

TEST_CASE("a YAML CDI spec whose aliases expand past a million values is corrupt_input",
          "[cdi][hostile]") {
  // Six levels of ten aliases each: a few hundred bytes that stand for 1,111,111 values.
  std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level < 6; ++level) {
    std::string alias = fmt::format("*l{}", level - 1);
    text += fmt::format("l{0}: &l{0} [{1}, {1}, {1}, {1}, {1}, {1}, {1}, {1}, {1}, {1}]\n", level,
                        alias);
  }
  text += std::string(k_header) + "devices:\n- name: bomb\n";
  auto spec = parse_cdi_spec(text, "/etc/cdi/bomb.yaml");
  REQUIRE_FALSE(spec.has_value());
  CHECK(spec.error().kind() == ErrorKind::corrupt_input);
  CHECK_THAT(spec.error().what(), Catch::Contains("/etc/cdi/bomb.yaml"));
}
