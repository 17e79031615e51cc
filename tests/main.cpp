#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

// CTest runs each case by passing its name to this binary: a name that starts with '-'
// reads as an option there, and one with ';' or a backslash is split or escaped by
// catch_discover_tests, so such a case would fail (or vanish) under CTest alone.
TEST_CASE("every test name can be passed back to the test binary by CTest", "[tests]") {
  for (const auto& test : Catch::getRegistryHub().getTestCaseRegistry().getAllTests()) {
    const std::string& name = test.getTestCaseInfo().name;
    INFO(name);
    CHECK_FALSE(name.starts_with('-'));
    CHECK(name.find_first_of(";\\") == std::string::npos);
  }
}
