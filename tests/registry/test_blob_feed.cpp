#include <registry/blob_feed.h>
#include <sif/oci_parse.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "pull_support.h"
#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

using namespace sifkit;
using namespace sifkit::registry;
using sifkit::test::TempDir;

namespace {

const Digest k_blob = *Digest::parse("sha256:" + std::string(64, 'a'));
const Digest k_other = *Digest::parse("sha256:" + std::string(64, 'b'));

// A temp file a test writes like the cache's writer, and a descriptor to hand the feed.
struct GrowingFile {
  explicit GrowingFile(const TempDir& dir) {
    fd = ::open(dir.file("blob").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
  }
  ~GrowingFile() { ::close(fd); }
  void append(const std::string& bytes) {
    REQUIRE(::pwrite(fd, bytes.data(), bytes.size(), written) ==
            static_cast<ssize_t>(bytes.size()));
    written += static_cast<off_t>(bytes.size());
  }
  UniqueFd reader() const { return UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, 0)); }
  int fd = -1;
  off_t written = 0;
};

Result<std::string> read_all(ByteSource& source) {
  std::string out;
  std::vector<std::byte> buf(3);
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto n, source(buf));
    if (n == 0) {
      return out;
    }
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
}

} // namespace

TEST_CASE("a followed blob yields its bytes as they arrive and ends at its declared size",
          "[pull]") {
  TempDir dir;
  GrowingFile file(dir);
  BlobFeed feed;
  feed.expect(k_blob, 10);
  std::string got;
  std::thread reader([&] {
    auto followed = feed.follow(k_blob); // waits for the fetch to start
    REQUIRE(followed);
    REQUIRE(*followed);
    auto* arriving = std::get_if<ArrivingBlob>(&**followed);
    REQUIRE(arriving != nullptr);
    CHECK(arriving->size == 10);
    auto all = read_all(arriving->source);
    REQUIRE(all);
    got = *all;
  });
  feed.started(k_blob, file.reader());
  for (std::string piece : {"0123", "", "45678", "9"}) {
    file.append(piece);
    feed.arrived(k_blob, file.written);
  }
  reader.join(); // the last byte ends the stream before the commit
  CHECK(got == "0123456789");
  feed.finished(k_blob, std::nullopt);
  feed.closed(std::nullopt);
}

TEST_CASE("the reader of a blob whose fetch fails gets the fetch's error", "[pull][hostile]") {
  TempDir dir;
  GrowingFile file(dir);
  BlobFeed feed;
  feed.expect(k_blob, 100);
  feed.started(k_blob, file.reader());
  file.append("partial");
  feed.arrived(k_blob, file.written);
  auto followed = feed.follow(k_blob);
  REQUIRE(followed);
  auto& source = std::get<ArrivingBlob>(**followed).source;
  std::thread fetcher(
      [&] { feed.finished(k_blob, Error(ErrorKind::corrupt_input, "bytes hash to sha256:bad")); });
  auto all = read_all(source);
  fetcher.join();
  REQUIRE_FALSE(all);
  CHECK(all.error().kind() == ErrorKind::corrupt_input);
}

TEST_CASE(
    "a blob the pull does not fetch is not followed, and one stored meanwhile is in the cache",
    "[pull]") {
  BlobFeed feed;
  feed.expect(k_blob, 10);
  auto unknown = feed.follow(k_other);
  REQUIRE(unknown);
  CHECK_FALSE(*unknown);
  feed.finished(k_blob, std::nullopt); // another process committed it first
  auto stored = feed.follow(k_blob);
  REQUIRE(stored);
  REQUIRE(*stored);
  CHECK(std::holds_alternative<BlobInCache>(**stored));
}

TEST_CASE("a pull that ends early fails the readers still waiting and the manifest's", "[pull]") {
  BlobFeed feed;
  feed.expect(k_blob, 10);
  Result<std::optional<FollowedBlob>> followed = std::nullopt;
  Result<Digest> manifest = Digest();
  std::thread reader([&] {
    manifest = feed.wait_manifest();
    followed = feed.follow(k_blob);
  });
  feed.closed(Error(ErrorKind::network, "the registry went away"));
  reader.join();
  REQUIRE_FALSE(manifest);
  CHECK(manifest.error().kind() == ErrorKind::network);
  REQUIRE_FALSE(followed);
  CHECK(followed.error().kind() == ErrorKind::network);
}

TEST_CASE("a pull tells its feed every blob it will fetch before it announces the manifest",
          "[pull]") {
  TempDir dir;
  auto cache = sifkit::test::open_test_cache(dir);
  std::string layout = sifkit::test::image_fixture("many-layers");
  auto reference = registry::parse_reference("oci:" + layout);
  REQUIRE(reference);
  auto source = registry::open_source(*reference, {});
  REQUIRE(source);
  // The blobs a converter asks for as soon as the manifest is announced.
  auto index = nlohmann::json::parse(sifkit::test::file_bytes(layout + "/index.json"));
  std::string manifest_hex = index["manifests"][0]["digest"].get<std::string>().substr(7);
  auto parsed =
      oci::parse_manifest(sifkit::test::file_bytes(layout + "/blobs/sha256/" + manifest_hex));
  REQUIRE(parsed);
  std::vector<Digest> blobs{parsed->config.digest};
  for (const auto& layer : parsed->layers) {
    blobs.push_back(layer.digest);
  }

  BlobFeed feed;
  registry::PullOptions options;
  options.feed = &feed;
  Result<registry::PullResult> pulled = std::unexpected(Error(ErrorKind::internal, "not run"));
  std::thread puller([&] {
    pulled = registry::pull_image(**source, cache, options);
    feed.closed(pulled ? std::nullopt : std::optional<Error>(pulled.error()));
  });
  auto manifest = feed.wait_manifest();
  std::vector<bool> followed;
  for (const Digest& blob : blobs) {
    auto got = feed.follow(blob);
    followed.push_back(got && got->has_value()); // none taken for one already in the cache
  }
  puller.join();
  REQUIRE(pulled);
  REQUIRE(manifest);
  CHECK(manifest->hex() == manifest_hex);
  CHECK(std::find(followed.begin(), followed.end(), false) == followed.end());
}
