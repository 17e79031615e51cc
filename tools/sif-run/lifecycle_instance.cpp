// `sif-run instance start|list|stop` and `sif-run exec instance://NAME CMD`: background
// containers. The work is in runtime/instance/instance.h; starting reuses sif-run's flags
// (flags.h) and run path (runtime/run.h).
#include <runtime/instance/instance.h>

#include <algorithm>
#include <cstdio>

#include "command_line.h"
#include "flags.h"
#include "lifecycle.h"
#include "lifecycle_help.h"
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <support/report.h>

namespace sifkit::tools {

namespace {

constexpr std::string_view k_instance_tool = "sif-run instance";
constexpr std::chrono::seconds k_start_timeout{60};

int parse_instance(CLI::App& app, const std::vector<std::string>& words) {
  return parse_words(app, words, k_instance_tool);
}

int finish_instance(const Result<void>& done) {
  return finish_command(done, k_instance_tool);
}

int start_command(std::vector<std::string> words) {
  CLI::App app(k_instance_start_help, "sif-run instance start");
  RunFlags flags;
  add_run_flags(app, flags);
  std::string name;
  app.add_option("NAME", name, "The instance's name")->required()->type_name("");
  std::size_t image = first_positional(app, words);
  std::vector<std::string> args;
  if (image + 1 < words.size()) {
    args.assign(words.begin() + static_cast<long>(image) + 2, words.end());
    words.resize(image + 2);
  }
  if (int code = parse_instance(app, words); code >= 0) {
    return code;
  }
  auto options = run_options(flags, runtime::Action::run, std::move(args));
  if (!options) {
    return finish_instance(std::unexpected(options.error()));
  }
  auto ref_options = image_ref_options(flags);
  if (!ref_options) {
    return finish_instance(std::unexpected(ref_options.error()));
  }
  ref_options->note = [&flags](std::string_view text) {
    if (!flags.quiet) {
      fmt::print(stderr, "sif-run: {}\n", text);
    }
  };
  auto resolved = runtime::resolve_image(flags.image, *ref_options);
  if (!resolved) {
    return finish_instance(std::unexpected(resolved.error()));
  }
  runtime::RunRequest request;
  request.image = *resolved;
  request.options = std::move(*options);
  request.runtime = flags.runtime;
  request.method = flags.fuse ? runtime::MountMethod::fuse : runtime::MountMethod::automatic;
  auto started = runtime::start_instance(name, std::move(request), k_start_timeout);
  if (!started) {
    return finish_instance(std::unexpected(started.error()));
  }
  if (!flags.quiet) {
    fmt::print("{}\n", name);
  }
  return finish_instance({});
}

nlohmann::ordered_json listing_json(const runtime::InstanceListing& l) {
  return {{"name", l.record.name},
          {"pid", l.pid},
          {"status", l.status},
          {"created", l.record.created},
          {"image", l.record.image},
          {"container_id", l.record.container.id},
          {"runtime", l.record.container.runtime.name},
          {"supervisor_pid", l.record.supervisor_pid},
          {"out_log", l.record.out_log},
          {"err_log", l.record.err_log}};
}

int list_command(const std::vector<std::string>& words) {
  CLI::App app(k_instance_list_help, "sif-run instance list");
  bool json = false;
  app.add_flag("--json", json, "Print a JSON array");
  if (int code = parse_instance(app, words); code >= 0) {
    return code;
  }
  auto listed = runtime::list_instances();
  if (!listed) {
    return finish_instance(std::unexpected(listed.error()));
  }
  if (json) {
    auto array = nlohmann::ordered_json::array();
    for (const auto& l : *listed) {
      array.push_back(listing_json(l));
    }
    fmt::print("{}\n", array.dump(2));
    return finish_instance({});
  }
  fmt::print("{:<20} {:>8} {:<8} {:<20} {}\n", "NAME", "PID", "STATUS", "CREATED", "IMAGE");
  for (const auto& l : *listed) {
    fmt::print("{:<20} {:>8} {:<8} {:<20} {}\n", l.record.name, l.pid, l.status, l.record.created,
               l.record.image);
  }
  return finish_instance({});
}

int stop_command(const std::vector<std::string>& words) {
  CLI::App app(k_instance_stop_help, "sif-run instance stop");
  std::vector<std::string> names;
  bool all = false;
  std::string signal_text = "TERM";
  int seconds = 10;
  app.add_option("NAME", names, "The instances to stop")->type_name("");
  app.add_flag("-a,--all", all, "Stop every running instance");
  app.add_option("-s,--signal", signal_text, "The first signal (default TERM)")->type_name("SIG");
  app.add_option("-t,--timeout", seconds, "Seconds before KILL (default 10)")
      ->check(CLI::Range(0, 3600))
      ->type_name("SECONDS");
  if (int code = parse_instance(app, words); code >= 0) {
    return code;
  }
  if (all == !names.empty()) {
    return report_usage(k_instance_tool,
                        all ? "give NAME or --all, not both" : "give NAME, or --all");
  }
  auto signal = runtime::parse_signal(signal_text);
  if (!signal) {
    return finish_instance(std::unexpected(signal.error()));
  }
  if (all) {
    auto listed = runtime::list_instances();
    if (!listed) {
      return finish_instance(std::unexpected(listed.error()));
    }
    for (const auto& l : *listed) {
      names.push_back(l.record.name);
    }
  }
  Result<void> outcome;
  for (const auto& name : names) {
    if (auto stopped = runtime::stop_instance(name, *signal, std::chrono::seconds(seconds));
        !stopped) {
      outcome = std::unexpected(stopped.error());
      report_failure(k_instance_tool, stopped.error());
    }
  }
  if (!outcome) {
    return exit_code(outcome.error().kind());
  }
  return finish_instance({});
}

} // namespace

int instance_main(const std::vector<std::string>& words) {
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    fmt::print("{}", k_instance_help);
    return words.empty() ? exit_code(ErrorKind::usage) : 0;
  }
  std::vector<std::string> rest(words.begin() + 1, words.end());
  if (words[0] == "start") {
    return start_command(rest);
  }
  if (words[0] == "list") {
    return list_command(rest);
  }
  if (words[0] == "stop") {
    return stop_command(rest);
  }
  return report_usage(k_instance_tool, "unknown command " + words[0] + " (start, list, stop)");
}

int exec_in_instance(const std::vector<std::string>& words) {
  constexpr std::string_view prefix = "instance://";
  auto target = std::find_if(words.begin(), words.end(),
                             [&](const std::string& w) { return w.starts_with(prefix); });
  if (target == words.end()) {
    return report_usage("sif-run exec", "give instance://NAME");
  }
  std::vector<std::string> flag_words(words.begin(), target);
  if (auto action = std::find(flag_words.begin(), flag_words.end(), "exec");
      action != flag_words.end()) {
    flag_words.erase(action);
  }
  runtime::ExecRequest request;
  request.args.assign(target + 1, words.end());
  CLI::App app(k_oci_exec_help, "sif-run exec instance://NAME");
  add_exec_flags(app, request);
  if (int code = parse_instance(app, flag_words); code >= 0) {
    return code;
  }
  if (request.args.empty()) {
    return report_usage("sif-run exec", "give the command to run after instance://NAME");
  }
  auto status = runtime::exec_in_instance(target->substr(prefix.size()), request);
  if (!status) {
    return report_failure("sif-run exec", status.error());
  }
  return *status;
}

} // namespace sifkit::tools
