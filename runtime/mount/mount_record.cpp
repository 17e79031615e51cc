#include <common/file.h>

#include "mount.h"
#include <nlohmann/json.hpp>

namespace sifkit::runtime {

namespace {

bool is_absolute(const nlohmann::json& value) {
  return value.is_string() && !value.get_ref<const std::string&>().empty() &&
         value.get_ref<const std::string&>()[0] == '/';
}

Result<MountEntry> parse_entry(const nlohmann::json& item) {
  if (!item.is_object() || !item.value("kind", nlohmann::json()).is_string() ||
      !is_absolute(item.value("target", nlohmann::json()))) {
    return fail(ErrorKind::corrupt_input, "an entry without a kind or an absolute target");
  }
  MountEntry entry;
  auto kind = parse_mount_kind(item["kind"].get<std::string>());
  if (!kind) {
    return fail(ErrorKind::corrupt_input, "an entry of an unknown kind");
  }
  entry.kind = *kind;
  entry.target = item["target"].get<std::string>();
  if (auto loop = item.value("loop_device", nlohmann::json()); loop.is_string()) {
    entry.loop_device = loop.get<std::string>();
  }
  if (auto pid = item.value("fuse_pid", nlohmann::json()); pid.is_number_integer()) {
    auto value = pid.get<std::int64_t>();
    if (value < 0 || value > (1 << 22)) {
      return fail(ErrorKind::corrupt_input, "an entry with an impossible fuse_pid");
    }
    entry.fuse_pid = static_cast<int>(value);
  }
  if (auto id = item.value("mount_id", nlohmann::json()); id.is_number_unsigned()) {
    entry.mount_id = id.get<std::uint64_t>();
  }
  if (auto unique = item.value("mount_id_unique", nlohmann::json()); unique.is_boolean()) {
    entry.mount_id_unique = unique.get<bool>();
  }
  return entry;
}

} // namespace

std::string_view to_string(MountKind kind) {
  switch (kind) {
  case MountKind::squashfs:
    return "squashfs";
  case MountKind::squashfuse:
    return "squashfuse";
  case MountKind::overlay:
    return "overlay";
  case MountKind::fuse_overlayfs:
    return "fuse-overlayfs";
  case MountKind::tmpfs:
    return "tmpfs";
  case MountKind::ext4:
    return "ext4";
  case MountKind::fuse2fs:
    return "fuse2fs";
  }
  return "unknown";
}

std::optional<MountKind> parse_mount_kind(std::string_view name) {
  for (MountKind kind :
       {MountKind::squashfs, MountKind::squashfuse, MountKind::overlay, MountKind::fuse_overlayfs,
        MountKind::tmpfs, MountKind::ext4, MountKind::fuse2fs}) {
    if (to_string(kind) == name) {
      return kind;
    }
  }
  return std::nullopt;
}

bool is_fuse(MountKind kind) {
  return kind == MountKind::squashfuse || kind == MountKind::fuse_overlayfs ||
         kind == MountKind::fuse2fs;
}

std::string mount_record_path(const std::string& work_dir) {
  return work_dir + "/mounts.json";
}

nlohmann::ordered_json mount_record_json(const MountRecord& record) {
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const auto& entry : record.entries) {
    entries.push_back({{"kind", to_string(entry.kind)},
                       {"target", entry.target},
                       {"loop_device", entry.loop_device},
                       {"fuse_pid", entry.fuse_pid},
                       {"mount_id", entry.mount_id},
                       {"mount_id_unique", entry.mount_id_unique}});
  }
  return {{"image", record.image},
          {"rootfs", record.rootfs},
          {"work_dir", record.work_dir},
          {"entries", std::move(entries)}};
}

Result<MountRecord> parse_mount_record(const std::string& text, const std::string& source) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return fail(ErrorKind::corrupt_input, source + " is not a JSON object");
  }
  MountRecord record;
  for (auto [key, field] : {std::pair{"image", &record.image},
                            {"rootfs", &record.rootfs},
                            {"work_dir", &record.work_dir}}) {
    auto value = json.value(key, nlohmann::json());
    if (!is_absolute(value)) {
      return fail(ErrorKind::corrupt_input, source + ": \"" + key + "\" is not an absolute path");
    }
    *field = value.get<std::string>();
  }
  auto entries = json.value("entries", nlohmann::json());
  if (!entries.is_array()) {
    return fail(ErrorKind::corrupt_input, source + ": \"entries\" is not an array");
  }
  for (const auto& item : entries) {
    SIFKIT_TRY_ASSIGN(auto entry, with_context(parse_entry(item), "reading " + source));
    record.entries.push_back(std::move(entry));
  }
  return record;
}

Result<void> write_mount_record(const MountRecord& record) {
  std::string path = mount_record_path(record.work_dir);
  // A record means nothing after a reboot (nothing stays mounted): atomic, not synced.
  return with_context(
      write_file_atomic(path, mount_record_json(record).dump(2) + "\n", Durability::unsynced),
      "writing the mount record " + path);
}

Result<MountRecord> read_mount_record(const std::string& work_dir) {
  std::string path = mount_record_path(work_dir);
  SIFKIT_TRY_ASSIGN(auto text, with_context(read_file(path), "reading the mount record"));
  return parse_mount_record(text, path);
}

} // namespace sifkit::runtime
