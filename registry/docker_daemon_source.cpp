#include <cache/work_dir.h>
#include <common/file.h>
#include <registry/docker_archive_source.h>
#include <registry/docker_daemon_source.h>
#include <registry/http.h>

#include <sys/stat.h>

namespace sifkit::registry {

namespace {

// A docker-archive source that owns the work directory holding its tar.
class DaemonSource : public ImageSource {
public:
  DaemonSource(cache::WorkDir work, std::unique_ptr<ImageSource> archive)
      : m_work(std::move(work)), m_archive(std::move(archive)) {}

  std::string describe() const override { return m_archive->describe(); }
  Result<FetchedManifest> fetch_root() override { return m_archive->fetch_root(); }
  Result<FetchedManifest> fetch_manifest(const oci::Descriptor& descriptor) override {
    return m_archive->fetch_manifest(descriptor);
  }
  Result<void> fetch_blob(const oci::Descriptor& descriptor, cache::BlobWriter& writer,
                          const BlobProgress& progress) override {
    return m_archive->fetch_blob(descriptor, writer, progress);
  }
  int max_parallel() const override { return m_archive->max_parallel(); }

private:
  cache::WorkDir m_work; // declared first, so it is removed after the archive is closed
  std::unique_ptr<ImageSource> m_archive;
};

Error no_daemon(const std::string& socket, const std::string& why) {
  return Error(ErrorKind::unsupported,
               "no Docker daemon at " + socket + " (" + why + "; set DOCKER_HOST=unix://PATH)");
}

} // namespace

Result<std::string> docker_socket_path(const std::optional<std::string>& docker_host) {
  if (!docker_host || docker_host->empty()) {
    return std::string(k_default_docker_socket);
  }
  if (!docker_host->starts_with("unix://") || docker_host->size() == 7) {
    return fail(ErrorKind::unsupported, "DOCKER_HOST=" + *docker_host +
                                            ": only a local daemon socket (unix://PATH) is "
                                            "supported for docker-daemon:");
  }
  return docker_host->substr(7);
}

Result<std::unique_ptr<ImageSource>> open_docker_daemon_source(const std::string& name,
                                                               const std::string& socket,
                                                               const cache::Layout& layout) {
  std::string what = "docker-daemon:" + name;
  struct stat st {};
  if (::stat(socket.c_str(), &st) != 0) {
    return std::unexpected(no_daemon(socket, "no such socket").with_context(what));
  }
  SIFKIT_TRY_ASSIGN(auto work, cache::WorkDir::create(layout, "docker-daemon"));
  std::string path = work.file("image.tar");
  SIFKIT_TRY_ASSIGN(auto file, File::create_exclusive(path, 0600));
  HttpOptions options;
  options.unix_socket = socket;
  HttpClient http(options);
  std::int64_t offset = 0;
  BodySink sink = [&](long, std::string_view bytes) -> Result<void> {
    auto r = file.pwrite_all(std::as_bytes(std::span(bytes.data(), bytes.size())), offset);
    offset += static_cast<std::int64_t>(bytes.size());
    return r;
  };
  // The host part is ignored on a unix socket; the API is unversioned so any daemon
  // answers with its own version.
  std::string url = "http://localhost/images/" + url_escape(name) + "/get";
  auto response = http.perform(HttpRequest{.url = url}, sink);
  if (!response) {
    if (response.error().kind() == ErrorKind::network && offset == 0) {
      return std::unexpected(no_daemon(socket, response.error().message()).with_context(what));
    }
    return std::unexpected(std::move(response.error()).with_context("exporting " + what));
  }
  if (response->status == 404) {
    return fail(ErrorKind::not_found, what + ": the Docker daemon has no such image");
  }
  if (response->status != 200) {
    return std::unexpected(http_status_error(*response, "exporting " + what));
  }
  SIFKIT_TRY(file.close());
  SIFKIT_TRY_ASSIGN(auto archive, DockerArchiveSource::open(path, "", std::nullopt, what));
  return std::make_unique<DaemonSource>(std::move(work), std::move(archive));
}

} // namespace sifkit::registry
