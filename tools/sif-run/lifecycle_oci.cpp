#include "lifecycle.h"
#include <support/report.h>

namespace sifkit::tools {

int oci_main(const std::vector<std::string>& /*words*/) {
  return report_usage("sif-run oci", "not available yet");
}

} // namespace sifkit::tools
