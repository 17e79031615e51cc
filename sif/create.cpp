#include <common/atomic_file.h>
#include <sif/image.h>

#include <chrono>
#include <limits>

#include <unistd.h>

namespace sifkit::sif {

CreateOptions CreateOptions::deterministic() {
  CreateOptions o;
  o.id = Uuid{};
  o.time = k_zero_time;
  return o;
}

Result<Image> Image::create(const std::string& path, const CreateOptions& options,
                            std::vector<ObjectInput> objects) {
  auto in_path = [&](Error e) { return std::unexpected(std::move(e).with_context(path)); };
  if (options.launch_script.size() >= k_launch_script_size) {
    return in_path(Error(ErrorKind::usage, "launch script too large (at most 31 bytes)"));
  }
  if (options.capacity < 0 || options.capacity >= std::numeric_limits<std::uint32_t>::max()) {
    return in_path(Error(ErrorKind::usage, "descriptor capacity not supported"));
  }
  if (options.descriptors_offset < static_cast<std::int64_t>(k_header_size)) {
    return in_path(Error(ErrorKind::usage, "descriptor table would overlap the header"));
  }
  if (static_cast<std::int64_t>(objects.size()) > options.capacity) {
    return in_path(Error(ErrorKind::capacity,
                         "insufficient descriptor capacity to add data object(s) to image"));
  }

  std::int64_t time = options.time.value_or(std::chrono::duration_cast<std::chrono::seconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  Header h;
  std::copy(options.launch_script.begin(), options.launch_script.end(), h.launch_script.begin());
  h.id = options.id.value_or(random_uuid());
  h.created_at = h.modified_at = time;
  h.descriptors_free = h.descriptors_total = options.capacity;
  h.descriptors_offset = options.descriptors_offset;
  h.descriptors_size = options.capacity * static_cast<std::int64_t>(k_descriptor_size);
  h.data_offset = h.descriptors_offset + h.descriptors_size;

  SIFKIT_TRY_ASSIGN(auto tmp, AtomicFile::create(path));
  int fd = ::dup(tmp.file().fd());
  if (fd < 0) {
    return fail_errno("cannot duplicate descriptor of " + tmp.temp_path(), errno);
  }
  Image image(File::adopt(fd, tmp.temp_path()), h,
              std::vector<Descriptor>(static_cast<std::size_t>(options.capacity)), 0);
  image.m_mode = OpenMode::read_write;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (auto w = image.write_object(i, objects[i], time); !w) {
      return in_path(std::move(w.error()).with_context("writing object " + std::to_string(i + 1)));
    }
  }
  SIFKIT_TRY(image.write_metadata());
  // An image without objects still spans the whole descriptor table.
  if (image.m_file_size < h.data_offset) {
    SIFKIT_TRY(image.m_file.truncate(h.data_offset));
  }
  SIFKIT_TRY(image.m_file.close());
  SIFKIT_TRY(tmp.commit());
  return open(path, OpenMode::read_write);
}

} // namespace sifkit::sif
