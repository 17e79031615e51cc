#include <common/sha256.h>

#include <catch2/catch.hpp>

using namespace sifkit;

TEST_CASE("sha256 matches the known digests of empty and short inputs", "[common]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("streaming sha256 equals one-shot sha256 and resets after a digest", "[common]") {
  Sha256 h;
  h.update("a");
  h.update("bc");
  CHECK(h.hex_digest() == sha256_hex("abc"));
  h.update("");
  CHECK(h.hex_digest() == sha256_hex(""));
}
