// The management API's routing: each feature registers its routes (streams, channels, callbacks,
// recordings, metrics) from the composition root. Handlers run on the API's own thread, never on
// a media shard, so they may wait for the store.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace liveorigin::api {

struct Request {
  std::string method;                         // "GET", "POST", "PUT", "DELETE"
  std::string path;                           // without the query
  std::map<std::string, std::string> query;   // percent-decoded
  std::string body;
  std::string client_ip;
  std::string host;                           // the Host header, "" when absent
  bool secure = false;                        // came in over TLS: URLs built for the client use TLS
};

// Values of the ":name" parts of the matched pattern.
using Params = std::map<std::string, std::string, std::less<>>;

struct Response {
  unsigned status = 200;
  nlohmann::json data;                 // goes out as {"code":0,"message":"ok","data":…}
  std::optional<std::string> raw;      // sent as-is instead (e.g. /metrics text)
  std::string content_type = "application/json";
};

// Thrown by a handler for a clear error answer: {"code":code,"message":message}.
struct ApiError : std::runtime_error {
  ApiError(unsigned status, int code, const std::string& message)
      : std::runtime_error(message), status(status), code(code) {}
  unsigned status;
  int code;
};

class Router {
 public:
  using Handler = std::function<Response(const Request&, const Params&)>;

  // pattern: "/api/v1/streams/:app/:stream/status" — ":name" matches one path segment.
  void add(std::string method, std::string_view pattern, Handler handler);

  // 404 when no pattern matches the path, 405 when one does but not for this method;
  // an ApiError (or any other exception, as 500) from a handler becomes its error answer.
  Response dispatch(const Request& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> parts;
    Handler handler;
  };
  std::vector<Route> routes_;
};

// The JSON envelope: {"code":0,"message":"ok","data":…} or {"code":N,"message":…}.
std::string envelope(const Response& response);
Response error_response(unsigned status, int code, std::string_view message);

// The request body as a JSON object; ApiError 400 with a message when it is not one.
nlohmann::json json_body(const Request& request);

}  // namespace liveorigin::api
