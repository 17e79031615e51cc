#pragma once

// Writing a pulled image from the cache as a plain OCI image layout (oci-layout,
// index.json, blobs/sha256/<hex>) that skopeo, umoci and other OCI tools read. A Docker
// v2 manifest is rewritten as the equivalent OCI manifest (as `skopeo copy` does:
// containers/image ignores other media types in index.json), so its digest changes;
// config and layers are copied unchanged. Every
// file is written atomically (temp, fsync, rename); blobs already present with the
// right size are kept, so writing into an existing layout adds one image to it.
#include <cache/cache.h>
#include <common/error.h>
#include <registry/pull.h>

#include <string>

namespace sifkit::registry {

// Copies the manifest, config and layers of `pulled` from `cache` into the layout
// `dir` (created when missing; an existing layout keeps its other images) and lists the
// manifest in index.json under the ref.name annotation `tag` (replacing an entry with
// the same tag). Returns that index entry. `not_found` when a blob is missing from the
// cache, `corrupt_input` when `dir` holds an invalid layout, `io`.
Result<oci::Descriptor> write_oci_layout(cache::Cache& cache, const PullResult& pulled,
                                         const std::string& dir, const std::string& tag);

} // namespace sifkit::registry
