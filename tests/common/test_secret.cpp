#include <common/secret.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <unistd.h>

using namespace sifkit;

TEST_CASE("an option's secret value is overwritten in the argument memory, nothing else",
          "[common][hostile]") {
  std::vector<std::string> words = {"tool",    "--creds", "user:pass",     "--creds=u2:p2",
                                    "--cache", "dir",     "--creds-stdin", "--creds"};
  std::vector<char*> argv;
  for (auto& word : words) {
    argv.push_back(word.data());
  }
  hide_option_values(static_cast<int>(argv.size()), argv.data(), {"--creds"});
  CHECK(std::string(argv[2]) == "xxxxxxxxx");
  CHECK(std::string(argv[3]) == "--creds=xxxxx");
  CHECK(std::string(argv[5]) == "dir");
  CHECK(std::string(argv[6]) == "--creds-stdin");
  CHECK(std::string(argv[7]) == "--creds");
}

TEST_CASE("a secret handed over in a memory file reads back whole, without a final newline",
          "[common]") {
  auto fd = secret_file("user:pa:ss\n");
  REQUIRE(fd);
  CHECK(fd->get() >= 10);
  auto read = read_secret(fd->get(), SecretEnd::end_of_file);
  REQUIRE(read);
  CHECK(*read == "user:pa:ss");

  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  std::string input = "u:p\r\nfor the container\n";
  REQUIRE(::write(pipe_fds[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
  ::close(pipe_fds[1]);
  auto line = read_secret(pipe_fds[0], SecretEnd::end_of_line);
  REQUIRE(line);
  CHECK(*line == "u:p");
  char rest[64] = {};
  CHECK(std::string(rest, static_cast<std::size_t>(::read(pipe_fds[0], rest, sizeof rest))) ==
        "for the container\n");
  ::close(pipe_fds[0]);

  auto empty = secret_file("");
  REQUIRE(empty);
  auto nothing = read_secret(empty->get(), SecretEnd::end_of_file);
  REQUIRE_FALSE(nothing);
  CHECK(nothing.error().kind() == ErrorKind::usage);
}
