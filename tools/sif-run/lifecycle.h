#pragma once

// sif-run's command groups beside run/exec/shell: `sif-run oci ...` (the OCI lifecycle
// over a bundle, lifecycle_oci.cpp) and `sif-run instance ...` (background containers,
// lifecycle_instance.cpp), and `sif-run exec instance://NAME CMD...`.
#include <runtime/launch/launch.h>

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sifkit::tools {

// `sif-run oci WORDS...`; returns the exit code.
int oci_main(const std::vector<std::string>& words);

// `sif-run instance WORDS...`; returns the exit code.
int instance_main(const std::vector<std::string>& words);

// `sif-run [flags] exec instance://NAME CMD...`: `words` are all of sif-run's arguments.
int exec_in_instance(const std::vector<std::string>& words);

// Registers the flags of a command run in an existing container (--env, --cwd) on `app`.
void add_exec_flags(CLI::App& app, runtime::ExecRequest& request);

// Splits `words` (flags, then the container, then the command) after the first word that
// is neither one of add_exec_flags' flags nor a flag's value: the words up to there go to
// `own`, the rest (the command, options and all) to `command`.
void split_exec_words(const std::vector<std::string>& words, std::vector<std::string>& own,
                      std::vector<std::string>& command);

} // namespace sifkit::tools
