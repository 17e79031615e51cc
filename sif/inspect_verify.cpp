#include <common/sha256.h>
#include <sif/inspect.h>

#include <array>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sifkit::sif {

namespace {

// `sha256:<hex>` of the bytes of `d`, read in chunks so that large layers never sit in
// memory.
Result<std::string> object_digest(const Image& image, const Descriptor& d) {
  ByteSource source = image.object_source(d);
  Sha256 hash;
  std::array<std::byte, 64 * 1024> chunk{};
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto n, with_context(source(chunk), fmt::format("hashing object {}", d.id)));
    if (n == 0) {
      break;
    }
    hash.update(std::span<const std::byte>(chunk.data(), n));
  }
  return "sha256:" + hash.hex_digest();
}

std::string_view problem_name(DigestProblem problem) {
  return problem == DigestProblem::mismatch ? "mismatch" : "malformed";
}

} // namespace

Result<std::size_t> verify_oci_digests(const Image& image, const DigestFindingSink& on_finding) {
  std::size_t checked = 0;
  for (const Descriptor* d : image.select(is_oci_object)) {
    SIFKIT_TRY_ASSIGN(auto actual, with_context(object_digest(image, *d), image.path()));
    ++checked;
    std::string stored = d->oci_digest_text().value_or("");
    if (!parse_oci_digest(stored)) {
      on_finding({d->id, d->data_type, DigestProblem::malformed, stored, actual});
    } else if (stored != actual) {
      on_finding({d->id, d->data_type, DigestProblem::mismatch, stored, actual});
    }
  }
  return checked;
}

Result<DigestReport> verify_oci_digests(const Image& image) {
  DigestReport report;
  SIFKIT_TRY_ASSIGN(auto checked, verify_oci_digests(image, [&](const DigestFinding& finding) {
                      report.findings.push_back(finding);
                    }));
  report.checked = checked;
  return report;
}

std::string format_digest_report(const DigestReport& report) {
  std::string out;
  for (const DigestFinding& f : report.findings) {
    std::string_view type = data_type_name(f.data_type);
    if (f.problem == DigestProblem::malformed) {
      out += fmt::format("object {} ({}): stored digest \"{}\" is malformed; data is {}\n", f.id,
                         type, f.stored, f.actual);
    } else {
      out += fmt::format("object {} ({}): stored digest {} does not match data {}\n", f.id, type,
                         f.stored, f.actual);
    }
  }
  if (report.clean()) {
    out += fmt::format("OCI digests: {} object(s) checked, all match\n", report.checked);
  } else {
    out += fmt::format("OCI digests: {} of {} object(s) checked do not match\n",
                       report.findings.size(), report.checked);
  }
  return out;
}

nlohmann::ordered_json digest_report_json(const DigestReport& report) {
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const DigestFinding& f : report.findings) {
    findings.push_back({{"id", f.id},
                        {"type", data_type_name(f.data_type)},
                        {"problem", problem_name(f.problem)},
                        {"stored_digest", f.stored},
                        {"actual_digest", f.actual}});
  }
  return {{"checked", report.checked}, {"ok", report.clean()}, {"findings", findings}};
}

} // namespace sifkit::sif
