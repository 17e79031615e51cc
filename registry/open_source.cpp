#include <registry/docker_archive_source.h>
#include <registry/docker_source.h>
#include <registry/oci_archive_source.h>
#include <registry/oci_dir_source.h>
#include <registry/open_source.h>

namespace sifkit::registry {

namespace {

template <typename T>
Result<std::unique_ptr<ImageSource>> upcast(Result<std::unique_ptr<T>> opened) {
  if (!opened) {
    return std::unexpected(opened.error());
  }
  return std::unique_ptr<ImageSource>(std::move(*opened));
}

} // namespace

Result<std::unique_ptr<ImageSource>> open_source(const ImageReference& reference,
                                                 const RegistryOptions& options) {
  std::string name = reference.canonical();
  switch (reference.transport) {
  case Transport::oci_dir:
    return upcast(OciDirSource::open(reference.location, reference.tag, reference.digest, name));
  case Transport::oci_archive:
    return upcast(OciArchiveSource::open(reference.location, reference.tag, name));
  case Transport::docker_archive:
    return DockerArchiveSource::open(reference.location, reference.tag, reference.source_index,
                                     name);
  case Transport::docker: {
    DockerOptions docker;
    docker.credentials = options.credentials;
    docker.ca_cert = options.ca_cert.value_or("");
    docker.insecure = options.insecure;
    return open_docker_source(reference.location, docker);
  }
  case Transport::http:
  case Transport::oras:
  case Transport::docker_daemon:
    break;
  }
  return fail(ErrorKind::unsupported, name + ": " + std::string(to_string(reference.transport)) +
                                          " images are not supported yet");
}

} // namespace sifkit::registry
