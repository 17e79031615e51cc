#pragma once

// Loop devices for the kernel mount method: a read-only view of one byte range of a file
// (a squashfs layer inside an OCI-SIF) as a block device. Needs CAP_SYS_ADMIN.
#include <common/error.h>
#include <common/unique_fd.h>

#include <cstdint>
#include <string>

namespace sifkit::runtime {

// Whether a loop device may be written through (an ext3 overlay) or not (layers).
enum class LoopAccess { read_only, read_write };

// An attached loop device, configured with LO_FLAGS_AUTOCLEAR: the kernel releases it when
// the last user goes. Holding this object holds the device open; mount it, then destroy
// this object (or call `close()`), and the device lives exactly as long as the mount.
// Move-only.
class LoopDevice {
public:
  LoopDevice() = default;

  // "/dev/loopN".
  const std::string& path() const { return m_path; }
  // Drops our reference: an unmounted device is released by the kernel at once.
  void close();

private:
  friend Result<LoopDevice> attach_loop_device(const std::string&, std::int64_t, std::int64_t,
                                               LoopAccess);
  UniqueFd m_fd;
  std::string m_path;
};

// Attaches `file` read-only at `offset` with sizelimit `size` to a free loop device
// (LOOP_CTL_GET_FREE, then LOOP_CONFIGURE, or LOOP_SET_FD + LOOP_SET_STATUS64 before
// Linux 5.8; a device another process takes first is skipped, and the next free one tried
// after a short pause, for up to 30 s). `unsupported` when loop devices cannot be used here
// (no /dev/loop-control, EPERM), `io` otherwise.
Result<LoopDevice> attach_loop_device(const std::string& file, std::int64_t offset,
                                      std::int64_t size);

// As above, writable with LoopAccess::read_write (`file` opened for writing: `io` or
// `unsupported` when it cannot be).
Result<LoopDevice> attach_loop_device(const std::string& file, std::int64_t offset,
                                      std::int64_t size, LoopAccess access);

// True when loop devices look usable: effective uid 0 and /dev/loop-control opens.
bool loop_devices_usable();

} // namespace sifkit::runtime
