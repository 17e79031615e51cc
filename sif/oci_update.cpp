#include <sif/oci_json.h>
#include <sif/oci_parse.h>
#include <sif/oci_sif.h>
#include <sif/oci_update.h>
#include <sif/oci_walk.h>
#include <sif/oci_write.h>

#include <set>
#include <vector>

namespace sifkit::oci {

namespace {

// Reads `blob` to its end through the verifying stream, discarding the bytes.
Result<void> verify_blob(const BlobSource& blobs, const Descriptor& d) {
  SIFKIT_TRY_ASSIGN(auto blob,
                    with_context(blobs.open_blob(d.digest), "opening blob " + d.digest.text()));
  ByteSource in = verified_source(std::move(blob.source), d.digest, d.size, "blob");
  std::vector<std::byte> buf(1 << 20);
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto n, in(buf));
    if (n == 0) {
      return {};
    }
  }
}

// The plan of an update, computed before the image is touched.
struct UpdatePlan {
  std::set<std::string> keep; // digests of stored blobs still referenced
  std::vector<WalkEntry> add; // blobs to add, in walk order
  std::size_t deletions = 0;  // objects that will be deleted
};

Result<UpdatePlan> plan_update(const OciSif& current, const Index& index, const BlobSource& blobs) {
  std::set<std::string> stored;
  for (const sif::Descriptor* d : current.image().select(
           [](const sif::Descriptor& d) { return d.type() == sif::DataType::oci_blob; })) {
    stored.insert(d->oci_digest_text().value_or(""));
  }
  ChainBlobSource lookup({&current, &blobs});
  ManifestReader read = [&lookup](const Descriptor& d) { return read_manifest_blob(lookup, d); };
  SIFKIT_TRY_ASSIGN(auto entries, walk_index(index, read, UnknownMediaType::reject));
  UpdatePlan plan;
  for (WalkEntry& entry : entries) {
    if (stored.contains(entry.descriptor.digest.text())) {
      plan.keep.insert(entry.descriptor.digest.text());
    } else {
      plan.add.push_back(std::move(entry));
    }
  }
  plan.deletions = current.image()
                       .select([&](const sif::Descriptor& d) {
                         return sif::is_oci_object(d) && !plan.keep.contains(*d.oci_digest_text());
                       })
                       .size();
  return plan;
}

Result<void> apply_update(sif::Image& image, const UpdatePlan& plan, std::string_view new_index,
                          const BlobSource& blobs) {
  sif::DeleteOptions erase{sif::Zero::yes, sif::Compact::yes, std::nullopt};
  SIFKIT_TRY(image.delete_objects(
      [&](const sif::Descriptor& d) {
        return sif::is_oci_object(d) && !plan.keep.contains(*d.oci_digest_text());
      },
      erase));
  for (const WalkEntry& entry : plan.add) {
    SIFKIT_TRY(with_context(image.add_object(blob_object(entry, blobs)),
                            "adding blob " + entry.descriptor.digest.text()));
  }
  SIFKIT_TRY(with_context(image.add_object(root_index_object(std::string(new_index))),
                          "adding the root index"));
  return {};
}

// Applies `edit` to the parsed root index of `image` and stores the re-serialised result.
// `edit` gets the index and a source that finds blobs in the image, then in `blobs`.
template <typename Edit>
Result<void> edit_root_index(sif::Image& image, const BlobSource& blobs, Edit&& edit) {
  SIFKIT_TRY_ASSIGN(auto current, OciSif::open(image));
  Index index = current.root_index();
  ChainBlobSource lookup({&current, &blobs});
  SIFKIT_TRY(edit(index, lookup));
  return update_root_index(image, serialize_index(index), blobs);
}

// Appends `digest`, which must be an index when `want_index`, an image otherwise, or
// either when `want_index` is empty.
Result<void> append_entry(Index& index, const Digest& digest, const BlobSource& blobs,
                          std::optional<bool> want_index, const AppendOptions& options) {
  SIFKIT_TRY_ASSIGN(auto d, describe_blob(blobs, digest));
  bool is_index = is_index_media_type(d.media_type);
  if (want_index && *want_index != is_index) {
    return fail(ErrorKind::usage, digest.text() + " is " + d.media_type + ", not an " +
                                      (*want_index ? "index" : "image manifest"));
  }
  append_manifest(index, std::move(d), options.ref_name);
  return {};
}

} // namespace

Result<void> update_root_index(sif::Image& image, std::string_view new_index,
                               const BlobSource& blobs) {
  auto in_image = [&](Error e) {
    return std::unexpected(std::move(e).with_context("updating " + image.path()));
  };
  auto current = OciSif::open(image);
  if (!current) {
    return in_image(current.error());
  }
  if (Digest::of(new_index) == current->root_index_digest()) {
    return {};
  }
  auto index = parse_index(new_index);
  if (!index) {
    return in_image(std::move(index.error()).with_context("new root index"));
  }
  auto plan = plan_update(*current, *index, blobs);
  if (!plan) {
    return in_image(plan.error());
  }
  for (const WalkEntry& entry : plan->add) {
    if (!entry.bytes) {
      if (auto ok = verify_blob(blobs, entry.descriptor); !ok) {
        return in_image(ok.error());
      }
    }
  }
  auto free_after = image.header().descriptors_free + static_cast<std::int64_t>(plan->deletions);
  auto needed = static_cast<std::int64_t>(plan->add.size()) + 1;
  if (free_after < needed) {
    return in_image(
        Error(ErrorKind::capacity, "insufficient descriptor capacity: " + std::to_string(needed) +
                                       " objects to add, " + std::to_string(free_after) + " free"));
  }
  if (auto ok = apply_update(image, *plan, new_index, blobs); !ok) {
    return in_image(ok.error());
  }
  return {};
}

Result<void> append_image(sif::Image& image, const Digest& manifest, const BlobSource& blobs,
                          const AppendOptions& options) {
  return edit_root_index(image, blobs, [&](Index& index, const BlobSource& lookup) {
    return append_entry(index, manifest, lookup, false, options);
  });
}

Result<void> append_index(sif::Image& image, const Digest& nested, const BlobSource& blobs,
                          const AppendOptions& options) {
  return edit_root_index(image, blobs, [&](Index& index, const BlobSource& lookup) {
    return append_entry(index, nested, lookup, true, options);
  });
}

Result<void> remove_manifests(sif::Image& image, const DescriptorMatcher& matcher) {
  MemoryBlobSource none;
  return edit_root_index(image, none, [&](Index& index, const BlobSource&) -> Result<void> {
    remove_manifests(index, matcher);
    return {};
  });
}

Result<void> replace_manifests(sif::Image& image, const Digest& digest, const BlobSource& blobs,
                               const DescriptorMatcher& matcher, const AppendOptions& options) {
  return edit_root_index(image, blobs, [&](Index& index, const BlobSource& lookup) {
    remove_manifests(index, matcher);
    return append_entry(index, digest, lookup, std::nullopt, options);
  });
}

Result<void> remove_blob(sif::Image& image, const Digest& digest) {
  sif::DeleteOptions erase{sif::Zero::yes, sif::Compact::yes, std::nullopt};
  return image.delete_objects(
      [&](const sif::Descriptor& d) {
        return sif::is_oci_object(d) && d.oci_digest_text() == digest.text();
      },
      erase);
}

} // namespace sifkit::oci
