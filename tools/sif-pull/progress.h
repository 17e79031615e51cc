#pragma once

// How sif-pull shows a pull's progress on stderr: on a terminal one bar per blob and a
// total (bytes, rate, ETA) redrawn in place; one plain line per finished blob otherwise;
// nothing when quiet.
#include <registry/pull.h>

namespace sifkit::tools {

enum class ProgressStyle { none, lines, bar };

// The style for stderr: `none` when `quiet`, `bar` on a terminal, else `lines`.
ProgressStyle progress_style(bool quiet);

// A progress callback drawing in `style` (empty for `none`).
registry::PullProgress make_progress(ProgressStyle style);

// Ends a bar's line (after the pull, whatever its outcome).
void finish_progress(ProgressStyle style);

// One closing line: blobs, bytes fetched and reused, time (nothing for `none`).
void print_summary(ProgressStyle style, const registry::PullResult& result);

} // namespace sifkit::tools
