#include <registry/docker_archive_source.h>
#include <registry/docker_daemon_source.h>
#include <registry/docker_source.h>
#include <registry/oci_archive_source.h>
#include <registry/oci_dir_source.h>
#include <registry/open_source.h>

#include <cstdlib>

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
    docker.retry_delay = options.retry_delay;
    return open_docker_source(reference.location, docker);
  }
  case Transport::docker_daemon: {
    if (!options.work_cache) {
      return fail(ErrorKind::internal, name + ": no cache directory to export the image into");
    }
    const char* docker_host = std::getenv("DOCKER_HOST");
    SIFKIT_TRY_ASSIGN(auto socket, docker_socket_path(docker_host != nullptr
                                                          ? std::optional<std::string>(docker_host)
                                                          : std::nullopt));
    return open_docker_daemon_source(reference.location, socket,
                                     cache::Layout(*options.work_cache));
  }
  case Transport::http:
  case Transport::oras:
    break;
  }
  return fail(ErrorKind::usage, name + " names a SIF file, not an OCI image");
}

} // namespace sifkit::registry
