#include "commands.h"

#include <sif/inspect.h>
#include <sif/inspect_oci.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sifkit::tools {

namespace {

using namespace sifkit::sif;

Result<void> write_out(std::string_view bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) {
    return fail_errno("cannot write to standard output", errno);
  }
  return {};
}

// Fails with `corrupt_input` when the (already printed) report holds a finding.
Result<void> check_report(const InspectOptions& o, const DigestReport& report) {
  if (report.clean()) {
    return {};
  }
  return fail(ErrorKind::corrupt_input,
              fmt::format("{}: {} of {} OCI object(s) do not match their stored digest", o.file,
                          report.findings.size(), report.checked));
}

Result<void> run_header(const InspectOptions& o, const Image& image) {
  return write_out(o.json ? dump_json(header_json(image)) : format_header(image));
}

Result<void> run_list(const InspectOptions& o, const Image& image) {
  if (!o.verify) {
    return write_out(o.json ? dump_json(list_json(image)) : format_list(image));
  }
  SIFKIT_TRY_ASSIGN(auto report, verify_oci_digests(image));
  std::string out =
      o.json ? dump_json({{"objects", list_json(image)}, {"verify", digest_report_json(report)}})
             : format_list(image) + format_digest_report(report);
  auto written = write_out(out);
  return written ? check_report(o, report) : written;
}

Result<void> run_info(const InspectOptions& o, const Image& image) {
  if (o.json) {
    auto info = info_json(image, o.id);
    return info ? write_out(dump_json(*info)) : std::unexpected(info.error());
  }
  auto info = format_info(image, o.id);
  return info ? write_out(*info) : std::unexpected(info.error());
}

// Streams the object in chunks: objects can be gigabytes.
Result<void> run_dump(const InspectOptions& o, const Image& image) {
  SIFKIT_TRY_ASSIGN(auto d, image.find(o.id));
  ByteSource source = image.object_source(*d);
  std::array<std::byte, 64 * 1024> chunk{};
  for (;;) {
    auto n = source(chunk);
    if (!n || *n == 0) {
      return n ? Result<void>() : std::unexpected(n.error());
    }
    SIFKIT_TRY(write_out({reinterpret_cast<const char*>(chunk.data()), *n}));
  }
}

Result<void> run_verify(const InspectOptions& o, const Image& image) {
  SIFKIT_TRY_ASSIGN(auto report, verify_oci_digests(image));
  auto written =
      write_out(o.json ? dump_json(digest_report_json(report)) : format_digest_report(report));
  return written ? check_report(o, report) : written;
}

Result<void> run_oci(const InspectOptions& o, const Image& image) {
  if (o.json) {
    auto view = oci_json(image);
    return view ? write_out(dump_json(*view)) : std::unexpected(view.error());
  }
  auto view = format_oci(image);
  return view ? write_out(*view) : std::unexpected(view.error());
}

constexpr std::array k_commands{
    InspectCommand{"header", "Show the global header (as siftool header)", TakesId::no,
                   HasJson::yes, run_header},
    InspectCommand{"list", "List the data objects (as siftool list)", TakesId::no, HasJson::yes,
                   run_list},
    InspectCommand{"info", "Show one object's descriptor (as siftool info)", TakesId::yes,
                   HasJson::yes, run_info},
    InspectCommand{"dump", "Write one object's raw bytes to stdout (no --json)", TakesId::yes,
                   HasJson::no, run_dump},
    InspectCommand{"oci", "Show the OCI images: platform, config, layers, history", TakesId::no,
                   HasJson::yes, run_oci},
    InspectCommand{"verify", "Check OCI objects against their stored digests", TakesId::no,
                   HasJson::yes, run_verify},
};

} // namespace

std::span<const InspectCommand> inspect_commands() {
  return k_commands;
}

Result<std::uint32_t> parse_object_id(const std::string& text) {
  std::uint32_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return fail(ErrorKind::usage, "invalid object ID \"" + text + "\" (want a decimal number)");
  }
  return id;
}

} // namespace sifkit::tools
