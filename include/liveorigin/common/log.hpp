// Logging setup. Modules log through spdlog's default logger; every line about a connection
// carries the connection's context prefix ("rtmp 1.2.3.4:5678 live/test").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace liveorigin {

// Sets the level ("trace", "debug", "info", "warn", "error", "off") and the line pattern.
// Returns false for an unknown level name (the level is then left unchanged).
bool setup_logging(std::string_view level);

// Client text (app and stream names, tcUrl, command names, HTTP targets, user agents) as it may
// appear in a log line: printable ASCII only, every other byte (newline, ESC, non-ASCII) and the
// backslash written as \xNN, cut after `max` bytes of the input with "...(N bytes)". So a client
// can neither forge a log line, reach the operator's terminal, nor write huge lines.
std::string log_text(std::string_view text, std::size_t max = 200);

}  // namespace liveorigin
