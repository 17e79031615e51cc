#pragma once

// The one in-process HTTP/1.1 server the tests use: a listener on 127.0.0.1 with a free
// port (or on a unix socket), one thread per connection, requests parsed by Debian's
// http-parser (request line, headers, Content-Length or chunked body), answers from a
// handler delivered whole or with a fault (a reset, a short body, a flipped byte, a
// trickle, no answer), one answer per connection, then the connection closes.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sifkit::test {

// A TCP socket bound to 127.0.0.1 on a port the kernel chose (close-on-exec, not yet
// listening), and that port; fails the test when it cannot be made.
struct LoopbackSocket {
  int fd = -1;
  int port = 0;
};
LoopbackSocket bind_loopback();

// A port on 127.0.0.1 that was free a moment ago, for a server started by another process.
int free_loopback_port();

// One request as the server read it.
struct Request {
  std::string method;
  std::string target;                         // "/v2/r/x/blobs/sha256:..." with its query
  std::map<std::string, std::string> headers; // names in lower case; repeats joined by ", "
  std::string body;                           // decoded when it came chunked

  // The value of header `name` (lower case), empty when absent.
  std::string header(const std::string& name) const;
};

// How an answer travels to the client.
enum class Delivery {
  whole,       // the head and the whole body
  reset_after, // the head and `Response::bytes` body bytes, then a TCP reset
  truncate,    // the head and the body less its last `Response::bytes` bytes, then close
  flip_byte,   // the head and the body with byte `Response::bytes` inverted
  trickle,     // the head, then `Response::bytes` body bytes every `Response::interval`
               // until the body is sent, the client hangs up or the server stops
  hang_up,     // nothing: the connection closes unanswered
};

// One answer. A HEAD answer carries no body but announces its length all the same.
struct Response {
  int status = 200;
  std::string body;
  std::string headers;                // extra header lines, each "Name: value\r\n"
  std::optional<std::int64_t> length; // the Content-Length announced; body.size() when unset
  Delivery delivery = Delivery::whole;
  std::int64_t bytes = 0;                  // the count or offset `delivery` names
  std::chrono::milliseconds interval{100}; // `trickle`: the pause between sends
};

// An answer of `status` with `body` and extra header lines `headers` ("Name: value\r\n").
Response reply(int status, std::string body, std::string headers = {});

// Whether the handler may run for two connections at once.
enum class HandlerCalls {
  serial,     // one at a time: a handler needs no locking of its own
  concurrent, // as connections come: the handler guards its own state
};

// The server. Requests are recorded before the handler sees them. Fails the test when it
// cannot listen. Thread-safe.
class HttpServer {
public:
  using Handler = std::function<Response(const Request&)>;

  // Listens on 127.0.0.1 with a free port.
  explicit HttpServer(Handler handler, HandlerCalls calls = HandlerCalls::serial);
  // Listens on the unix socket `unix_path` (a Docker daemon's API).
  HttpServer(Handler handler, const std::string& unix_path);
  // Stops accepting, ends trickles and waits for every open connection.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // "127.0.0.1:<port>" (TCP only).
  std::string host() const { return "127.0.0.1:" + std::to_string(m_port); }
  int port() const { return m_port; }
  // "http://127.0.0.1:<port>" or "unix://<path>".
  const std::string& url() const { return m_url; }
  // Every request parsed so far, in the order the handler saw them.
  std::vector<Request> requests() const;
  // True once a send failed because the client had gone away.
  bool client_hung_up() const { return m_client_hung_up; }

private:
  void start(int fd);
  void accept_loop();
  void serve(int fd);
  Response answer(const Request& request);
  void deliver(int fd, const Request& request, Response response);
  bool send_all(int fd, std::string_view bytes);

  Handler m_handler;
  HandlerCalls m_calls = HandlerCalls::serial;
  int m_listen_fd = -1;
  int m_port = 0;
  std::string m_url;
  std::atomic<bool> m_stop = false;
  std::atomic<bool> m_client_hung_up = false;
  std::mutex m_handler_mutex; // held around serial handler calls
  mutable std::mutex m_mutex; // guards the members below
  std::vector<Request> m_requests;
  std::vector<std::thread> m_connections;
  std::thread m_acceptor;
};

} // namespace sifkit::test
