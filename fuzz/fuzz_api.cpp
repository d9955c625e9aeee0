// The management API's request path without sockets, as src/api/api_server.cpp runs it: Beast's
// request parser with the server's header and body limits (bytes fed in pieces), the target split
// into a percent-decoded path and query, the bearer check, then the Router over every real route
// pattern with handlers that apply the real argument checks (checks.hpp) and body parsing.
#include <cstring>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <openssl/crypto.h>

#include "checks.hpp"
#include "fuzz_util.hpp"
#include "liveorigin/api/router.hpp"
#include "liveorigin/common/query.hpp"

using namespace liveorigin;
namespace bhttp = boost::beast::http;

namespace {

// Same as api::bearer_matches (api_server.cpp), which needs the whole server to link.
bool bearer_matches(std::string_view header, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (token.empty() || header.size() != kScheme.size() + token.size()) return false;
  if (header.substr(0, kScheme.size()) != kScheme) return false;
  return CRYPTO_memcmp(header.data() + kScheme.size(), token.data(), token.size()) == 0;
}

const api::Router& router() {
  static const api::Router r = [] {
    api::Router r;
    const config::Config cfg = config::default_config();
    auto echo = [cfg](const api::Request& req, const api::Params& p) {
      api::Response res;
      for (const auto& [k, v] : p) {
        const auto& value = api::param(p, k.c_str());
        if (k == "app") (void)api::known_app(cfg, value);
        res.data[k] = value;
      }
      res.data["query"] = req.query.size();  // values may be any bytes: handlers never echo them
      if (req.method == "POST" || req.method == "PUT") res.data["body"] = api::json_body(req).size();
      return res;
    };
    for (const auto& [method, pattern] : std::vector<std::pair<std::string, std::string>>{
             {"DELETE", "/api/v1/apps/:app/channels/:id"},  {"GET", "/api/v1/apps/:app/channels"},
             {"GET", "/api/v1/apps/:app/channels/:id"},     {"GET", "/api/v1/callbacks"},
             {"GET", "/api/v1/recordings"},                 {"GET", "/api/v1/stats"},
             {"GET", "/api/v1/streams"},                    {"GET", "/api/v1/streams/:app/:stream"},
             {"GET", "/healthz"},                           {"GET", "/metrics"},
             {"POST", "/api/v1/apps/:app/channels"},        {"POST", "/api/v1/callbacks/:id/retry"},
             {"POST", "/api/v1/streams/:app/:stream/drop"}, {"PUT", "/api/v1/streams/:app/:stream/status"}})
      r.add(method, pattern, echo);
    return r;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet();
  const auto [piece, bytes] = fuzz::split(data, size);
  boost::beast::flat_buffer buffer;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(16384);
  parser.body_limit(1 << 20);
  boost::system::error_code ec;
  bool done = false;
  fuzz::pieces(bytes, piece, [&](ByteView p) {
    if (done || ec) return;
    auto dst = buffer.prepare(p.size());
    std::memcpy(dst.data(), p.data(), p.size());
    buffer.commit(p.size());
    while (!done && !ec && buffer.size() > 0) {
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == bhttp::error::need_more) {
        ec = {};
        break;
      }
      done = parser.is_done();
      if (used == 0 && !done) break;
    }
  });
  if (ec || !done) {
    (void)api::envelope(api::error_response(400, 400, "bad request: " + ec.message()));
    return 0;
  }
  const auto& message = parser.get();
  api::Request request;
  request.method = std::string(message.method_string());
  const auto [path, query] = common::split_query(std::string_view(message.target()));
  request.path = common::percent_decode(path);
  request.query = common::parse_query(query);
  request.body = message.body();
  request.host = std::string(message[bhttp::field::host]);
  (void)bearer_matches(message[bhttp::field::authorization], "change-me");
  const auto response = router().dispatch(request);
  if (response.status == 500) __builtin_trap();  // a handler's unexpected exception
  (void)api::envelope(response);
  return 0;
}
