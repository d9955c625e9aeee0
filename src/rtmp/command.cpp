#include "liveorigin/rtmp/command.hpp"

namespace liveorigin::rtmp {

std::vector<amf0::Value> decode_message_values(const Message& m) {
  ByteView body(m.body);
  const bool amf3 = m.type == message_type::kCommandAmf3 || m.type == message_type::kDataAmf3;
  if (amf3 && !body.empty() && body[0] == 0) body = body.subspan(1);
  return amf0::decode_all(body);
}

std::optional<Command> parse_command(const Message& m) {
  if (m.type != message_type::kCommandAmf0 && m.type != message_type::kCommandAmf3) return std::nullopt;
  auto values = decode_message_values(m);
  if (values.empty() || !values[0].is_string()) return std::nullopt;
  Command c;
  c.name = std::move(values[0].string);
  if (values.size() > 1) c.transaction_id = values[1].as_number();
  if (values.size() > 2) c.object = std::move(values[2]);
  for (std::size_t i = 3; i < values.size(); ++i) c.args.push_back(std::move(values[i]));
  return c;
}

Bytes encode_command(std::string_view name, double transaction_id, const amf0::Value& object,
                     const std::vector<amf0::Value>& args) {
  Bytes out;
  amf0::encode_string(out, name);
  amf0::encode(out, amf0::Value::make_number(transaction_id));
  amf0::encode(out, object);
  amf0::encode_all(out, args);
  return out;
}

amf0::Value status_object(std::string_view level, std::string_view code, std::string_view description) {
  return amf0::Value::make_object({
      {"level", amf0::Value::make_string(std::string(level))},
      {"code", amf0::Value::make_string(std::string(code))},
      {"description", amf0::Value::make_string(std::string(description))},
  });
}

}  // namespace liveorigin::rtmp
