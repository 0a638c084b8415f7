// HttpServer: HTTP/1.1 on Boost.Beast with C++20 coroutines.
//
// I/O runs on `io_threads` threads (one per core); every request is handed to
// a separate pool of `worker_threads` for the handler, which may block on the
// store, and the answer is written back on the connection's I/O thread. Keep-
// alive; a request must arrive complete within the header/idle timeout; a body
// over the limit is answered 413; nothing a client sends can crash the server.
// A Response with `stream` set becomes an event stream (SSE) that outlives the
// handler: see Streaming in http_types.h.
//
// Thread-safety: Start/Stop from one thread; the handler is called
// concurrently from the worker threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "http/http_types.h"

namespace cancelflow::http {

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 3000;  // 0: any free port
  int io_threads = 2;
  int worker_threads = 8;
  size_t body_limit = 1 << 20;
  // A request must arrive complete within this, and a keep-alive connection
  // waiting for its next request longer than this is closed.
  std::chrono::seconds idle_timeout{30};
  // Bytes an event stream may have queued unwritten before it is dropped as a slow reader.
  size_t stream_buffer_limit = 256 * 1024;
};

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> Start(ServerOptions options, Handler handler);
  virtual ~HttpServer() = default;
  virtual uint16_t port() const = 0;
  // Stops accepting, closes connections, joins the threads.
  virtual void Stop() = 0;
};

}  // namespace cancelflow::http
