// The spec's seccomp filter compiled to BPF with libseccomp once and kept, handed to crun
// in its run.oci.seccomp_bpf_data annotation: crun otherwise compiles the whole profile
// again on every run, which costs more than the rest of its start-up.
#include <common/file.h>
#include <common/in_root.h>
#include <common/path_fd.h>
#include <common/sha256.h>
#include <common/unique_fd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "launch.h"
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace sifkit::runtime {

namespace {

constexpr const char* k_bpf_annotation = "run.oci.seccomp_bpf_data";
// A filter of the largest profiles is a few thousand instructions of 8 bytes.
constexpr std::size_t k_max_bpf = std::size_t{1} << 20;

using FilterContext = std::unique_ptr<void, decltype(&seccomp_release)>;

// The libseccomp action of an OCI action name; `errno_ret` for SCMP_ACT_ERRNO and
// SCMP_ACT_TRACE. nullopt for an unknown action and for SCMP_ACT_NOTIFY (its listener
// is set up by the runtime).
std::optional<std::uint32_t> action_of(std::string_view name, std::uint32_t errno_ret) {
  if (name == "SCMP_ACT_ALLOW") {
    return SCMP_ACT_ALLOW;
  }
  if (name == "SCMP_ACT_ERRNO") {
    return SCMP_ACT_ERRNO(errno_ret);
  }
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") {
    return SCMP_ACT_KILL_THREAD;
  }
  if (name == "SCMP_ACT_KILL_PROCESS") {
    return SCMP_ACT_KILL_PROCESS;
  }
  if (name == "SCMP_ACT_TRAP") {
    return SCMP_ACT_TRAP;
  }
  if (name == "SCMP_ACT_TRACE") {
    return SCMP_ACT_TRACE(errno_ret);
  }
  if (name == "SCMP_ACT_LOG") {
    return SCMP_ACT_LOG;
  }
  return std::nullopt;
}

std::optional<scmp_compare> compare_of(std::string_view name) {
  static constexpr std::pair<std::string_view, scmp_compare> k_ops[] = {
      {"SCMP_CMP_NE", SCMP_CMP_NE},
      {"SCMP_CMP_LT", SCMP_CMP_LT},
      {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ},
      {"SCMP_CMP_GE", SCMP_CMP_GE},
      {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  for (const auto& [op_name, op] : k_ops) {
    if (op_name == name) {
      return op;
    }
  }
  return std::nullopt;
}

// Whether `value` is a whole number from 0 to 2^31 - 1.
bool is_count(const nlohmann::json& value) {
  return value.is_number_integer() && value.get<std::int64_t>() >= 0 &&
         value.get<std::int64_t>() <= 0x7fffffff;
}

// The action of `rule` (an OCI seccomp object with "action"/"defaultAction" in `key`),
// errnoRet (or `errno_key`) defaulting to EPERM.
std::optional<std::uint32_t> rule_action(const nlohmann::json& rule, const char* key,
                                         const char* errno_key) {
  auto name = rule.value(key, nlohmann::json());
  auto errno_ret = rule.value(errno_key, nlohmann::json(EPERM));
  if (!name.is_string() || !is_count(errno_ret)) {
    return std::nullopt;
  }
  return action_of(name.get<std::string>(), errno_ret.get<std::uint32_t>());
}

// Adds the rule `rule` for the syscall `number`: all its argument checks in one rule, or
// one rule per check when two check the same argument (libseccomp refuses that).
bool add_syscall_rule(scmp_filter_ctx ctx, std::uint32_t action, int number,
                      const nlohmann::json& args) {
  std::vector<scmp_arg_cmp> checks;
  bool repeated = false;
  std::uint32_t seen = 0;
  for (const auto& arg : args) {
    auto index = arg.value("index", nlohmann::json());
    auto op = compare_of(arg.value("op", std::string()));
    if (!is_count(index) || index.get<std::uint32_t>() >= 6 || !op || checks.size() >= 6) {
      return false;
    }
    std::uint32_t bit = 1u << index.get<std::uint32_t>();
    repeated = repeated || (seen & bit) != 0;
    seen |= bit;
    checks.push_back(scmp_arg_cmp{index.get<unsigned>(), *op, arg.value("value", std::uint64_t{0}),
                                  arg.value("valueTwo", std::uint64_t{0})});
  }
  if (!repeated) {
    return seccomp_rule_add_array(ctx, action, number, static_cast<unsigned>(checks.size()),
                                  checks.data()) == 0;
  }
  for (const auto& check : checks) {
    if (seccomp_rule_add_array(ctx, action, number, 1, &check) != 0) {
      return false;
    }
  }
  return true;
}

// The BPF program of the OCI seccomp object `seccomp`, as the runtime would build it;
// nullopt when it holds anything this cannot compile the same way.
std::optional<std::string> compile(const nlohmann::json& seccomp) {
  auto default_action = rule_action(seccomp, "defaultAction", "defaultErrnoRet");
  if (!default_action) {
    return std::nullopt;
  }
  FilterContext ctx(seccomp_init(*default_action), &seccomp_release);
  if (!ctx) {
    return std::nullopt;
  }
  for (const auto& arch : seccomp.value("architectures", nlohmann::json::array())) {
    if (!arch.is_string()) {
      return std::nullopt;
    }
    std::string name = arch.get<std::string>();
    if (name.starts_with("SCMP_ARCH_")) {
      name.erase(0, 10);
    }
    for (auto& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    std::uint32_t token = seccomp_arch_resolve_name(name.c_str());
    int added = token == 0 ? -EINVAL : seccomp_arch_add(ctx.get(), token);
    if (added != 0 && added != -EEXIST) {
      return std::nullopt;
    }
  }
  for (const auto& rule : seccomp.value("syscalls", nlohmann::json::array())) {
    auto action = rule_action(rule, "action", "errnoRet");
    if (!action) {
      return std::nullopt;
    }
    if (*action == *default_action) {
      continue;
    }
    auto args = rule.value("args", nlohmann::json::array());
    for (const auto& name : rule.value("names", nlohmann::json::array())) {
      if (!name.is_string()) {
        return std::nullopt;
      }
      int number = seccomp_syscall_resolve_name(name.get_ref<const std::string&>().c_str());
      if (number == __NR_SCMP_ERROR) {
        continue; // unknown to this libseccomp: the runtime skips it too
      }
      if (!add_syscall_rule(ctx.get(), *action, number,
                            args.is_array() ? args : nlohmann::json::array())) {
        return std::nullopt;
      }
    }
  }
  UniqueFd memory(::memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!memory || seccomp_export_bpf(ctx.get(), memory.get()) != 0) {
    return std::nullopt;
  }
  off_t size = ::lseek(memory.get(), 0, SEEK_END);
  if (size <= 0 || static_cast<std::size_t>(size) > k_max_bpf) {
    return std::nullopt;
  }
  std::string bpf(static_cast<std::size_t>(size), '\0');
  if (::pread(memory.get(), bpf.data(), bpf.size(), 0) != size) {
    return std::nullopt;
  }
  return bpf;
}

// What the compiled program depends on besides the profile: libseccomp's version (its
// syscall tables), the kernel, and the runtime that applies it (its own libseccomp and
// its reading of the profile change with it; a package upgrade replaces the file).
std::string compile_context(const std::string& runtime_path) {
  const scmp_version* version = seccomp_version();
  utsname host{};
  ::uname(&host);
  struct stat runtime {};
  if (::stat(runtime_path.c_str(), &runtime) != 0) {
    runtime = {};
  }
  return fmt::format("libseccomp {}.{}.{}\n{}\n{}\n{}\nruntime {} {}:{} {} {}.{}\n", version->major,
                     version->minor, version->micro, host.release, host.version, host.machine,
                     runtime_path, runtime.st_dev, runtime.st_ino, runtime.st_size,
                     runtime.st_mtim.tv_sec, runtime.st_mtim.tv_nsec);
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

// The directory `dir` (made when missing), opened without following links, when it is
// this user's and no one else can write in it: a filter kept there is trusted.
std::optional<File> own_cache_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return std::nullopt;
  }
  auto opened = open_directory_without_links(dir, ErrorKind::conflict);
  if (!opened) {
    return std::nullopt;
  }
  auto st = stat_of(*opened);
  if (!st || st->st_uid != ::geteuid() || (st->st_mode & 022) != 0) {
    return std::nullopt;
  }
  return std::move(*opened);
}

} // namespace

void attach_compiled_seccomp(nlohmann::json& spec, const std::string& cache_dir,
                             const std::string& runtime_path) {
  auto seccomp = spec.value("/linux/seccomp"_json_pointer, nlohmann::json());
  if (!seccomp.is_object()) {
    return;
  }
  std::string key = sha256_hex(compile_context(runtime_path) + seccomp.dump());
  std::string path = cache_dir + "/" + key + ".bpf";
  auto trusted = own_cache_dir(cache_dir);
  std::optional<std::string> bpf;
  if (auto kept = trusted ? read_file_below(*trusted, key + ".bpf", k_max_bpf, Resolve::no_links)
                          : Result<std::string>(std::string());
      kept && !kept->empty() && kept->size() % 8 == 0) {
    bpf = std::move(*kept);
  } else {
    try {
      bpf = compile(seccomp);
    } catch (const nlohmann::json::exception&) {
      bpf.reset(); // a value of the wrong type: the runtime judges the profile itself
    }
    if (bpf && trusted) {
      (void)write_file_atomic(path, *bpf, Durability::unsynced);
    }
  }
  if (bpf) {
    spec["annotations"][k_bpf_annotation] = base64(*bpf);
  }
}

} // namespace sifkit::runtime
