// libFuzzer target: whatever image Image::open accepts for writing stays a valid image
// after each kind of modification (add, set, delete with zero-fill and compaction) —
// hostile header or descriptor values must never lead a write over the header, the
// table or another object.
#include "memfd_input.h"

#include <sif/image.h>

#include <cstdint>
#include <string_view>

using namespace sifkit;
using namespace sifkit::sif;

namespace {

constexpr std::int64_t k_time = 1;

// Reopens the image read-only after `operation` and checks that it still validates.
Image reopen(const std::string& path, const char* operation) {
  auto image = Image::open(path);
  if (!image) {
    std::fprintf(stderr, "invalid image after %s: %s\n", operation, image.error().what().c_str());
    std::abort();
  }
  return std::move(*image);
}

void add_then_check(const std::string& path) {
  auto image = Image::open(path, OpenMode::read_write);
  if (!image) {
    return;
  }
  ObjectInput in;
  in.type = DataType::generic;
  in.data = source_from_string("fuzz!");
  auto id = image->add_object(std::move(in), {k_time});
  Image after = reopen(path, "add_object"); // also after a failed add: it is rolled back
  if (id) {
    auto found = after.find(*id);
    FUZZ_CHECK(found);
    auto data = after.read_object(**found);
    FUZZ_CHECK(data && *data == "fuzz!");
  }
}

void set_then_check(const std::string& path) {
  auto image = Image::open(path, OpenMode::read_write);
  if (!image || image->descriptors().empty()) {
    return;
  }
  std::uint32_t first = image->descriptors().front()->id;
  if (image->set_metadata(first, std::as_bytes(std::span("metadata", 8)), {k_time})) {
    reopen(path, "set_metadata");
  }
  auto systems = image->select([](const Descriptor& d) {
    auto p = d.partition();
    return p && p->part_type == static_cast<std::int32_t>(PartType::system);
  });
  if (!systems.empty() && image->set_primary_partition(systems.front()->id, {k_time})) {
    reopen(path, "set_primary_partition");
  }
}

void delete_then_check(const std::string& path) {
  auto image = Image::open(path, OpenMode::read_write);
  if (!image || image->descriptors().empty()) {
    return;
  }
  std::uint32_t last = image->descriptors().back()->id;
  if (image->delete_object(last, {Zero::yes, Compact::yes, k_time})) {
    Image after = reopen(path, "delete_object");
    FUZZ_CHECK(!after.find(last));
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::MemfdInput input;
  input.set(std::string_view(reinterpret_cast<const char*>(data), size));
  add_then_check(input.path());
  set_then_check(input.path());
  delete_then_check(input.path());
  return 0;
}
