#include <convert/sqfs_compressor.h>
#include <convert/squashfs_writer.h>
#include <convert/squashfs_writer_state.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include <fmt/format.h>
#include <sys/sysmacros.h>

namespace sifkit::convert {

std::unexpected<Error> sqfs_fail(int code, std::string_view doing) {
  ErrorKind kind = ErrorKind::internal;
  switch (code) {
  case SQFS_ERROR_IO:
    kind = ErrorKind::io;
    break;
  case SQFS_ERROR_ALLOC:
    kind = ErrorKind::capacity;
    break;
  case SQFS_ERROR_UNSUPPORTED:
    kind = ErrorKind::unsupported;
    break;
  case SQFS_ERROR_OVERFLOW:
    kind = ErrorKind::capacity;
    break;
  default:
    break;
  }
  return fail(kind, fmt::format("{} (libsquashfs error {})", doing, code));
}

SquashfsWriter::SquashfsWriter(std::unique_ptr<SquashfsWriterState> state)
    : m_state(std::move(state)) {}
SquashfsWriter::SquashfsWriter(SquashfsWriter&&) noexcept = default;
SquashfsWriter& SquashfsWriter::operator=(SquashfsWriter&&) noexcept = default;

SquashfsWriter::~SquashfsWriter() {
  if (!m_state || !m_state->processor)
    return;
  // Abandoned midway (an error): libsquashfs 1.2 frees the block being filled and the
  // blocks in flight only when the processor finishes, so finish it (into the output the
  // caller discards) before its workers stop and the objects they use go away.
  if (!m_state->finished) {
    if (m_state->file_open)
      (void)sqfs_block_processor_end_file(m_state->processor.get());
    (void)sqfs_block_processor_finish(m_state->processor.get());
  }
  m_state->processor.reset();
}

Result<SquashfsWriter> SquashfsWriter::create(const std::string& path,
                                              const SquashOptions& options) {
  SIFKIT_TRY(validate(options));
  auto s = std::make_unique<SquashfsWriterState>();
  s->path = path;
  s->options = options;

  SIFKIT_TRY_ASSIGN(auto cmp, make_compressor(options));
  s->cmp = std::move(cmp);

  s->file.reset(sqfs_open_file(path.c_str(), SQFS_FILE_OPEN_OVERWRITE));
  if (!s->file)
    return fail_errno("create " + path, errno);

  // mkfs time 0: the same input gives the same bytes.
  int rc = sqfs_super_init(&s->super, options.block_size, 0, sqfs_id(options.compressor));
  if (rc != 0)
    return sqfs_fail(rc, "initialising the super block");
  if ((rc = sqfs_super_write(&s->super, s->file.get())) != 0) {
    return sqfs_fail(rc, "writing the super block of " + path);
  }
  rc = s->cmp->write_options(s->cmp.get(), s->file.get());
  if (rc < 0)
    return sqfs_fail(rc, "writing the compressor options of " + path);
  if (rc > 0)
    s->super.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;

  s->block_writer.reset(sqfs_block_writer_create(s->file.get(), k_device_block, 0));
  s->frag_table.reset(sqfs_frag_table_create(0));
  s->id_table.reset(sqfs_id_table_create(0));
  s->xattr_writer.reset(sqfs_xattr_writer_create(0));
  s->inode_meta.reset(sqfs_meta_writer_create(s->file.get(), s->cmp.get(), 0));
  s->dir_meta.reset(
      sqfs_meta_writer_create(s->file.get(), s->cmp.get(), SQFS_META_WRITER_KEEP_IN_MEMORY));
  if (!s->block_writer || !s->frag_table || !s->id_table || !s->xattr_writer || !s->inode_meta ||
      !s->dir_meta) {
    return fail(ErrorKind::capacity, "out of memory creating the squashfs writer");
  }
  s->dir_writer.reset(sqfs_dir_writer_create(s->dir_meta.get(), 0));
  if (!s->dir_writer)
    return fail(ErrorKind::capacity, "out of memory creating the squashfs writer");
  s->fragments = std::make_unique<FragmentPacker>(options.block_size, s->frag_table.get());
  s->fragment_writer.reset(s->fragments->make_writer(s->block_writer.get()));

  unsigned workers = worker_count(options);
  sqfs_block_processor_desc_t desc{};
  desc.size = sizeof(desc);
  desc.max_block_size = options.block_size;
  desc.num_workers = workers;
  desc.max_backlog = workers * 16; // bounds memory (blocks in flight), whatever the layer size
  desc.cmp = s->cmp.get();
  // Files reach the processor only as whole blocks (DONT_FRAGMENT): the packer places
  // their tails and is the only one to add fragment table entries.
  desc.wr = s->fragment_writer.get();
  sqfs_block_processor_t* processor = nullptr;
  if ((rc = sqfs_block_processor_create_ex(&desc, &processor)) != 0) {
    return sqfs_fail(rc, "starting the block processor");
  }
  s->processor.reset(processor);
  s->fragments->set_processor(processor);
  s->zeros.resize(options.block_size);
  s->tail.reserve(options.block_size);
  return SquashfsWriter(std::move(s));
}

Result<void> SquashfsWriter::add_file(Inode& inode, EntryReader& reader, std::int64_t size) {
  SquashfsWriterState& s = *m_state;
  // Whole blocks stream through the block processor; the rest (all of a small file) is
  // kept here and placed by the fragment packer once the file is complete.
  const std::int64_t whole = size - size % s.options.block_size;
  s.tail.clear();
  int rc = 0;
  if (whole > 0) {
    rc = sqfs_block_processor_begin_file(s.processor.get(), &inode.file, nullptr,
                                         SQFS_BLK_DONT_FRAGMENT);
    if (rc != 0)
      return sqfs_fail(rc, "adding a file to the squashfs image");
    s.file_open = true;
  }
  std::int64_t at = 0;
  auto append = [&](const std::byte* data, std::size_t n) -> Result<void> {
    if (at < whole) {
      std::size_t k = static_cast<std::size_t>(std::min<std::int64_t>(whole - at, n));
      if (int e = sqfs_block_processor_append(s.processor.get(), data, k); e != 0)
        return sqfs_fail(e, "writing file data");
      data += k;
      n -= k;
      at += static_cast<std::int64_t>(k);
    }
    s.tail.insert(s.tail.end(), data, data + n);
    at += static_cast<std::int64_t>(n);
    return {};
  };
  auto append_zeros = [&](std::int64_t count) -> Result<void> {
    while (count > 0) {
      std::size_t n = static_cast<std::size_t>(
          std::min<std::int64_t>(count, static_cast<std::int64_t>(s.zeros.size())));
      SIFKIT_TRY(append(s.zeros.data(), n));
      count -= static_cast<std::int64_t>(n);
    }
    return {};
  };
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto piece, reader.read_data());
    if (!piece)
      break;
    const DataPiece& p = *piece;
    if (p.offset < at || p.offset + static_cast<std::int64_t>(p.bytes.size()) > size) {
      return fail(ErrorKind::corrupt_input,
                  fmt::format("{}: file data at offset {} ({} bytes) outside its declared size {}",
                              reader.name(), p.offset, p.bytes.size(), size));
    }
    SIFKIT_TRY(append_zeros(p.offset - at));
    SIFKIT_TRY(append(p.bytes.data(), p.bytes.size()));
  }
  SIFKIT_TRY(append_zeros(size - at));
  if (whole > 0) {
    s.file_open = false;
    if ((rc = sqfs_block_processor_end_file(s.processor.get())) != 0)
      return sqfs_fail(rc, "writing file data");
  }
  SIFKIT_TRY_ASSIGN(auto place, s.fragments->add(s.tail));
  inode.file_size = static_cast<std::uint64_t>(size);
  inode.fragment = place.fragment;
  inode.fragment_offset = place.offset;
  inode.hole_tail = place.hole ? static_cast<std::uint32_t>(s.tail.size()) : 0;
  s.bytes_in += size;
  return {};
}

std::int64_t SquashfsWriter::bytes_in() const {
  return m_state->bytes_in;
}

std::int64_t SquashfsWriter::bytes_out() const {
  return static_cast<std::int64_t>(m_state->file->get_size(m_state->file.get()));
}

std::int64_t SquashfsWriter::xattrs_dropped() const {
  return m_state->xattrs_dropped;
}

} // namespace sifkit::convert
