#pragma once

// Text from elsewhere (a server's error message, a header, a log line) made safe to print
// on a terminal: control characters become visible escapes, so no escape sequence it
// carries reaches the terminal.
#include <string>
#include <string_view>

namespace sifkit {

enum class KeepLineBreaks { no, yes };

// `text` with every C0 control byte, DEL, C1 control (raw or UTF-8 encoded) and byte of
// malformed UTF-8 written as `\xNN` (one per byte), and backslashes doubled; well-formed
// printable UTF-8 stays as it is. With KeepLineBreaks::yes, '\n' and '\t' are kept.
std::string escape_control(std::string_view text, KeepLineBreaks keep = KeepLineBreaks::no);

} // namespace sifkit
