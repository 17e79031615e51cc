// The library reproduces upstream's byte-exact goldens for create / add / delete / set
// (fixtures/sif-upstream/pkg/sif/testdata, cases described in its README).
#include "support/fixtures.h"

#include <common/sha256.h>
#include <sif/image.h>

#include <catch2/catch.hpp>

#include <functional>

using namespace sifkit;
using namespace sifkit::sif;

namespace {

constexpr std::int64_t k_fixed_time = 946702800;
const char* const k_fixed_id = "de170c43-36ab-44a8-bca9-1ea1a070a274";

std::string golden(const std::string& test, const std::string& name) {
  return test::fixture_bytes("sif-upstream/pkg/sif/testdata/" + test + "/" + name + ".golden");
}

ObjectInput object(DataType type, std::string bytes) {
  ObjectInput in;
  in.type = type;
  in.data = source_from_string(std::move(bytes));
  return in;
}

ObjectInput generic(std::string bytes) { return object(DataType::generic, std::move(bytes)); }

ObjectInput partition(std::string bytes, FsType fs, PartType part, const char* arch) {
  ObjectInput in = object(DataType::partition, std::move(bytes));
  in.extra = partition_extra(fs, part, *arch_code(arch));
  return in;
}

ObjectInput aligned(ObjectInput in, std::int64_t alignment) {
  in.alignment = alignment;
  return in;
}

CreateOptions deterministic() { return CreateOptions::deterministic(); }

CreateOptions fixed_id_and_time() {
  CreateOptions o;
  o.id = parse_uuid(k_fixed_id);
  o.time = k_fixed_time;
  return o;
}

const std::string k_face = "\xfa\xce";
const std::string k_feed = "\xfe\xed";

// Creates an image in a fresh directory, applies `change`, and returns the file's bytes.
std::string build(const CreateOptions& options, std::vector<ObjectInput> objects,
                  const std::function<void(Image&)>& change = {}) {
  test::TempDir dir;
  std::string path = dir.file("image.sif");
  auto image = Image::create(path, options, std::move(objects));
  REQUIRE(image.has_value());
  if (change) {
    change(*image);
  }
  return test::file_bytes(path);
}

} // namespace

TEST_CASE("creating images reproduces upstream's TestCreateContainer goldens", "[sif][golden]") {
  CreateOptions launch = deterministic();
  launch.launch_script = "#!/usr/bin/env launch-script\n";
  CreateOptions with_id = deterministic();
  with_id.id = parse_uuid(k_fixed_id);
  CreateOptions with_time = deterministic();
  with_time.time = k_fixed_time;
  CreateOptions one_slot = deterministic();
  one_slot.capacity = 1;

  for (const char* dir : {"TestCreateContainer", "TestCreateContainerAtPath"}) {
    CHECK(build(deterministic(), {}) == golden(dir, "Empty"));
    CHECK(build(one_slot, {}) == golden(dir, "EmptyDescriptorLimitedCapacity"));
    CHECK(build(deterministic(), {generic(k_face)}) == golden(dir, "OneDescriptor"));
    CHECK(build(deterministic(),
                {generic(k_face), partition(k_feed, FsType::squashfs, PartType::primary_system,
                                            "386")}) == golden(dir, "TwoDescriptors"));
    CHECK(build(deterministic(),
                {aligned(generic(k_face), 0),
                 aligned(partition(k_feed, FsType::squashfs, PartType::primary_system, "386"),
                         0)}) == golden(dir, "TwoDescriptorsNotAligned"));
    CHECK(build(deterministic(),
                {aligned(generic(k_face), 4),
                 aligned(partition(k_feed, FsType::squashfs, PartType::primary_system, "386"),
                         4)}) == golden(dir, "TwoDescriptorsAligned"));
  }
  CHECK(build(deterministic(), {}) == golden("TestCreateContainer", "EmptyCloseOnUnload"));
  CHECK(build(launch, {}) == golden("TestCreateContainer", "EmptyLaunchScript"));
  CHECK(build(with_id, {}) == golden("TestCreateContainer", "EmptyWithID"));
  CHECK(build(with_time, {}) == golden("TestCreateContainer", "EmptyWithTime"));
}

TEST_CASE("creation refuses more objects than descriptor slots", "[sif]") {
  test::TempDir dir;
  CreateOptions none = deterministic();
  none.capacity = 0;
  auto image = Image::create(dir.file("x.sif"), none, [] {
    std::vector<ObjectInput> v;
    v.push_back(generic(k_face));
    return v;
  }());
  REQUIRE_FALSE(image.has_value());
  CHECK(image.error().kind() == ErrorKind::capacity);
  CHECK_FALSE(std::filesystem::exists(dir.file("x.sif")));
}

TEST_CASE("adding objects reproduces upstream's TestAddObject goldens", "[sif][golden]") {
  auto add = [](const CreateOptions& options, std::vector<ObjectInput> objects, ObjectInput in,
                ModifyOptions mod = {}) {
    return build(options, std::move(objects), [&](Image& image) {
      REQUIRE(image.add_object(std::move(in), mod).has_value());
    });
  };
  auto one = [](ObjectInput in) {
    std::vector<ObjectInput> v;
    v.push_back(std::move(in));
    return v;
  };
  const char* t = "TestAddObject";
  CHECK(add(deterministic(), {}, generic(k_face)) == golden(t, "Empty"));
  CHECK(add(deterministic(), {}, aligned(generic(k_face), 0)) == golden(t, "EmptyNotAligned"));
  CHECK(add(deterministic(), {}, aligned(generic(k_face), 128)) == golden(t, "EmptyAligned"));
  CHECK(add(deterministic(), one(generic(k_face)),
            partition(k_feed, FsType::squashfs, PartType::primary_system, "386")) ==
        golden(t, "NotEmpty"));
  CHECK(add(deterministic(), one(generic(k_face)),
            aligned(partition(k_feed, FsType::squashfs, PartType::primary_system, "386"), 0)) ==
        golden(t, "NotEmptyNotAligned"));
  CHECK(add(deterministic(), one(generic(k_face)),
            aligned(partition(k_feed, FsType::squashfs, PartType::primary_system, "386"),
                    128)) == golden(t, "NotEmptyAligned"));
  CHECK(add(fixed_id_and_time(), {}, generic(k_face), ModifyOptions{k_zero_time}) ==
        golden(t, "Deterministic"));
  CHECK(add(deterministic(), {}, generic(k_face), ModifyOptions{k_fixed_time}) ==
        golden(t, "WithTime"));
}

TEST_CASE("a failed add leaves the image unchanged", "[sif][golden]") {
  CreateOptions none = deterministic();
  none.capacity = 0;
  CHECK(build(none, {}, [](Image& image) {
          auto r = image.add_object(generic(k_feed));
          REQUIRE_FALSE(r.has_value());
          CHECK(r.error().kind() == ErrorKind::capacity);
        }) == golden("TestAddObject", "ErrInsufficientCapacity"));

  std::vector<ObjectInput> primary;
  primary.push_back(partition(k_face, FsType::squashfs, PartType::primary_system, "386"));
  CHECK(build(deterministic(), std::move(primary), [](Image& image) {
          auto r = image.add_object(
              partition(k_feed, FsType::squashfs, PartType::primary_system, "amd64"));
          REQUIRE_FALSE(r.has_value());
          CHECK(r.error().kind() == ErrorKind::conflict);
        }) == golden("TestAddObject", "ErrPrimaryPartition"));
}

TEST_CASE("deleting objects reproduces upstream's TestDeleteObject goldens", "[sif][golden]") {
  auto two = [] {
    std::vector<ObjectInput> v;
    v.push_back(generic(k_face));
    v.push_back(generic(k_feed));
    return v;
  };
  auto del = [](const CreateOptions& options, std::vector<ObjectInput> objects,
                std::vector<std::uint32_t> ids, DeleteOptions opts) {
    return build(options, std::move(objects), [&](Image& image) {
      for (auto id : ids) {
        REQUIRE(image.delete_object(id, opts).has_value());
      }
    });
  };
  const char* t = "TestDeleteObject";
  CHECK(del(deterministic(), two(), {1, 2}, {Zero::no, Compact::yes}) == golden(t, "Compact"));
  CHECK(del(deterministic(), two(), {1}, {Zero::yes, Compact::no}) == golden(t, "OneZero"));
  CHECK(del(deterministic(), two(), {1}, {Zero::no, Compact::yes}) == golden(t, "OneCompact"));
  CHECK(del(deterministic(), two(), {1}, {Zero::yes, Compact::yes}) ==
        golden(t, "OneZeroCompact"));
  CHECK(del(deterministic(), two(), {2}, {Zero::yes, Compact::no}) == golden(t, "TwoZero"));
  CHECK(del(deterministic(), two(), {2}, {Zero::no, Compact::yes}) == golden(t, "TwoCompact"));
  CHECK(del(deterministic(), two(), {2}, {Zero::yes, Compact::yes}) ==
        golden(t, "TwoZeroCompact"));

  std::vector<ObjectInput> g1;
  g1.push_back(generic(k_face));
  CHECK(del(fixed_id_and_time(), std::move(g1), {1}, {Zero::no, Compact::no, k_zero_time}) ==
        golden(t, "Deterministic"));
  g1.clear();
  g1.push_back(generic(k_face));
  CHECK(del(deterministic(), std::move(g1), {1}, {Zero::no, Compact::no, k_fixed_time}) ==
        golden(t, "WithTime"));
  std::vector<ObjectInput> primary;
  primary.push_back(partition(k_face, FsType::squashfs, PartType::primary_system, "386"));
  CHECK(del(deterministic(), std::move(primary), {1}, {}) == golden(t, "PrimaryPartition"));

  CHECK(build(deterministic(), {}, [](Image& image) {
          auto r = image.delete_object(1);
          REQUIRE_FALSE(r.has_value());
          CHECK(r.error().kind() == ErrorKind::not_found);
        }) == golden(t, "ErrObjectNotFound"));
}

TEST_CASE("deleting by selector reproduces upstream's TestDeleteObjects goldens",
          "[sif][golden]") {
  auto two = [] {
    std::vector<ObjectInput> v;
    v.push_back(generic(k_face));
    v.push_back(generic(k_feed));
    return v;
  };
  auto is_generic = [](const Descriptor& d) { return d.type() == DataType::generic; };
  const char* t = "TestDeleteObjects";
  CHECK(build(deterministic(), two(), [&](Image& image) {
          REQUIRE(image.delete_objects(is_generic).has_value());
        }) == golden(t, "DataType"));
  CHECK(build(deterministic(), two(), [&](Image& image) {
          REQUIRE(image.delete_objects(is_generic, {Zero::no, Compact::yes}).has_value());
        }) == golden(t, "DataTypeCompact"));
  std::vector<ObjectInput> primary;
  primary.push_back(partition(k_face, FsType::squashfs, PartType::primary_system, "386"));
  CHECK(build(deterministic(), std::move(primary), [&](Image& image) {
          REQUIRE(image
                      .delete_objects([](const Descriptor& d) { return d.partition().has_value(); },
                                      {Zero::no, Compact::yes})
                      .has_value());
        }) == golden(t, "PrimaryPartitionCompact"));
  CHECK(build(deterministic(), two(), [&](Image& image) {
          auto r = image.delete_objects(nullptr);
          REQUIRE_FALSE(r.has_value());
          CHECK(r.error().kind() == ErrorKind::usage);
        }) == golden(t, "NilSelectFunc"));
  CHECK(build(deterministic(), {}, [&](Image& image) {
          auto r = image.delete_objects(is_generic);
          REQUIRE_FALSE(r.has_value());
          CHECK(r.error().kind() == ErrorKind::not_found);
        }) == golden(t, "ErrObjectNotFound"));
}

TEST_CASE("delete then add reuses the freed slot as upstream does", "[sif][golden]") {
  struct Case {
    const char* name;
    DeleteOptions options;
  };
  for (const Case& c : {Case{"NoCompact", {}}, Case{"Compact", {Zero::no, Compact::yes}},
                        Case{"Zero", {Zero::yes, Compact::no}},
                        Case{"ZeroCompact", {Zero::yes, Compact::yes}}}) {
    std::vector<ObjectInput> v;
    v.push_back(generic("abc"));
    v.push_back(generic("def"));
    auto bytes = build(deterministic(), std::move(v), [&](Image& image) {
      REQUIRE(image.delete_object(2, c.options).has_value());
      REQUIRE(image.add_object(generic("ghi")).has_value());
    });
    INFO(c.name);
    CHECK(bytes == golden("TestDeleteObjectAndAddObject", c.name));
  }
}

TEST_CASE("setting the primary partition reproduces upstream's TestSetPrimPart goldens",
          "[sif][golden]") {
  auto parts = [](bool first_primary) {
    std::vector<ObjectInput> v;
    v.push_back(partition(k_face, FsType::raw,
                          first_primary ? PartType::primary_system : PartType::system, "386"));
    if (first_primary) {
      v.push_back(partition(k_feed, FsType::raw, PartType::system, "amd64"));
    }
    return v;
  };
  auto set = [](std::uint32_t id, ModifyOptions opts = {}) {
    return [=](Image& image) { REQUIRE(image.set_primary_partition(id, opts).has_value()); };
  };
  const char* t = "TestSetPrimPart";
  CHECK(build(deterministic(), parts(false), set(1)) == golden(t, "One"));
  CHECK(build(deterministic(), parts(true), set(2)) == golden(t, "Two"));
  CHECK(build(fixed_id_and_time(), parts(false), set(1, {k_zero_time})) ==
        golden(t, "Deterministic"));
  CHECK(build(deterministic(), parts(true), set(2, {k_fixed_time})) == golden(t, "WithTime"));
  CHECK(build(deterministic(), {}, [](Image& image) {
          CHECK(image.set_primary_partition(1).error().kind() == ErrorKind::not_found);
        }) == golden(t, "ErrObjectNotFound"));
}

TEST_CASE("setting metadata and OCI digests reproduces upstream's goldens", "[sif][golden]") {
  auto blobs = [](int n) {
    std::vector<ObjectInput> v;
    v.push_back(object(DataType::oci_blob, k_face));
    if (n == 2) {
      v.push_back(object(DataType::oci_blob, k_feed));
    }
    return v;
  };
  std::string empty_digest = "sha256:" + sha256_hex("");
  auto set_md = [&](std::uint32_t id, ModifyOptions opts = {}) {
    return [=](Image& image) {
      REQUIRE(image.set_metadata(id, std::as_bytes(std::span(empty_digest)), opts).has_value());
    };
  };
  const char* t = "TestSetMetadata";
  CHECK(build(deterministic(), blobs(1), set_md(1)) == golden(t, "One"));
  CHECK(build(deterministic(), blobs(2), set_md(2)) == golden(t, "Two"));
  CHECK(build(fixed_id_and_time(), blobs(1), set_md(1, {k_zero_time})) ==
        golden(t, "Deterministic"));
  CHECK(build(deterministic(), blobs(1), set_md(1, {k_fixed_time})) == golden(t, "WithTime"));
  CHECK(build(deterministic(), {}, [&](Image& image) {
          CHECK(image.set_metadata(1, std::as_bytes(std::span(empty_digest))).error().kind() ==
                ErrorKind::not_found);
        }) == golden(t, "ErrObjectNotFound"));

  const std::string digest =
      "sha256:93a6ab73f77ce27501f74bb35af9b4da5b964c62f96175a1bc0e8ba2ae0dec08";
  auto set_digest = [&](std::uint32_t id, ModifyOptions opts = {}) {
    return [=](Image& image) { REQUIRE(image.set_oci_blob_digest(id, digest, opts).has_value()); };
  };
  const char* d = "TestFileImage_SetOCIBlobDigest";
  CHECK(build(deterministic(), blobs(1), set_digest(1)) == golden(d, "One"));
  CHECK(build(deterministic(), blobs(2), set_digest(2)) == golden(d, "Two"));
  CHECK(build(fixed_id_and_time(), blobs(1), set_digest(1, {k_zero_time})) ==
        golden(d, "Deterministic"));
  CHECK(build(deterministic(), blobs(1), set_digest(1, {k_fixed_time})) == golden(d, "WithTime"));
}
