#pragma once

// Directories owned through a lock file inside them: a process creates the directory,
// holds an OFD write lock on `dir`/LOCK for as long as it uses it, and a sweep by another
// process removes the directories whose lock is free. Every step leaves something the
// next sweep recognises, whoever is killed where:
//
//   parent/.new-NAME.XXXXXX   being created (the lock is taken here, then renamed)
//   parent/NAME               in use while its lock is held; stale when the lock is free,
//                             or when it has no lock and is older than the minimum age
//   parent/.dead-NAME.XXXXXX  being removed (renamed first; the lock file goes last)
#include <common/error.h>
#include <common/unique_fd.h>

#include <chrono>
#include <string>
#include <string_view>

namespace sifkit {

// A directory without a lock younger than this is left alone by sweeps: its creator may
// be between the steps that make it.
inline constexpr std::chrono::seconds k_sweep_min_age{60};

// An OFD write lock, held while this object (its open file description) lives. Move-only.
class OfdLock {
public:
  OfdLock() = default;
  // Owns `fd`, whose open file description holds (or is about to hold) the lock.
  explicit OfdLock(int fd) : m_fd(fd) {}

  bool held() const { return m_fd.valid(); }
  // The close-on-exec descriptor that holds the lock; -1 when none.
  int fd() const { return m_fd.get(); }
  // Hands the descriptor (and the lock) to the caller.
  int release() { return m_fd.release(); }
  // Drops the lock now.
  void reset() { m_fd.reset(); }

private:
  UniqueFd m_fd;
};

// Creates the file `dir`/`name` (mode 0600) already locked: an unnamed O_TMPFILE locked,
// then linked in, so no other process ever sees it unlocked (where the filesystem has no
// O_TMPFILE: created with O_EXCL, then locked). `conflict` when `name` exists or another
// process locked it first; `not_found` when `dir` is gone; `io` otherwise.
Result<OfdLock> create_locked_file(const std::string& dir, const std::string& name);

// Whether another open file description holds a lock on the file `path`, asked without
// taking it (F_OFD_GETLK): `not_found` when there is no such file, `io` otherwise.
Result<bool> ofd_lock_held(const std::string& path);

// Creates the directory `parent`/`name` (mode 0700) holding the file `lock` locked before
// `name` can be seen: made as parent/.new-NAME.XXXXXX, locked, renamed without replacing.
// `conflict` when `name` exists; `io` otherwise (nothing is left behind).
Result<OfdLock> create_locked_directory(const std::string& parent, const std::string& name,
                                        const std::string& lock);

// Where a directory entry is in the life above.
enum class DirectoryStage { creating, ready, removing };

// The stage of the entry `entry` (a name, no directory) and the name it was made for:
// ".new-NAME.XXXXXX" → creating NAME, ".dead-NAME.XXXXXX" → removing NAME, else ready.
struct StagedName {
  DirectoryStage stage = DirectoryStage::ready;
  std::string name;
};
StagedName staged_name(std::string_view entry);

// What a sweep may do with a directory.
enum class SweepVerdict {
  in_use, // a live process holds its lock, or it is too young to judge: leave it
  stale,  // the sweep now holds its lock (taken, or created in a lockless one): remove it
  absent, // gone, or not a directory
};

struct SweepClaim {
  SweepVerdict verdict = SweepVerdict::absent;
  DirectoryStage stage = DirectoryStage::ready;
  OfdLock lock; // held when stale
};

// Judges the entry `entry` of `parent` whose lock file is `lock`: stale when its lock is
// free (a creating one only once older than `min_age`), or when it has no lock file and
// its mtime is older than `min_age` (its creator, owner or sweeper was killed between two
// steps); a sweep then holds the lock. `io` when the entry cannot be read.
Result<SweepClaim> claim_stale_directory(const std::string& parent, const std::string& entry,
                                         const std::string& lock,
                                         std::chrono::seconds min_age = k_sweep_min_age);

// Removes the directory `parent`/`entry` whose lock `held` the caller holds, crash-safely:
// renames it to parent/.dead-NAME.XXXXXX (unless it already is one), removes all but the
// lock file `lock`, then the lock file, then the directory, then drops the lock. A
// directory that vanished meanwhile is no error. Never through a mount: `conflict`, with
// nothing removed, while anything is mounted at or below it. `io` naming what could not
// be removed (the renamed directory stays for the next sweep).
Result<void> remove_locked_directory(const std::string& parent, const std::string& entry,
                                     const std::string& lock, OfdLock held);

} // namespace sifkit
