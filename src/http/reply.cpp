#include "liveorigin/http/reply.hpp"

namespace liveorigin::http {

const char* reason_phrase(unsigned status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

std::string reply_head(const Reply& reply, bool keep_alive, bool cors) {
  std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason_phrase(reply.status) +
                     "\r\nServer: liveorigin\r\n";
  if (cors) head += "Access-Control-Allow-Origin: *\r\n";
  if (cors && reply.status == 204) {
    head += "Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\nAccess-Control-Allow-Headers: *\r\n";
  }
  head += "Content-Type: " + reply.content_type + "\r\n";
  if (!reply.streamed) {
    const auto length = reply.length ? *reply.length : reply.body ? reply.body->size() : 0;
    head += "Content-Length: " + std::to_string(length) + "\r\n";
  }
  for (const auto& [name, value] : reply.headers) head += name + ": " + value + "\r\n";
  head += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  return head;
}

}  // namespace liveorigin::http
