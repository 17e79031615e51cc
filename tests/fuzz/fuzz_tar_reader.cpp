// libFuzzer target: any byte string read as a layer (a tar, plain or compressed) yields
// entries that keep convert/entry.h's contract (normalised paths that stay below the
// root, hardlink and symlink targets, sizes, owners, sorted xattrs, content pieces in
// order and inside the declared size) or a `corrupt_input` error; and, when its declared
// content is small, merging it as one or two layers (whiteouts, opaque directories,
// hardlinks across layers) into a squashfs image either succeeds or fails with
// `corrupt_input` / `capacity`.
//
// Byte 0 of the input says how the rest is used:
//   bits 0-1  1: gzip-wrapped here, 2: zstd-wrapped here (so that mutations land on the tar
//             inside), 0 or 3: the bytes as they are (the reader sniffs any compression);
//   bit 2     also merge the layer(s) into a squashfs image;
//   bits 3-7  with bit 2: split the rest after that many 512-byte blocks into a lower and
//             an upper layer (0: one layer).
#include <convert/entry.h>
#include <convert/squash.h>
#include <convert/tar_reader.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "memfd_input.h"
#include <archive.h>
#include <archive_entry.h>

using namespace sifkit;
using namespace sifkit::convert;

namespace {

enum class Wrapper { none, gzip, zstd };

// Declared file content above this is not merged: holes are filled with zeros, which
// would only measure the machine's memory bandwidth.
constexpr std::int64_t k_max_merged_content = std::int64_t{16} << 20;
constexpr std::size_t k_tar_block = 512;

struct ArchiveWriteFree {
  void operator()(archive* a) const noexcept { archive_write_free(a); }
};

// `bytes` compressed as one gzip or zstd stream (libarchive's raw format: no container).
std::string wrap(std::string_view bytes, Wrapper wrapper) {
  if (wrapper == Wrapper::none) {
    return std::string(bytes);
  }
  std::unique_ptr<archive, ArchiveWriteFree> a(archive_write_new());
  FUZZ_CHECK(a);
  FUZZ_CHECK((wrapper == Wrapper::gzip ? archive_write_add_filter_gzip(a.get())
                                       : archive_write_add_filter_zstd(a.get())) == ARCHIVE_OK);
  FUZZ_CHECK(archive_write_set_format_raw(a.get()) == ARCHIVE_OK);
  FUZZ_CHECK(archive_write_set_bytes_per_block(a.get(), 0) == ARCHIVE_OK);
  std::string out(bytes.size() + bytes.size() / 8 + 4096, '\0');
  std::size_t used = 0;
  FUZZ_CHECK(archive_write_open_memory(a.get(), out.data(), out.size(), &used) == ARCHIVE_OK);
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, "layer");
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_size(entry, static_cast<la_int64_t>(bytes.size()));
  FUZZ_CHECK(archive_write_header(a.get(), entry) == ARCHIVE_OK);
  archive_entry_free(entry);
  FUZZ_CHECK(archive_write_data(a.get(), bytes.data(), bytes.size()) ==
             static_cast<la_ssize_t>(bytes.size()));
  FUZZ_CHECK(archive_write_close(a.get()) == ARCHIVE_OK);
  out.resize(used);
  return out;
}

// True when `path` is what entry.h promises: relative, no "", "." or ".." component,
// within the length limits.
bool normalised(std::string_view path) {
  if (path.empty()) {
    return true;
  }
  if (path.size() > k_max_entry_path || path.find('\0') != std::string_view::npos) {
    return false;
  }
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t end = std::min(path.find('/', pos), path.size());
    std::string_view part = path.substr(pos, end - pos);
    if (part.empty() || part == "." || part == ".." || part.size() > 255) {
      return false;
    }
    pos = end + 1;
  }
  return true;
}

// Aborts, naming the error, unless `error` is one of `kinds` with a message.
void check_failure(const Error& error,
                   std::initializer_list<ErrorKind> kinds = {ErrorKind::corrupt_input}) {
  if (std::find(kinds.begin(), kinds.end(), error.kind()) == kinds.end() || error.what().empty()) {
    std::fprintf(stderr, "unexpected %s error: %s\n", std::string(to_string(error.kind())).c_str(),
                 error.what().c_str());
    std::abort();
  }
}

void check_entry(const Entry& e) {
  FUZZ_CHECK(normalised(e.path));
  FUZZ_CHECK(e.mode <= 07777);
  FUZZ_CHECK(e.type == EntryType::file ? e.size >= 0 && e.size <= (std::int64_t{1} << 40)
                                       : e.size == 0);
  if (e.type == EntryType::hardlink) {
    FUZZ_CHECK(!e.link_target.empty() && normalised(e.link_target));
  } else if (e.type == EntryType::symlink) {
    FUZZ_CHECK(!e.link_target.empty() && e.link_target.size() <= k_max_symlink_target);
    FUZZ_CHECK(e.link_target.find('\0') == std::string::npos);
  } else {
    FUZZ_CHECK(e.link_target.empty());
  }
  for (std::size_t i = 0; i < e.xattrs.size(); ++i) {
    FUZZ_CHECK(!e.xattrs[i].value.empty());
    FUZZ_CHECK(i == 0 || e.xattrs[i - 1].name < e.xattrs[i].name);
  }
}

// Reads the current file's content; false when the stream failed.
bool read_content(EntryReader& reader, const Entry& e) {
  std::int64_t end = 0;
  for (;;) {
    auto piece = reader.read_data();
    if (!piece) {
      check_failure(piece.error());
      return false;
    }
    if (!*piece) {
      return true;
    }
    FUZZ_CHECK((*piece)->offset >= end);
    end = (*piece)->offset + static_cast<std::int64_t>((*piece)->bytes.size());
    FUZZ_CHECK(end <= e.size);
  }
}

// Reads the whole layer, checking every entry; the declared file content in bytes, or -1
// when the layer is refused.
std::int64_t read_layer(const std::string& bytes) {
  auto reader = open_tar_stream(source_from_string(bytes), "layer");
  if (!reader) {
    check_failure(reader.error());
    return -1;
  }
  std::int64_t declared = 0;
  for (std::size_t index = 0;; ++index) {
    auto entry = (*reader)->next();
    if (!entry) {
      check_failure(entry.error());
      return -1;
    }
    if (!*entry) {
      return declared;
    }
    check_entry(**entry);
    declared += (*entry)->size;
    // Every other file's content is left unread: next() must skip it.
    if ((*entry)->type == EntryType::file && index % 2 == 0 && !read_content(**reader, **entry)) {
      return -1;
    }
  }
}

void merge(const std::vector<std::string>& layers) {
  std::vector<LayerInput> inputs;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    std::string name = "layer " + std::to_string(i);
    const std::string& bytes = layers[i];
    inputs.push_back({name,
                      [name, &bytes] { return open_tar_stream(source_from_string(bytes), name); },
                      Whiteouts::interpret});
  }
  static const fuzz::MemfdInput out;
  SquashOptions options;
  options.threads = 1;
  options.block_size = k_min_block_size;
  auto stats = squash_layers(inputs, out.path(), options);
  if (!stats) {
    check_failure(stats.error(), {ErrorKind::corrupt_input, ErrorKind::capacity});
    return;
  }
  FUZZ_CHECK(stats->image_size > 0 && stats->image_size % 4096 == 0);
  FUZZ_CHECK(stats->directories >= 1 && stats->inodes >= stats->directories + stats->files);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const Wrapper wrapper = (mode & 3) == 1   ? Wrapper::gzip
                          : (mode & 3) == 2 ? Wrapper::zstd
                                            : Wrapper::none;
  const bool do_merge = (mode & 4) != 0;
  const std::size_t split = std::min<std::size_t>((mode >> 3) * k_tar_block, rest.size());

  std::vector<std::string> layers;
  if (do_merge && split > 0) {
    layers.push_back(wrap(rest.substr(0, split), wrapper));
    layers.push_back(wrap(rest.substr(split), wrapper));
  } else {
    layers.push_back(wrap(rest, wrapper));
  }
  std::int64_t declared = 0;
  for (const std::string& layer : layers) {
    std::int64_t content = read_layer(layer);
    declared = content < 0 ? -1 : declared < 0 ? -1 : declared + content;
  }
  if (do_merge && declared >= 0 && declared <= k_max_merged_content) {
    merge(layers);
  }
  return 0;
}
