// Writes a SIF of about SIZE_MIB mebibytes (default 1024) for benchmarks: one squashfs
// primary partition of zeros, an OCI blob and a generic object.
//   make_big_sif OUT.sif [SIZE_MIB]
#include <sif/image.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

using namespace sifkit;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_big_sif OUT.sif [SIZE_MIB]\n");
    return 2;
  }
  std::int64_t total = (argc > 2 ? std::atoll(argv[2]) : 1024) * 1024 * 1024;
  auto left = std::make_shared<std::int64_t>(total);
  sif::ObjectInput big;
  big.type = sif::DataType::partition;
  big.extra = sif::partition_extra(sif::FsType::squashfs, sif::PartType::primary_system,
                                   *sif::arch_code("amd64"));
  big.data = [left](std::span<std::byte> buf) -> Result<std::size_t> {
    auto n = static_cast<std::size_t>(std::min<std::int64_t>(*left, static_cast<std::int64_t>(buf.size())));
    std::memset(buf.data(), 0, n);
    *left -= static_cast<std::int64_t>(n);
    return n;
  };
  sif::ObjectInput blob;
  blob.type = sif::DataType::oci_blob;
  blob.data = source_from_string("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
  sif::ObjectInput note;
  note.type = sif::DataType::generic;
  note.name = "note.txt";
  note.data = source_from_string("benchmark image\n");
  std::vector<sif::ObjectInput> objects;
  objects.push_back(std::move(big));
  objects.push_back(std::move(blob));
  objects.push_back(std::move(note));
  auto image = sif::Image::create(argv[1], sif::CreateOptions::deterministic(), std::move(objects));
  if (!image) {
    std::fprintf(stderr, "make_big_sif: %s\n", image.error().what().c_str());
    return exit_code(image.error().kind());
  }
  std::printf("%s: %lld bytes\n", argv[1], static_cast<long long>(image->file_size()));
  return 0;
}
