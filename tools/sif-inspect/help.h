#pragma once

// The long help of sif-inspect: what --json prints and what the exit codes mean.

namespace sifkit::tools {

inline constexpr const char* k_inspect_description =
    "Inspect a SIF or OCI-SIF file. Text output is byte-identical to upstream siftool\n"
    "(header, list, info, dump); `oci` shows the OCI images an OCI-SIF holds; --json\n"
    "prints the same facts as JSON.";

inline constexpr const char* k_inspect_footer = R"(JSON (--json; field names are stable):
  header      {launch_script, version, primary_arch, id, created_at, modified_at,
               descriptors_free, descriptors_total, descriptors_offset,
               descriptors_size, data_offset, data_size, is_oci_sif}
  list        [descriptor, ...]          (one per object, in ID order)
  info        descriptor
  descriptor  {id, group_id, link: {id, is_group}, data_type (number),
               type (siftool name), offset, size, size_with_padding, created_at,
               modified_at, name, and for the matching type only:
               partition: {fs_type, part_type, arch} | signature: {hash, fingerprint}
               | crypto_message: {format, message} | sbom_format | digest}
  verify      {checked, ok, findings: [{id, type, problem ("mismatch" or
               "malformed"), stored_digest, actual_digest}]}
  oci         {root_index: {digest, media_type, size}, images: [{manifest_digest,
               media_type, platform, ref_name, parent_index, config: {digest,
               media_type, created, author, entrypoint, cmd, env, user,
               working_dir, labels, exposed_ports, volumes, stop_signal},
               layers: [{media_type, size, digest}], layers_size,
               history: [{created, created_by, comment, empty_layer}]}]}
  list --verify --json prints {objects: [descriptor, ...], verify: {...}}.
  Times are Unix seconds. null means: unset time, nil UUID, no group, no link,
  unknown architecture, undefined hash type, no fingerprint.

Exit codes:
  0  success
  2  bad usage (unknown subcommand or option, missing argument, bad ID)
  3  the file or the object ID does not exist, or (oci) the file is not an OCI-SIF
  4  corrupt input: not a SIF, a malformed SIF, or an OCI digest that does not match
  5  I/O error
  6  unsupported SIF version
)";

} // namespace sifkit::tools
