// The squashfs tables of a merged tree: what the xattr table can hold.
#include "convert/image_builder.h"
#include <catch2/catch.hpp>
#include <support/fixtures.h>

namespace sifkit::test {

TEST_CASE("an xattr named only by its namespace is dropped, the layer still converts",
          "[convert][hostile]") {
  TempDir dir;
  TarEntry file = tar_file("etc/hosts", "127.0.0.1 localhost\n");
  file.xattrs = {{"security.", "x"}, {"user.", "y"}, {"user.kept", "z"}};
  write_bytes(dir.file("layer.tar"), build_tar({tar_dir("etc"), file}));
  // squash_files fails the test, showing the error, when the conversion fails.
  convert::SquashStats stats = squash_files({dir.file("layer.tar")}, dir.file("out.sqfs"));
  CHECK(stats.xattrs_dropped == 2);
  CHECK(stats.files == 1);
}

} // namespace sifkit::test
