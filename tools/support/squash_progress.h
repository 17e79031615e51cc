#pragma once

// How sif-squash and sif-pull show a conversion's progress on stderr: a line redrawn in
// place on a terminal (bytes read, squashfs bytes written, rate), one line per layer in
// a pipe, nothing when quiet.
#include <convert/squash.h>

#include <string>
#include <string_view>

namespace sifkit::tools {

enum class ConvertDisplay { none, lines, bar };

// The display for stderr: `none` when `quiet`, `bar` on a terminal, else `lines`.
ConvertDisplay convert_display(bool quiet);

// A progress callback that draws in `display`, prefixing lines with `tool`.
convert::SquashProgressCallback make_squash_progress(ConvertDisplay display, std::string tool);

// Ends a bar's line (after the conversion, whatever its outcome).
void finish_squash_progress(ConvertDisplay display);

// "12.3 MiB": a byte count for people.
std::string human_bytes(std::int64_t bytes);

} // namespace sifkit::tools
