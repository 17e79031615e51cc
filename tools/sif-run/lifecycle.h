#pragma once

// sif-run's command groups beside run/exec/shell: `sif-run oci ...` (the OCI lifecycle
// over a bundle, lifecycle_oci.cpp) and `sif-run instance ...` (background containers,
// lifecycle_instance.cpp), and `sif-run exec instance://NAME CMD...`.
#include <string>
#include <vector>

namespace sifkit::tools {

// `sif-run oci WORDS...`; returns the exit code.
int oci_main(const std::vector<std::string>& words);

// `sif-run instance WORDS...`; returns the exit code.
int instance_main(const std::vector<std::string>& words);

// `sif-run [flags] exec instance://NAME CMD...`: `words` are all of sif-run's arguments.
int exec_in_instance(const std::vector<std::string>& words);

} // namespace sifkit::tools
