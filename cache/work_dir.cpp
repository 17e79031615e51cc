#include <cache/work_dir.h>

#include <filesystem>
#include <random>
#include <system_error>

#include <fmt/format.h>

namespace sifkit::cache {

namespace {

constexpr std::string_view k_prefix = "work-";
constexpr const char* k_lock_name = ".lock";

std::int64_t tree_size(const std::string& path) {
  std::int64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec))
      total += static_cast<std::int64_t>(it->file_size(ec));
  }
  return total;
}

std::string random_suffix() {
  thread_local std::mt19937 random{std::random_device{}()};
  return fmt::format("{:08x}", random());
}

} // namespace

Result<WorkDir> WorkDir::create(const Layout& layout, std::string_view stem) {
  std::string parent = layout.temp_directory();
  for (int attempt = 0; attempt < 10; ++attempt) {
    std::string name = fmt::format("{}{}.{}", k_prefix, stem, random_suffix());
    auto lock = create_locked_directory(parent, name, k_lock_name);
    if (lock) {
      return WorkDir(parent, std::move(name), std::move(*lock));
    }
    if (lock.error().kind() != ErrorKind::conflict) {
      return std::unexpected(
          std::move(lock.error()).with_context("cannot create a work directory in " + parent));
    }
  }
  return fail(ErrorKind::io, "cannot create a work directory in " + parent + ": no free name");
}

WorkDir::WorkDir(WorkDir&& other) noexcept
    : m_parent(std::move(other.m_parent)), m_path(std::move(other.m_path)),
      m_name(std::move(other.m_name)), m_lock(std::move(other.m_lock)) {
  other.m_path.clear();
}

WorkDir::~WorkDir() {
  if (m_lock.held()) {
    (void)remove_locked_directory(m_parent, m_name, k_lock_name, std::move(m_lock));
  }
}

bool is_work_dir_name(std::string_view name) {
  return staged_name(name).name.starts_with(k_prefix);
}

Result<std::optional<std::int64_t>> remove_if_abandoned(const std::string& temp_dir,
                                                        const std::string& name) {
  SIFKIT_TRY_ASSIGN(auto claim, claim_stale_directory(temp_dir, name, k_lock_name));
  if (claim.verdict != SweepVerdict::stale) {
    return std::nullopt;
  }
  std::int64_t size = tree_size(temp_dir + "/" + name);
  SIFKIT_TRY(
      with_context(remove_locked_directory(temp_dir, name, k_lock_name, std::move(claim.lock)),
                   "cannot remove abandoned work directory"));
  return size;
}

} // namespace sifkit::cache
