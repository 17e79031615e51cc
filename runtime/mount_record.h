#pragma once

// The record of what mount_image mounted (`work_dir`/mounts.json), so that the mounts can
// be undone by this process or a later one (sif-umount). The reading half is
// read_mount_record in mount.h.
#include <common/error.h>
#include <runtime/mount.h>

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::runtime {

// `work_dir`/mounts.json.
std::string mount_record_path(const std::string& work_dir);

// The record as JSON: {image, rootfs, work_dir, entries: [{kind, target, loop_device,
// fuse_pid, mount_id}]}, entries in mount order.
nlohmann::ordered_json mount_record_json(const MountRecord& record);

// Parses the JSON text of a record; `corrupt_input` naming `source` when malformed.
Result<MountRecord> parse_mount_record(const std::string& text, const std::string& source);

// Writes `record` to `record.work_dir`/mounts.json atomically (temp, fsync, rename).
Result<void> write_mount_record(const MountRecord& record);

} // namespace sifkit::runtime
