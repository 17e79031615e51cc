// run_captured: a child's output read through pipes while it runs.
#include <algorithm>
#include <array>
#include <cerrno>

#include "process.h"
#include <poll.h>
#include <unistd.h>

namespace sifkit {

namespace {

struct Sink {
  UniqueFd fd;
  std::string* text = nullptr;
};

// Reads every sink to its end, keeping at most `max_bytes` of each.
Result<void> drain(std::array<Sink, 2>& sinks, std::size_t max_bytes, bool& truncated) {
  char buffer[65536];
  for (;;) {
    std::array<pollfd, 2> polled{};
    nfds_t count = 0;
    std::array<Sink*, 2> order{};
    for (Sink& sink : sinks) {
      if (sink.fd) {
        polled[count] = pollfd{sink.fd.get(), POLLIN, 0};
        order[count++] = &sink;
      }
    }
    if (count == 0) {
      return {};
    }
    if (::poll(polled.data(), count, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail_errno("waiting for a child's output", errno);
    }
    for (nfds_t i = 0; i < count; ++i) {
      if (polled[i].revents == 0) {
        continue;
      }
      ssize_t n = ::read(polled[i].fd, buffer, sizeof buffer);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        continue;
      }
      if (n < 0) {
        return fail_errno("reading a child's output", errno);
      }
      if (n == 0) {
        order[i]->fd.reset();
        continue;
      }
      std::string& text = *order[i]->text;
      std::size_t room = max_bytes - std::min(max_bytes, text.size());
      std::size_t got = static_cast<std::size_t>(n);
      text.append(buffer, std::min(room, got));
      truncated = truncated || got > room;
    }
  }
}

} // namespace

SpawnOptions capture_options() {
  SpawnOptions options;
  options.in = Redirect::null();
  options.out = Redirect::capture();
  options.err = Redirect::capture();
  return options;
}

Result<CapturedOutput> run_captured(const std::vector<std::string>& argv, SpawnOptions options,
                                    std::size_t max_bytes) {
  CapturedOutput captured;
  std::array<Sink, 2> sinks{Sink{{}, &captured.out}, Sink{{}, &captured.err}};
  std::array<UniqueFd, 2> child_ends;
  std::array<Redirect*, 2> streams{&options.out, &options.err};
  for (std::size_t i = 0; i < streams.size(); ++i) {
    if (streams[i]->kind() != Redirect::Kind::capture) {
      continue;
    }
    SIFKIT_TRY_ASSIGN(auto pipe, make_pipe());
    sinks[i].fd = std::move(pipe.read);
    child_ends[i] = std::move(pipe.write);
    *streams[i] = Redirect::to(child_ends[i].get());
  }
  auto child = spawn(argv, options);
  for (UniqueFd& end : child_ends) {
    end.reset(); // the child holds its own copies: end of file when it exits
  }
  if (!child) {
    return std::unexpected(child.error());
  }
  // On an error the dropped child is killed and reaped.
  SIFKIT_TRY(drain(sinks, max_bytes, captured.truncated));
  SIFKIT_TRY_ASSIGN(auto status, child->wait());
  captured.status = status;
  return captured;
}

} // namespace sifkit
