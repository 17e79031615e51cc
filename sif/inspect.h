#pragma once

// Read-only views of an open SIF image: the text `siftool` prints (byte-identical to
// upstream sylabs/sif siftool, spec §12), JSON equivalents with stable field names, and a
// check of the digests stored for OCI objects. Used by `sif-inspect`.

#include <common/error.h>
#include <sif/image.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::sif {

// ---- siftool text ----

// `siftool header`: the global header as an aligned two-column table.
std::string format_header(const Image& image);

// `siftool list`: a table of every used descriptor in ID order.
std::string format_list(const Image& image);

// `siftool info ID`: the descriptor `id` as an indented two-column table. Fails with
// `not_found` when no object has `id`, and with `corrupt_input` for a signature whose
// hash type SIF does not define (siftool prints nothing then either).
Result<std::string> format_info(const Image& image, std::uint32_t id);

// ---- JSON ----
//
// Header object: launch_script (string, trailing NULs trimmed), version, primary_arch
// (Go arch name; null when unknown), id (UUID; null when nil), created_at, modified_at
// (Unix seconds; null when unset, i.e. Go's zero time), descriptors_free,
// descriptors_total, descriptors_offset, descriptors_size, data_offset, data_size,
// is_oci_sif (an OCI.RootIndex object exists).
//
// Descriptor object: id, group_id (null when none), link ({id, is_group}; null when
// none), data_type (the numeric type), type (siftool's name, e.g. "OCI.Blob"), offset,
// size, size_with_padding, created_at, modified_at (as above), name; then, only for the
// matching type: partition {fs_type, part_type, arch} (siftool names; arch null when
// unknown), signature {hash (null when undefined), fingerprint (40 upper-case hex digits;
// null when none)}, crypto_message {format, message}, sbom_format, digest (the stored
// text of an OCI.RootIndex / OCI.Blob digest).

nlohmann::ordered_json header_json(const Image& image);
// One descriptor object per used descriptor, in ID order.
nlohmann::ordered_json list_json(const Image& image);
// The descriptor object of `id`; `not_found` when no object has `id`.
Result<nlohmann::ordered_json> info_json(const Image& image, std::uint32_t id);

// `value` as indented JSON plus a newline. Invalid UTF-8 in strings (names and launch
// scripts are raw bytes) becomes U+FFFD instead of throwing.
std::string dump_json(const nlohmann::ordered_json& value);

// ---- OCI digest verification ----

enum class DigestProblem {
  mismatch,  // the stored digest is well formed but names other bytes
  malformed, // the stored digest is not `sha256:<64 lower-case hex>`
};

// One OCI object whose data does not match the digest stored in its descriptor.
struct DigestFinding {
  std::uint32_t id = 0;
  std::int32_t data_type = 0;
  DigestProblem problem = DigestProblem::mismatch;
  std::string stored; // the descriptor's digest text, as stored
  std::string actual; // `sha256:<hex>` of the object's bytes
};

using DigestFindingSink = std::function<void(const DigestFinding&)>;

// Streams every OCI.RootIndex and OCI.Blob object of `image` through SHA-256 and calls
// `on_finding` for each whose stored digest is malformed or differs. Returns how many
// objects were checked. Fails with `io` (or `corrupt_input` when the file shrank) when an
// object cannot be read; findings reported before the failure stand.
Result<std::size_t> verify_oci_digests(const Image& image, const DigestFindingSink& on_finding);

// The outcome of a whole verification, for printing.
struct DigestReport {
  std::size_t checked = 0;
  std::vector<DigestFinding> findings;
  bool clean() const { return findings.empty(); }
};

// `verify_oci_digests`, collecting the findings.
Result<DigestReport> verify_oci_digests(const Image& image);

// One line per finding, then a summary line ("OCI digests: 2 objects checked, all match").
std::string format_digest_report(const DigestReport& report);

// {"checked": N, "ok": bool, "findings": [{id, type, problem ("mismatch"|"malformed"),
// stored_digest, actual_digest}]}.
nlohmann::ordered_json digest_report_json(const DigestReport& report);

} // namespace sifkit::sif
