#include "liveorigin/api/router.hpp"

#include <gtest/gtest.h>

namespace liveorigin::api {
namespace {

Request req(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

TEST(Router, MatchesParamsAndMethods) {
  Router router;
  router.add("PUT", "/api/v1/streams/:app/:stream/status", [](const Request&, const Params& p) {
    Response r;
    r.data = {{"app", p.find("app")->second}, {"stream", p.find("stream")->second}};
    return r;
  });
  auto ok = router.dispatch(req("PUT", "/api/v1/streams/live/cam/status"));
  EXPECT_EQ(ok.status, 200u);
  EXPECT_EQ(nlohmann::json::parse(envelope(ok)),
            (nlohmann::json{{"code", 0}, {"message", "ok"}, {"data", {{"app", "live"}, {"stream", "cam"}}}}));
  EXPECT_EQ(router.dispatch(req("GET", "/api/v1/streams/live/cam/status")).status, 405u);
  EXPECT_EQ(router.dispatch(req("PUT", "/api/v1/streams/live/status")).status, 404u);
}

TEST(Router, HandlerErrorsBecomeTheirAnswer) {
  Router router;
  router.add("POST", "/x", [](const Request&, const Params&) -> Response { throw ApiError(409, 40901, "quota"); });
  router.add("GET", "/boom", [](const Request&, const Params&) -> Response { throw std::runtime_error("db"); });
  auto conflict = router.dispatch(req("POST", "/x"));
  EXPECT_EQ(conflict.status, 409u);
  EXPECT_EQ(nlohmann::json::parse(envelope(conflict)), (nlohmann::json{{"code", 40901}, {"message", "quota"}}));
  auto boom = router.dispatch(req("GET", "/boom"));
  EXPECT_EQ(boom.status, 500u);
  EXPECT_EQ(nlohmann::json::parse(envelope(boom))["message"], "internal error");  // no internals leak
}

}  // namespace
}  // namespace liveorigin::api
