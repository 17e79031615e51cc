#pragma once

// Text formatting that reproduces what Go's standard library prints, so that the siftool
// views (sif/inspect.h) are byte-identical to upstream `siftool`. Nothing here knows SIF.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sifkit::sif {

// Go's `time.Unix(seconds, 0).UTC().String()`: "2020-06-30 00:01:56 +0000 UTC".
// Years outside 0..9999 print as Go prints them ("-0001", "10000"); never fails.
std::string go_utc_time(std::int64_t seconds);

// siftool's human-readable size: "N B" below 1024 bytes, otherwise the value in the
// largest binary unit whose integer quotient stays below 1024, rounded half away from
// zero without decimals ("27 KiB" for 28080, "1024 KiB" for 1048575).
std::string go_readable_size(std::int64_t size);

// The number of characters Go counts in `text` (utf8.RuneCount): each valid UTF-8
// sequence is one, each byte of an invalid sequence is one.
std::size_t go_rune_count(std::string_view text);

// Aligns `text` as Go's text/tabwriter does with minwidth 0, tabwidth 0, padchar ' ',
// no flags and `padding`: cells end at '\t' or '\v', lines at '\n' or '\f' ('\f' also
// ends the alignment section and is written as '\n'); consecutive lines that have a cell
// in a column share that column's width (widest cell + `padding`); the last cell of a
// line is never padded; text between two 0xFF bytes is one escaped run. Never fails.
std::string go_tabwrite(std::string_view text, std::size_t padding);

} // namespace sifkit::sif
