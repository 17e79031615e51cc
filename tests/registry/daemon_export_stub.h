#pragma once

// The one Docker Engine API call the docker-daemon: transport makes, `GET /images/NAME/get`
// (what `docker save` writes), answered on a unix socket with a tar the test wrote: the
// daemon's side of the docker-daemon: tests on a machine where no daemon runs.
#include <common/digest.h>

#include <string>

#include "registry/archive_support.h"
#include "support/fixtures.h"
#include "support/http_server.h"

namespace sifkit::test {

// A `docker save` tar of one image tagged `tag` ("hello:1") whose one layer holds
// `files` (name, content), written at `path`.
inline void write_docker_save(const std::string& path, const std::string& tag,
                              const std::vector<ArchiveMember>& files) {
  std::string layer_path = path + ".layer";
  write_tar(layer_path, files);
  std::string layer = file_bytes(layer_path);
  std::string config = R"({"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},)"
                       R"("rootfs":{"type":"layers","diff_ids":[")" +
                       Digest::of(layer).text() + R"("]}})";
  write_tar(
      path,
      {{"manifest.json",
        R"([{"Config":"config.json","RepoTags":[")" + tag + R"("],"Layers":["layer.tar"]}])", ""},
       {"config.json", config, ""},
       {"layer.tar", layer, ""}});
}

// Answers `GET /images/NAME/get` for image `name` with the bytes of the tar at `saved`
// on the unix socket `socket`, and the daemon's 404 for any other image.
class DaemonExportStub {
public:
  DaemonExportStub(const std::string& socket, const std::string& name, const std::string& saved)
      : m_target("/images/" + escaped(name) + "/get"), m_saved(file_bytes(saved)),
        m_server([this](const Request& r) { return answer(r); }, socket) {}

  // The DOCKER_HOST value that points at this stub.
  const std::string& docker_host() const { return m_server.url(); }
  // How many exports were asked for.
  std::size_t exports() { return m_server.requests().size(); }

private:
  // The escaping Engine API paths use for the characters image names hold.
  static std::string escaped(const std::string& name) {
    std::string out;
    for (char c : name) {
      out += c == ':' ? std::string("%3A") : c == '/' ? std::string("%2F") : std::string(1, c);
    }
    return out;
  }

  Response answer(const Request& r) const {
    if (r.method == "GET" && r.target == m_target) {
      return reply(200, m_saved);
    }
    return reply(404, R"({"message":"No such image"})");
  }

  std::string m_target;
  std::string m_saved;
  HttpServer m_server;
};

} // namespace sifkit::test
