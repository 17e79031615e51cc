#include <sif/oci_parse.h>
#include <sif/oci_select.h>
#include <sif/oci_walk.h>

namespace sifkit::oci {

namespace {

std::string normal_variant(const Platform& p) {
  if (p.architecture == "arm64" && p.variant.empty()) {
    return "v8";
  }
  return p.variant;
}

bool has_platform(const Platform& p) {
  return !p.os.empty() && !p.architecture.empty();
}

class ImageLister {
public:
  explicit ImageLister(const OciSif& sif) : m_sif(sif) {}

  Result<void> list(const Index& index, const std::optional<Digest>& parent,
                    const std::optional<std::string>& ref_name, int depth) {
    if (depth > k_max_index_depth) {
      return fail(ErrorKind::corrupt_input,
                  "image indexes nested more than " + std::to_string(k_max_index_depth) + " deep");
    }
    for (const Descriptor& d : index.manifests) {
      std::optional<std::string> ref = d.ref_name() ? d.ref_name() : ref_name;
      if (is_index_media_type(d.media_type)) {
        SIFKIT_TRY_ASSIGN(auto bytes, read_verified_blob(m_sif, d.digest, d.size));
        SIFKIT_TRY_ASSIGN(auto nested,
                          with_context(parse_index(bytes), "index " + d.digest.text()));
        SIFKIT_TRY(list(nested, d.digest, ref, depth + 1));
      } else if (is_image_media_type(d.media_type)) {
        SIFKIT_TRY_ASSIGN(auto platform, image_platform(d));
        m_images.push_back(ImageEntry{d, std::move(platform), parent, ref});
      }
    }
    return {};
  }

  std::vector<ImageEntry> take() { return std::move(m_images); }

private:
  Result<Platform> image_platform(const Descriptor& d) {
    if (d.platform && has_platform(*d.platform)) {
      return *d.platform;
    }
    SIFKIT_TRY_ASSIGN(auto image, resolve_image(m_sif, d));
    return image.platform;
  }

  const OciSif& m_sif;
  std::vector<ImageEntry> m_images;
};

std::string platform_list(const std::vector<ImageEntry>& images) {
  std::string out;
  for (const auto& image : images) {
    out += out.empty() ? "" : ", ";
    out += has_platform(image.platform) ? image.platform.to_string() : "(no platform)";
  }
  return out.empty() ? "none" : out;
}

} // namespace

Platform host_platform() {
  Platform p;
  p.os = "linux";
#if defined(__x86_64__)
  p.architecture = "amd64";
#elif defined(__aarch64__)
  p.architecture = "arm64";
  p.variant = "v8";
#elif defined(__arm__)
  p.architecture = "arm";
#elif defined(__i386__)
  p.architecture = "386";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  p.architecture = "ppc64le";
#elif defined(__powerpc64__)
  p.architecture = "ppc64";
#elif defined(__s390x__)
  p.architecture = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  p.architecture = "riscv64";
#elif defined(__loongarch64)
  p.architecture = "loong64";
#else
  p.architecture = "unknown";
#endif
  return p;
}

bool platform_matches(const Platform& want, const Platform& have) {
  if (want.os != have.os || want.architecture != have.architecture) {
    return false;
  }
  return want.variant.empty() || normal_variant(want) == normal_variant(have);
}

Result<std::vector<ImageEntry>> list_images(const OciSif& sif) {
  ImageLister lister(sif);
  SIFKIT_TRY(with_context(lister.list(sif.root_index(), std::nullopt, std::nullopt, 0),
                          sif.image().path()));
  return lister.take();
}

Result<ResolvedImage> resolve_image(const OciSif& sif, const Descriptor& descriptor) {
  auto context = [&](Error e) {
    return std::unexpected(std::move(e).with_context("image " + descriptor.digest.text()));
  };
  if (!is_image_media_type(descriptor.media_type)) {
    return context(Error(ErrorKind::usage,
                         "media type \"" + descriptor.media_type + "\" is not an image manifest"));
  }
  ResolvedImage image;
  image.descriptor = descriptor;
  auto bytes = read_verified_blob(sif, descriptor.digest, descriptor.size);
  if (!bytes) {
    return context(bytes.error());
  }
  image.manifest_bytes = std::move(*bytes);
  auto manifest = parse_manifest(image.manifest_bytes);
  if (!manifest) {
    return context(manifest.error());
  }
  image.manifest = std::move(*manifest);
  auto config = read_verified_blob(sif, image.manifest.config.digest, image.manifest.config.size);
  if (!config) {
    return context(config.error());
  }
  image.config_bytes = std::move(*config);
  auto platform = parse_config_platform(image.config_bytes);
  if (!platform) {
    return context(platform.error());
  }
  image.platform = descriptor.platform && has_platform(*descriptor.platform) ? *descriptor.platform
                                                                             : std::move(*platform);
  return image;
}

Result<ResolvedImage> select_image(const OciSif& sif, const ImageSelector& selector) {
  SIFKIT_TRY_ASSIGN(auto images, list_images(sif));
  const ImageEntry* chosen = nullptr;
  std::string wanted;
  if (selector.digest) {
    wanted = "digest " + selector.digest->text();
    for (const auto& image : images) {
      if (image.descriptor.digest == *selector.digest) {
        chosen = &image;
        break;
      }
    }
  } else {
    std::vector<const ImageEntry*> runnable;
    for (const auto& image : images) {
      if (has_platform(image.platform)) {
        runnable.push_back(&image);
      }
    }
    Platform want = selector.platform.value_or(host_platform());
    wanted = "platform " + want.to_string();
    if (!selector.platform && runnable.size() == 1) {
      chosen = runnable.front();
    }
    for (std::size_t i = 0; chosen == nullptr && i < runnable.size(); ++i) {
      if (platform_matches(want, runnable[i]->platform)) {
        chosen = runnable[i];
      }
    }
  }
  if (chosen == nullptr) {
    return fail(ErrorKind::not_found, sif.image().path() + ": no image for " + wanted +
                                          " (images: " + platform_list(images) + ")");
  }
  return resolve_image(sif, chosen->descriptor);
}

} // namespace sifkit::oci
