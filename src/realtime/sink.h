// Sink: where a realtime stream's bytes go. The HTTP server implements it for
// an open SSE connection; the Hub writes notifications and keepalives to it.
#pragma once

#include <memory>
#include <string>

namespace cancelflow::realtime {

class Sink {
 public:
  virtual ~Sink() = default;
  // Queues `chunk` for writing; false when the connection is closed or its
  // bounded buffer is full (the Hub then drops the stream). Never blocks.
  virtual bool Send(std::shared_ptr<const std::string> chunk) = 0;
  // Ends the connection; returns at once.
  virtual void Close() = 0;
};

}  // namespace cancelflow::realtime
