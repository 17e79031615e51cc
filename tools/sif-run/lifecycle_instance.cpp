#include "lifecycle.h"
#include <support/report.h>

namespace sifkit::tools {

int instance_main(const std::vector<std::string>& /*words*/) {
  return report_usage("sif-run instance", "not available yet");
}

int exec_in_instance(const std::vector<std::string>& /*words*/) {
  return report_usage("sif-run exec", "not available yet");
}

} // namespace sifkit::tools
