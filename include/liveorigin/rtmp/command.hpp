// RTMP command messages (AMF0, type 20; AMF3 type 17 carrying AMF0): parsing and building.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "liveorigin/media/amf0.hpp"
#include "liveorigin/rtmp/message.hpp"

namespace liveorigin::rtmp {

namespace amf0 = media::amf0;

struct Command {
  std::string name;
  double transaction_id = 0;
  amf0::Value object;               // command object (often null)
  std::vector<amf0::Value> args;    // the values after the command object
};

// The AMF0 values of a command (17/20) or data (15/18) message body: AMF3 variants whose first
// byte is 0 switch to AMF0 after it. Throws ParseError on malformed AMF0.
std::vector<amf0::Value> decode_message_values(const Message& m);
// nullopt for messages that are not commands or whose first value is not a name.
std::optional<Command> parse_command(const Message& m);

Bytes encode_command(std::string_view name, double transaction_id, const amf0::Value& object,
                     const std::vector<amf0::Value>& args = {});
// {level, code, description} as onStatus, _result and _error info objects hold.
amf0::Value status_object(std::string_view level, std::string_view code, std::string_view description);

}  // namespace liveorigin::rtmp
