#pragma once

// Internal to runtime/launch/: the signals that reach a runtime started in the foreground
// through us (the terminal's own ^C and ^\ reach it directly when it shares our terminal).
#include <array>
#include <csignal>

namespace sifkit::runtime {

inline constexpr std::array k_forwarded_signals{SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

// A signal set holding k_forwarded_signals.
sigset_t forwarded_signal_set();

} // namespace sifkit::runtime
