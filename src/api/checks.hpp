// Argument checks shared by the management handlers: each throws the ApiError a client should see.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "liveorigin/api/router.hpp"
#include "liveorigin/config/config.hpp"
#include "liveorigin/hub/names.hpp"

namespace liveorigin::api {

inline const std::string& param(const Params& params, const char* name) {
  const auto it = params.find(name);
  if (it == params.end()) throw ApiError(400, 400, std::string("missing ") + name);
  if (!hub::is_valid_name(it->second)) {
    throw ApiError(400, 400, std::string("invalid ") + name + " name (allowed: [A-Za-z0-9_.-]{1,128})");
  }
  return it->second;
}

// A name given in the query (?app=…), "" when absent or empty; 400 when it is not a valid name.
inline std::string optional_name(const Request& request, const char* key) {
  const auto it = request.query.find(key);
  if (it == request.query.end() || it->second.empty()) return {};
  if (!hub::is_valid_name(it->second)) {
    throw ApiError(400, 400, std::string("invalid ") + key + " name (allowed: [A-Za-z0-9_.-]{1,128})");
  }
  return it->second;
}

// The app's config in `snapshot`; 404 when the config has no such app.
inline const config::AppConfig& known_app(const config::Config& snapshot, const std::string& app) {
  const auto* found = snapshot.find_app(app);
  if (!found) throw ApiError(404, 404, "unknown app '" + app + "'");
  return *found;
}

// Runs a change through the cluster's Redis; unreachable, it is a 503 (the change is not made).
template <class F>
void cluster_call(F&& change) {
  try {
    change();
  } catch (const std::runtime_error& e) {
    throw ApiError(503, 503, e.what());
  }
}

}  // namespace liveorigin::api
