#pragma once

// The OCI image configuration (image-spec config.md) as far as sifkit uses it: the
// runtime defaults of `config`, the layer diff IDs and the history.
#include <common/error.h>
#include <sif/oci_types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sifkit::oci {

struct HistoryEntry {
  std::string created;     // RFC 3339 text, as stored
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
};

// The image's runtime defaults (Dockerfile ENTRYPOINT, CMD, ENV, USER, WORKDIR, LABEL...).
struct RuntimeConfig {
  std::string user;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::vector<std::string> exposed_ports;
  std::vector<std::string> volumes;
  std::string stop_signal;
};

struct ImageConfig {
  std::string created;
  std::string author;
  Platform platform;
  RuntimeConfig config;
  std::string rootfs_type;
  std::vector<Digest> diff_ids;
  std::vector<HistoryEntry> history;
};

// Parses an image config (OCI or Docker v1 form). Never throws: malformed JSON, wrong
// field types or invalid diff IDs are `corrupt_input`; unknown fields are ignored; null
// fields count as absent, as Go reads them.
Result<ImageConfig> parse_image_config(std::string_view json);

} // namespace sifkit::oci
