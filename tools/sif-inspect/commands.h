#pragma once

// The subcommands of sif-inspect: each runs one library view of an open image and writes
// it to standard output. Argument parsing stays in main.cpp.

#include <common/error.h>
#include <sif/image.h>

#include <cstdint>
#include <span>
#include <string>

namespace sifkit::tools {

// What the command line asked for.
struct InspectOptions {
  std::uint32_t id = 0; // the object ID of `info` and `dump`
  std::string file;
  bool json = false;
  bool verify = false; // `list --verify`
};

enum class TakesId { no, yes };
enum class HasJson { no, yes };

// One subcommand: its name, one-line help, its arguments, and what it does. Fails with
// the library's errors, or `corrupt_input` when a digest check finds a mismatch (after
// writing the report).
struct InspectCommand {
  const char* name;
  const char* description;
  TakesId takes_id;
  HasJson has_json;
  Result<void> (*run)(const InspectOptions&, const sif::Image&);
};

// The subcommands in help order; adding one is one more row in commands.cpp.
std::span<const InspectCommand> inspect_commands();

// Parses an object ID as siftool does: decimal, unsigned 32-bit; `usage` otherwise.
Result<std::uint32_t> parse_object_id(const std::string& text);

} // namespace sifkit::tools
