// ServerSession: the command messages a publishing or playing client sends.
#include <algorithm>
#include <string>

#include "liveorigin/rtmp/server_session.hpp"

namespace liveorigin::rtmp {

namespace {

using amf0::Value;

// An unknown command's name is echoed in its _error: a short prefix is enough to recognise it.
constexpr std::size_t kMaxEchoedCommandName = 64;

std::string string_arg(const Command& c, std::size_t i) {
  return i < c.args.size() ? c.args[i].as_string() : std::string{};
}

// Each list is bounded by the command size limit; a hostile client gains nothing from a long one.
ClientCapabilities read_capabilities(const Value& object) {
  ClientCapabilities caps;
  const auto add = [&](const std::string& fourcc) {
    if (std::find(caps.fourccs.begin(), caps.fourccs.end(), fourcc) == caps.fourccs.end()) caps.fourccs.push_back(fourcc);
  };
  if (const Value* list = object.get("fourCcList"); list && list->is_strict_array()) {
    for (const Value& v : list->elements) {
      if (v.is_string()) add(v.as_string());
    }
  }
  for (const char* map : {"videoFourCcInfoMap", "audioFourCcInfoMap"}) {
    if (const Value* m = object.get(map); m && m->has_properties()) {
      for (const auto& p : m->properties) add(p.key);
    }
  }
  const double caps_ex = object.get("capsEx") ? object.get("capsEx")->as_number() : 0;
  if (caps_ex > 0 && caps_ex < 4294967296.0) caps.caps_ex = static_cast<std::uint32_t>(caps_ex);
  return caps;
}

}  // namespace

void ServerSession::handle_command(const Message& m, std::vector<Event>& events) {
  const auto parsed = parse_command(m);
  if (!parsed) return;
  const Command& c = *parsed;
  const double txn = c.transaction_id;

  if (c.name == "connect") {
    handle_connect(c, events);
    return;
  }
  if (c.name == "publish" || c.name == "play") {
    if (!connected_) throw ProtocolError("rtmp: " + c.name + " before the connection was accepted");
    const std::string full = string_arg(c, 0);
    const auto [name, query] = common::split_query(full);  // an empty name is the session's to refuse (and log)
    active_streams_[m.stream_id] = std::string(name);
    if (c.name == "publish") {
      events.emplace_back(PublishEvent{m.stream_id, std::string(name), common::parse_query(query), string_arg(c, 1)});
    } else {
      events.emplace_back(PlayEvent{m.stream_id, std::string(name), common::parse_query(query)});
    }
    return;
  }
  if (c.name == "createStream") {
    send_command(0, "_result", txn, Value::make_null(), {Value::make_number(next_stream_id_++)});
    return;
  }
  if (c.name == "releaseStream") {
    send_command(0, "_result", txn, Value::make_null(), {Value::make_undefined()});
    return;
  }
  if (c.name == "FCPublish") {
    // onFCPublish waits for accept_publish: a publish that is then refused must hear no success.
    send_command(0, "_result", txn, Value::make_null(), {Value::make_undefined()});
    fc_publish_seen_ = true;
    return;
  }
  if (c.name == "FCUnpublish") {
    // Sent on stream 0 with the stream name: find the stream that published it.
    const std::string full = string_arg(c, 0);
    const std::string_view name = common::split_query(full).first;
    std::uint32_t id = m.stream_id;
    for (const auto& [sid, active] : active_streams_)
      if (active == name && publishing_.contains(sid)) id = sid;
    if (txn > 0) send_command(0, "_result", txn, Value::make_null(), {Value::make_undefined()});
    close_stream(id, events);
    return;
  }
  if (c.name == "deleteStream") {
    const double id = c.args.empty() ? 0 : c.args[0].as_number();
    if (id >= 0 && id <= 0xFFFFFFFF) close_stream(static_cast<std::uint32_t>(id), events);
    return;
  }
  if (c.name == "closeStream") {
    close_stream(m.stream_id, events);
    return;
  }
  if (c.name == "getStreamLength") {
    send_command(m.stream_id, "_result", txn, Value::make_null(), {Value::make_number(0)});
    return;
  }
  if (c.name == "_checkbw") {
    send_command(0, "_result", txn, Value::make_null(), {Value::make_undefined()});
    return;
  }
  // Replies from the client, and notifications without a transaction: nothing to answer.
  if (c.name == "_result" || c.name == "_error" || c.name == "onStatus" || txn <= 0) return;
  const std::string shown = c.name.size() > kMaxEchoedCommandName
                                ? c.name.substr(0, kMaxEchoedCommandName) + "..."
                                : c.name;
  send_command(m.stream_id, "_error", txn, Value::make_null(),
               {status_object("error", "NetConnection.Call.Failed", "Method not found (" + shown + ").")});
}

void ServerSession::handle_connect(const Command& c, std::vector<Event>& events) {
  if (connect_seen_) throw ProtocolError("rtmp: second connect on one connection");
  connect_seen_ = true;
  connect_transaction_ = c.transaction_id;
  ConnectEvent e;
  if (const Value* enc = c.object.get("objectEncoding")) object_encoding_ = enc->as_number();
  if (const Value* tc = c.object.get("tcUrl")) e.tc_url = tc->as_string();
  e.capabilities = read_capabilities(c.object);
  std::string app_full;
  if (const Value* app = c.object.get("app")) app_full = app->as_string();

  // OBS puts "?query" in its server field, so it may ride on app, tcUrl or both.
  common::parse_query(common::split_query(e.tc_url).second, e.query);
  const auto [app, app_query] = common::split_query(app_full);
  common::parse_query(app_query, e.query);
  e.app = std::string(app);
  while (!e.app.empty() && e.app.back() == '/') e.app.pop_back();
  events.emplace_back(std::move(e));
}

void ServerSession::close_stream(std::uint32_t stream_id, std::vector<Event>& events) {
  publishing_.erase(stream_id);
  if (active_streams_.erase(stream_id) > 0) events.emplace_back(CloseStreamEvent{stream_id});
}

}  // namespace liveorigin::rtmp
