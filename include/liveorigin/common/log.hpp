// Logging setup. Modules log through spdlog's default logger; every line about a connection
// carries the connection's context prefix ("rtmp 1.2.3.4:5678 live/test").
#pragma once

#include <string>
#include <string_view>

namespace liveorigin {

// Sets the level ("trace", "debug", "info", "warn", "error", "off") and the line pattern.
// Returns false for an unknown level name (the level is then left unchanged).
bool setup_logging(std::string_view level);

}  // namespace liveorigin
