#pragma once

// The files of one instance (see instance.h): its directory, the supervisor's lock, the
// record. Shared by instance.cpp (list, stop, find) and instance_start.cpp.
#include <common/error.h>
#include <common/unique_fd.h>
#include <runtime/instance/instance.h>

#include <string>

namespace sifkit::runtime {

// `root`/instances/`name`.
std::string instance_dir(const std::string& root, const std::string& name);

// Takes the instance lock `dir`/lock without waiting (creating the file when `create`)
// and returns its owner (close-on-exec; the lock lives while any copy of the descriptor
// is open). `conflict` when a live supervisor holds it; `not_found` when the file is
// missing and `create` is false.
Result<UniqueFd> take_instance_lock(const std::string& dir, bool create);

// True when a live supervisor holds `dir`'s lock.
bool instance_running(const std::string& dir);

Result<void> write_instance_record(const std::string& dir, const InstanceRecord& record);
Result<InstanceRecord> read_instance_record(const std::string& dir);

// The last `lines` lines of the file `path` (empty when unreadable).
std::string file_tail(const std::string& path, int lines);

} // namespace sifkit::runtime
