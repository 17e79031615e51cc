// One descriptor owner: closed exactly once, by whoever owns it last.
#include <common/file.h>
#include <common/unique_fd.h>

#include <cerrno>
#include <type_traits>
#include <utility>

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <support/fixtures.h>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::test;

namespace {

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

} // namespace

// A copy would close the descriptor twice.
static_assert(!std::is_copy_constructible_v<UniqueFd> && !std::is_copy_assignable_v<UniqueFd>);

TEST_CASE("a descriptor owner closes its descriptor when dropped, and a moved-from one nothing",
          "[common][fd]") {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(raw >= 0);
  {
    UniqueFd first(raw);
    UniqueFd second(std::move(first));
    CHECK_FALSE(first.valid());
    CHECK(second.get() == raw);
    first = std::move(second);
    CHECK(first.get() == raw);
    CHECK(is_open(raw));
  }
  CHECK_FALSE(is_open(raw));
}

TEST_CASE("a released descriptor stays open and a reset one is closed", "[common][fd]") {
  UniqueFd owner(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  REQUIRE(owner);
  int released = owner.release();
  CHECK_FALSE(owner);
  CHECK(is_open(released));
  owner.reset(released);
  owner.reset();
  CHECK_FALSE(is_open(released));
}

TEST_CASE("a pipe's ends are close-on-exec and closed with their owners", "[common][fd]") {
  int read_end = -1;
  {
    auto pipe = make_pipe();
    REQUIRE(pipe);
    read_end = pipe->read.get();
    CHECK((::fcntl(read_end, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(pipe->write.get(), F_GETFD) & FD_CLOEXEC) != 0);
  }
  CHECK_FALSE(is_open(read_end));
}

TEST_CASE("an OFD lock is held by the owner take_ofd_lock returns and dropped with it",
          "[common][fd][lock]") {
  TempDir dir;
  std::string path = dir.file("lock");
  {
    auto lock = take_ofd_lock(path, true);
    REQUIRE(lock);
    auto again = take_ofd_lock(path, false);
    REQUIRE_FALSE(again);
    CHECK(again.error().kind() == ErrorKind::conflict);
  }
  CHECK(take_ofd_lock(path, false));
}
