#include "support/fixtures.h"

namespace sifkit::test {

std::string tool(const std::string& name) {
  return std::string(SIFKIT_TOOLS_DIR) + "/" + name + "/" + name;
}

} // namespace sifkit::test
