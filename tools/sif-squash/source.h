#pragma once

// What sif-squash's SOURCE argument names (help.h states the rule for users).
#include <common/error.h>

#include <string>

namespace sifkit::tools {

enum class SourceKind {
  image,     // a reference sif-pull accepts (an OCI layout directory becomes oci:DIR)
  directory, // a root filesystem directory
  tar,       // a plain tar of a root filesystem (optionally compressed)
};

struct SquashSource {
  SourceKind kind = SourceKind::image;
  std::string text; // the reference, or the path
};

// Classifies `text`: "tar:FILE" is a tar; an existing directory is an OCI layout when it
// holds an `oci-layout` file, else a root filesystem; an existing file must end in .tar,
// .tar.gz, .tgz or .tar.zst (`usage` otherwise: archives need their oci-archive: or
// docker-archive: prefix); anything else is an image reference.
Result<SquashSource> classify_source(const std::string& text);

} // namespace sifkit::tools
