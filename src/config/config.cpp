// YAML -> Config. A MapReader walks one YAML map, hands out typed values by key, and at the end
// reports every key nobody asked for; all errors carry FILE:LINE of the offending node.
#include "liveorigin/config/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

namespace liveorigin::config {
namespace {

constexpr double max_seconds = 365.0 * 24 * 3600;  // keeps durations clear of chrono overflow

// What the errors need: the file name, for the "FILE:LINE: " prefix.
struct Context {
  std::string file;

  [[noreturn]] void fail(int line, const std::string& what) const {
    throw ConfigError(file + ":" + std::to_string(line) + ": " + what);
  }
};

// 1-based line of a node, or 0 when the node has no position (e.g. a synthesised null).
int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() || mark.line < 0 ? 0 : mark.line + 1;
}

std::string quote_path(std::string_view path) { return "'" + std::string(path) + "'"; }

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    default: return "an undefined value";
  }
}

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool starts_with_icase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

// Control characters as \r, \n, \t or \xHH, so an error message stays one readable line.
std::string escape_controls(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (std::iscntrl(byte)) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

// One key/value pair of a map, with the dotted path of the key ("apps.live.hls.fragment").
struct Entry {
  YAML::Node key;
  YAML::Node value;
  std::string path;

  // The value's line; the key's line for an empty value (yaml-cpp marks it where the next token starts).
  int line() const {
    const int value_line = value.IsNull() ? 0 : line_of(value);
    return value_line > 0 ? value_line : line_of(key);
  }
};

// A plain (unquoted) scalar: quoted scalars are strings even when they look like numbers.
bool is_plain_scalar(const YAML::Node& node) { return node.IsScalar() && node.Tag() != "!"; }

std::string read_string(const Context& ctx, const Entry& e) {
  if (e.value.IsNull()) return {};
  if (!e.value.IsScalar()) ctx.fail(e.line(), quote_path(e.path) + " must be a string, got " + describe(e.value));
  return e.value.Scalar();
}

bool read_bool(const Context& ctx, const Entry& e) {
  if (is_plain_scalar(e.value)) {
    const std::string& text = e.value.Scalar();
    for (std::string_view yes : {"true", "yes", "on"})
      if (iequals(text, yes)) return true;
    for (std::string_view no : {"false", "no", "off"})
      if (iequals(text, no)) return false;
  }
  ctx.fail(e.line(), quote_path(e.path) + " must be true or false, got " + describe(e.value));
}

// The text of a plain scalar without a leading '+', or an error naming what was expected.
std::string_view number_text(const Context& ctx, const Entry& e, std::string_view expected) {
  if (!is_plain_scalar(e.value)) ctx.fail(e.line(), quote_path(e.path) + " must be " + std::string(expected) + ", got " + describe(e.value));
  std::string_view text = e.value.Scalar();
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  return text;
}

struct DoubleRange {
  double min = 0;
  bool min_exclusive = false;
  double max = max_seconds;
};

double read_double(const Context& ctx, const Entry& e, DoubleRange range) {
  const std::string_view text = number_text(ctx, e, "a number");
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || !std::isfinite(value))
    ctx.fail(e.line(), quote_path(e.path) + " must be a number, got " + describe(e.value));
  if (range.min_exclusive ? value <= range.min : value < range.min)
    ctx.fail(e.line(), quote_path(e.path) + " must be " + (range.min_exclusive ? "greater than " : "at least ") +
                           format_number(range.min) + ", got " + e.value.Scalar());
  if (value > range.max)
    ctx.fail(e.line(), quote_path(e.path) + " must be at most " + format_number(range.max) + ", got " + e.value.Scalar());
  return value;
}

long long read_integer(const Context& ctx, const Entry& e, long long min, long long max) {
  const std::string_view text = number_text(ctx, e, "a whole number");
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range || (ec == std::errc() && end == text.data() + text.size() && (value < min || value > max)))
    ctx.fail(e.line(), quote_path(e.path) + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                           ", got " + e.value.Scalar());
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    ctx.fail(e.line(), quote_path(e.path) + " must be a whole number, got " + describe(e.value));
  return value;
}

// Walks one YAML map. A null node (absent section, or `key:` with nothing) is an empty map.
class MapReader {
 public:
  MapReader(const Context& ctx, const YAML::Node& node, std::string path, int line)
      : ctx_(ctx), path_(std::move(path)) {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!node.IsMap()) ctx_.fail(line, section_name() + " must be a map, got " + describe(node));
    for (const auto& item : node) {
      const YAML::Node& key = item.first;
      if (!key.IsScalar()) ctx_.fail(line_of(key) > 0 ? line_of(key) : line, "keys in " + section_name() + " must be plain names");
      const std::string& name = key.Scalar();
      for (const Slot& slot : slots_)
        if (slot.entry.key.Scalar() == name)
          ctx_.fail(line_of(key), "duplicate key '" + name + "' in " + section_name());
      slots_.push_back({Entry{key, item.second, path_.empty() ? name : path_ + "." + name}, false});
    }
  }

  const std::string& path() const { return path_; }
  const Context& context() const { return ctx_; }

  // The entry for `key`, marked as used; nullptr when absent.
  const Entry* take(std::string_view key) {
    for (Slot& slot : slots_)
      if (slot.entry.key.Scalar() == key) {
        slot.used = true;
        return &slot.entry;
      }
    return nullptr;
  }

  // All entries, marked as used (for maps keyed by names, like `apps`).
  std::vector<Entry> take_all() {
    std::vector<Entry> out;
    for (Slot& slot : slots_) {
      slot.used = true;
      out.push_back(slot.entry);
    }
    return out;
  }

  MapReader section(std::string_view key) {
    const Entry* e = take(key);
    const std::string sub = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    return e ? MapReader(ctx_, e->value, sub, e->line()) : MapReader(ctx_, YAML::Node(), sub, 0);
  }

  void get(std::string_view key, std::string& out) {
    if (const Entry* e = take(key)) out = read_string(ctx_, *e);
  }
  void get(std::string_view key, bool& out) {
    if (const Entry* e = take(key)) out = read_bool(ctx_, *e);
  }
  void get(std::string_view key, double& out, DoubleRange range) {
    if (const Entry* e = take(key)) out = read_double(ctx_, *e, range);
  }
  template <class Int>
  void get(std::string_view key, Int& out, long long min, long long max) {
    if (const Entry* e = take(key)) out = static_cast<Int>(read_integer(ctx_, *e, min, max));
  }

  // A string that must not be empty.
  void get_nonempty(std::string_view key, std::string& out) {
    if (const Entry* e = take(key)) {
      out = read_string(ctx_, *e);
      if (out.empty()) ctx_.fail(e->line(), quote_path(e->path) + " must not be empty");
    }
  }

  // A string from a fixed set of words.
  void get_choice(std::string_view key, std::string& out, std::initializer_list<std::string_view> choices) {
    const Entry* e = take(key);
    if (!e) return;
    const std::string value = read_string(ctx_, *e);
    if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
      std::string list;
      for (std::string_view choice : choices) list += (list.empty() ? "" : ", ") + std::string(choice);
      ctx_.fail(e->line(), quote_path(e->path) + " must be one of " + list + "; got '" + value + "'");
    }
    out = value;
  }

  void get(std::string_view key, Endpoint& out) {
    const Entry* e = take(key);
    if (!e) return;
    const std::string text = read_string(ctx_, *e);
    try {
      out = parse_endpoint(text);
    } catch (const ConfigError& error) {
      ctx_.fail(e->line(), quote_path(e->path) + ": " + error.what());
    }
  }

  // An empty URL or an http:// / https:// one (it goes on the wire: nothing can ride in on it).
  void get_url(std::string_view key, std::string& out) {
    const Entry* e = take(key);
    if (!e) return;
    out = read_string(ctx_, *e);
    if (out.empty() || is_valid_http_url(out)) return;
    ctx_.fail(e->line(), quote_path(e->path) +
                             " must be empty or an http:// or https:// URL (host, optional port, path; no spaces or "
                             "control characters), got '" + escape_controls(out) + "'");
  }

  // A size in bytes: a whole number, or with a K/M/G/T suffix (parse_size).
  void get_size(std::string_view key, std::uint64_t& out) {
    const Entry* e = take(key);
    if (!e) return;
    if (!e->value.IsScalar()) ctx_.fail(e->line(), quote_path(e->path) + " must be a size, got " + describe(e->value));
    try {
      out = parse_size(e->value.Scalar());
    } catch (const ConfigError& error) {
      ctx_.fail(e->line(), quote_path(e->path) + ": " + error.what());
    }
  }

  // A string that reaches the filesystem or the logs: no control characters.
  void get_path(std::string_view key, std::string& out) {
    const Entry* e = take(key);
    if (!e) return;
    out = read_string(ctx_, *e);
    if (std::any_of(out.begin(), out.end(), [](char c) { return std::iscntrl(static_cast<unsigned char>(c)); }))
      ctx_.fail(e->line(), quote_path(e->path) + " must not contain control characters");
  }

  // Every key nobody took is an error, reported at the key's line.
  void finish() const {
    for (const Slot& slot : slots_)
      if (!slot.used)
        ctx_.fail(line_of(slot.entry.key), "unknown key '" + slot.entry.key.Scalar() + "'" +
                                               (path_.empty() ? std::string(" at top level") : " in '" + path_ + "'"));
  }

 private:
  struct Slot {
    Entry entry;
    bool used = false;
  };

  std::string section_name() const { return path_.empty() ? "the file" : quote_path(path_); }

  const Context& ctx_;
  std::string path_;
  std::vector<Slot> slots_;
};

constexpr DoubleRange non_negative{0, false, max_seconds};
constexpr DoubleRange positive{0, true, max_seconds};
constexpr long long int_max = std::numeric_limits<int>::max();

bool valid_app_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

void read_listen(MapReader& r, Endpoint& out) {
  r.get("listen", out);
}

// Off loopback, anyone who can reach the API could try the documented default token.
void check_api_token(MapReader& api, const ServerConfig& s) {
  if (is_loopback_host(s.api.host)) return;
  if (s.api_token.size() >= kMinApiTokenLength && s.api_token != ServerConfig{}.api_token) return;
  const Entry* token = api.take("token");
  const Entry* listen = api.take("listen");
  api.context().fail(token ? token->line() : listen->line(),
                     "'server.api.token' must be set to " + std::to_string(kMinApiTokenLength) +
                         " or more characters (not the default) when 'server.api.listen' is not a loopback "
                         "address (" + s.api.host + ")");
}

// `listen: ""` (or no listen) leaves the listener off.
void read_optional_listen(MapReader& r, std::optional<Endpoint>& out) {
  const Entry* e = r.take("listen");
  if (!e || read_string(r.context(), *e).empty()) return;
  Endpoint endpoint;
  try {
    endpoint = parse_endpoint(read_string(r.context(), *e));
  } catch (const ConfigError& error) {
    r.context().fail(e->line(), quote_path(e->path) + ": " + error.what());
  }
  out = endpoint;
}

// One { cert, key } pair: both set, or neither (an empty section).
void read_certificate(MapReader& r, TlsCertificate& out, int line) {
  r.get_path("cert", out.cert);
  r.get_path("key", out.key);
  out.line = line;
  if (out.cert.empty() != out.key.empty())
    r.context().fail(line, quote_path(r.path()) + " needs both 'cert' (the chain) and 'key' (its private key)");
}

void read_tls(MapReader r, TlsConfig& tls) {
  const int line = r.take("cert") ? r.take("cert")->line() : (r.take("key") ? r.take("key")->line() : 0);
  read_certificate(r, tls.main, line);
  r.get("ktls", tls.ktls);
  if (const Entry* e = r.take("sni"); e && !e->value.IsNull()) {
    if (!e->value.IsSequence()) r.context().fail(e->line(), quote_path(e->path) + " must be a list of { cert, key }");
    for (std::size_t i = 0; i < e->value.size(); ++i) {
      const YAML::Node item = e->value[i];
      const int item_line = line_of(item) > 0 ? line_of(item) : e->line();
      MapReader entry(r.context(), item, e->path + "[" + std::to_string(i) + "]", item_line);
      TlsCertificate certificate;
      read_certificate(entry, certificate, item_line);
      if (certificate.cert.empty())
        r.context().fail(item_line, quote_path(entry.path()) + " needs 'cert' and 'key'");
      entry.finish();
      tls.sni.push_back(std::move(certificate));
    }
    if (!tls.configured() && !tls.sni.empty())
      r.context().fail(e->line(), "'server.tls.sni' needs a default certificate: set 'server.tls.cert' and 'server.tls.key'");
  }
  r.finish();
}

void read_server(MapReader r, ServerConfig& s) {
  std::vector<std::pair<int, std::string>> tls_users;  // line and path of settings that need server.tls
  const auto needs_tls = [&tls_users](const Entry* e) { tls_users.emplace_back(e->line(), e->path); };
  {
    MapReader rtmp = r.section("rtmp");
    read_listen(rtmp, s.rtmp);
    rtmp.finish();
  }
  {
    MapReader rtmps = r.section("rtmps");
    read_optional_listen(rtmps, s.rtmps);
    if (s.rtmps) needs_tls(rtmps.take("listen"));
    rtmps.finish();
  }
  {
    MapReader https = r.section("https");
    read_optional_listen(https, s.https);
    if (s.https) needs_tls(https.take("listen"));
    https.finish();
  }
  {
    MapReader http = r.section("http");
    read_listen(http, s.http);
    http.finish();
  }
  {
    MapReader api = r.section("api");
    read_listen(api, s.api);
    api.get_nonempty("token", s.api_token);  // empty would lock everyone out of the API
    check_api_token(api, s);
    api.get("tls", s.api_tls);
    if (s.api_tls) needs_tls(api.take("tls"));
    api.finish();
  }
  read_tls(r.section("tls"), s.tls);
  // A TLS listener without a certificate could only fail every handshake.
  for (const auto& [line, path] : tls_users) {
    if (!s.tls.configured())
      r.context().fail(line, quote_path(path) + " needs a certificate: set 'server.tls.cert' and "
                                                "'server.tls.key' (e.g. certbot's fullchain.pem and privkey.pem)");
  }
  r.get_nonempty("data_dir", s.data_dir);
  r.get_path("data_dir", s.data_dir);  // read again for the control-character rule
  r.get("workers", s.workers, 0, 256);
  r.get("write_interval", s.write_interval, DoubleRange{0, false, 1});
  r.get("tcp_nodelay", s.tcp_nodelay);
  r.finish();
}

void read_auth(MapReader r, AuthKeys& auth) {
  r.get("key", auth.key);
  r.get("backup_key", auth.backup_key);
  r.finish();
}

void read_app(MapReader r, AppConfig& app) {
  std::string mode = std::string(to_string(app.mode));
  r.get_choice("mode", mode, {"code", "channel"});
  app.mode = mode == "channel" ? AppMode::channel : AppMode::code;
  r.get("max_channels", app.max_channels, 0, int_max);
  read_auth(r.section("push_auth"), app.push_auth);
  read_auth(r.section("play_auth"), app.play_auth);
  r.get("gop_cache", app.gop_cache);
  r.get("player_page", app.player_page);
  {
    MapReader flv = r.section("flv");
    flv.get("enabled", app.flv_enabled);
    flv.finish();
  }
  {
    MapReader hls = r.section("hls");
    hls.get("enabled", app.hls.enabled);
    hls.get("fragment", app.hls.fragment, positive);
    hls.get("window", app.hls.window, 1, 100000);
    hls.get_path("path", app.hls.path);
    hls.get_choice("format", app.hls.format, {"auto", "ts", "fmp4"});
    hls.finish();
  }
  {
    MapReader record = r.section("record");
    record.get("enabled", app.record.enabled);
    record.get_choice("format", app.record.format, {"flv", "mp4", "hls"});
    record.get("interval", app.record.interval, non_negative);
    if (app.record.interval > 0 && app.record.interval < kMinRecordInterval) {
      record.context().fail(record.take("interval")->line(),
                            quote_path(record.path() + ".interval") + " must be 0 (one file per publish) or at least " +
                                format_number(kMinRecordInterval) + ", got " + format_number(app.record.interval));
    }
    record.get("allow_url", app.record.allow_url);
    record.get("retention", app.record.retention, DoubleRange{0, false, 100.0 * 365});
    record.get_size("max_total_size", app.record.max_total_size);
    record.finish();
  }
  {
    MapReader notify = r.section("notify");
    notify.get_url("url", app.notify.url);
    notify.get("key", app.notify.key);
    notify.finish();
  }
  r.finish();
}

std::map<std::string, AppConfig> read_apps(const Context& ctx, MapReader& top) {
  std::map<std::string, AppConfig> apps;
  const Entry* e = top.take("apps");
  if (!e || e->value.IsNull()) {
    apps["live"].name = "live";
    return apps;
  }
  MapReader reader(ctx, e->value, "apps", e->line());
  for (const Entry& app_entry : reader.take_all()) {
    const std::string& name = app_entry.key.Scalar();
    if (!valid_app_name(name))
      ctx.fail(line_of(app_entry.key), "bad app name '" + name + "': use 1-128 of A-Z a-z 0-9 _ . - (not '.' or '..')");
    AppConfig app;
    app.name = name;
    read_app(MapReader(ctx, app_entry.value, app_entry.path, app_entry.line()), app);
    apps.emplace(name, std::move(app));
  }
  return apps;
}

void read_notify(MapReader r, NotifyConfig& n) {
  r.get_url("url", n.url);
  r.get("key", n.key);
  r.get("timeout", n.timeout, non_negative);  // 0: the default (docs/architecture.md)
  r.get("retries", n.retries, 0, 1000);
  r.finish();
}

void read_limits(MapReader r, Limits& l) {
  constexpr long long u32_max = std::numeric_limits<std::uint32_t>::max();
  // Timeouts of 0 would cut every publisher and every HTTP request at once: refused, not "off".
  r.get("publish_timeout", l.publish_timeout, positive);
  r.get("play_wait", l.play_wait, non_negative);
  r.get("player_queue", l.player_queue, positive);
  r.get("max_connections", l.max_connections, 1, int_max);
  r.get("handshake_timeout", l.handshake_timeout, positive);
  r.get("max_message_size", l.max_message_size, 1, u32_max);
  r.get("max_chunk_size", l.max_chunk_size, 128, 0x7fffffff);  // RTMP: at least 128, top bit clear
  r.get("max_http_header", l.max_http_header, 256, u32_max);
  r.get("max_connections_per_ip", l.max_connections_per_ip, 1, int_max);
  r.get("idle_timeout", l.idle_timeout, positive);
  r.get("max_chunk_streams", l.max_chunk_streams, 1, 65599);  // every id the basic header can carry
  r.get("max_streams", l.max_streams, 1, int_max);
  r.get("api_rate", l.api_rate, positive);
  r.get("max_publisher_pending", l.max_publisher_pending, 1, u32_max);
  r.get("stale_publisher", l.stale_publisher, positive);
  r.finish();
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

bool valid_node_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

// "HOST:PORT" others can dial: the listen address, with a wildcard host replaced by this host's name.
std::string default_advertise(const Endpoint& listen) {
  if (listen.host == "0.0.0.0" || listen.host == "::") return host_name() + ":" + std::to_string(listen.port);
  return listen.to_string();
}

void read_advertise(MapReader& r, std::string_view key, std::string& out) {
  const Entry* e = r.take(key);
  if (!e) return;
  out = read_string(r.context(), *e);
  const auto host_end = out.find(']') == std::string::npos ? 0 : out.find(']');
  if (out.empty() || (is_valid_host_port(out) && out.find(':', host_end) != std::string::npos)) return;
  r.context().fail(e->line(), quote_path(e->path) + " must be HOST:PORT that other nodes can reach, e.g. "
                                                   "\"10.0.0.5:1935\"; got '" + escape_controls(out) + "'");
}

void read_cluster(MapReader r, ClusterConfig& c, const ServerConfig& server) {
  if (const Entry* e = r.take("redis")) {
    c.redis = read_string(r.context(), *e);
    if (!c.redis.empty()) {
      try {
        c.redis_address = parse_redis_url(c.redis);
      } catch (const ConfigError& error) {
        r.context().fail(e->line(), quote_path(e->path) + ": " + error.what());
      }
    }
  }
  if (const Entry* e = r.take("node_id")) {
    c.node_id = read_string(r.context(), *e);
    if (!c.node_id.empty() && !valid_node_id(c.node_id))
      r.context().fail(e->line(), quote_path(e->path) + " must be 1-64 of A-Z a-z 0-9 _ . - (empty: the host "
                                                       "name), got '" + escape_controls(c.node_id) + "'");
  }
  if (c.node_id.empty()) c.node_id = host_name();
  {
    MapReader advertise = r.section("advertise");
    read_advertise(advertise, "rtmp", c.advertise_rtmp);
    read_advertise(advertise, "http", c.advertise_http);
    advertise.finish();
  }
  if (c.advertise_rtmp.empty()) c.advertise_rtmp = default_advertise(server.rtmp);
  if (c.advertise_http.empty()) c.advertise_http = default_advertise(server.http);
  r.get("lease", c.lease, DoubleRange{1, false, 3600});
  r.finish();
}

Config read_config(const Context& ctx, const YAML::Node& root) {
  Config config;
  MapReader top(ctx, root, "", line_of(root) > 0 ? line_of(root) : 1);
  read_server(top.section("server"), config.server);
  read_cluster(top.section("cluster"), config.cluster, config.server);
  config.apps = read_apps(ctx, top);
  read_notify(top.section("notify"), config.notify);
  read_limits(top.section("limits"), config.limits);
  {
    MapReader log = top.section("log");
    log.get_choice("level", config.log_level, {"trace", "debug", "info", "warn", "error", "off"});
    log.finish();
  }
  top.finish();
  return config;
}

}  // namespace

std::string Endpoint::to_string() const {
  const std::string port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

std::uint64_t parse_size(std::string_view text) {
  const std::string shown(text);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data())
    throw ConfigError("must be a size in bytes, e.g. 1073741824 or 10G; got '" + shown + "'");
  std::string unit(end, text.data() + text.size());
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.ends_with("IB")) {
    unit.resize(unit.size() - 2);
  } else if (unit.size() > 1 && unit.back() == 'B') {
    unit.pop_back();
  }
  int shift = 0;
  if (unit == "K") shift = 10;
  else if (unit == "M") shift = 20;
  else if (unit == "G") shift = 30;
  else if (unit == "T") shift = 40;
  else if (!unit.empty() && unit != "B")
    throw ConfigError("unknown size suffix in '" + shown + "' (use K, M, G or T, powers of 1024)");
  if (shift > 0 && value > (std::numeric_limits<std::uint64_t>::max() >> shift))
    throw ConfigError("size '" + shown + "' is too large");
  return value << shift;
}

Endpoint parse_endpoint(std::string_view text) {
  const auto bad = [&](const std::string& why) -> ConfigError {
    return ConfigError("bad address '" + std::string(text) + "': " + why);
  };
  Endpoint out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) throw bad("missing ']'");
    out.host = std::string(text.substr(1, close - 1));
    if (close + 1 >= text.size() || text[close + 1] != ':') throw bad("expected HOST:PORT, e.g. \"[::1]:1935\"");
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) throw bad("expected HOST:PORT, e.g. \"0.0.0.0:1935\"");
    out.host = std::string(text.substr(0, colon));
    if (out.host.find(':') != std::string::npos) throw bad("put IPv6 addresses in brackets, e.g. \"[::1]:1935\"");
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) throw bad("empty host");
  if (std::any_of(out.host.begin(), out.host.end(), [](char c) {
        return std::isspace(static_cast<unsigned char>(c)) || c == '[' || c == ']' || c == '/';
      }))
    throw bad("bad host");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || value > 65535)
    throw bad("port must be a number from 0 to 65535");
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

RedisAddress parse_redis_url(std::string_view url) {
  const auto bad = [&](const std::string& why) {
    return ConfigError("bad Redis URL: " + why + " (expected redis://[:PASSWORD@]HOST[:PORT][/DB])");
  };
  constexpr std::string_view scheme = "redis://";
  if (!starts_with_icase(url, scheme)) throw bad("it must start with redis://");
  std::string_view rest = url.substr(scheme.size());
  RedisAddress out;
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view user_info = rest.substr(0, at);
    const auto colon = user_info.find(':');
    out.password = std::string(colon == std::string_view::npos ? user_info : user_info.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  std::string_view authority = rest;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      const auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), out.db);
      if (ec != std::errc() || end != db.data() + db.size() || out.db < 0 || out.db > 10000)
        throw bad("the database must be a number");
    }
  }
  if (!is_valid_host_port(authority)) throw bad("bad host or port");
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    out.host = std::string(authority.substr(1, close - 1));
    authority = authority.substr(close + 1);
    if (!authority.empty()) authority.remove_prefix(1);  // ':'
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    authority = authority.substr(colon + 1);
  } else {
    out.host = std::string(authority);
    authority = {};
  }
  if (!authority.empty()) {
    unsigned port = 0;
    std::from_chars(authority.data(), authority.data() + authority.size(), port);
    if (port == 0) throw bad("the port must be 1 to 65535");
    out.port = static_cast<std::uint16_t>(port);
  }
  for (const char c : out.password)
    if (std::iscntrl(static_cast<unsigned char>(c))) throw bad("control characters in the password");
  return out;
}

bool is_loopback_host(std::string_view host) {
  if (iequals(host, "localhost")) return true;
  const std::string text(host);
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return false;
  return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
}

bool is_valid_host_port(std::string_view text) {
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    const std::string address(text.substr(1, close - 1));
    in6_addr v6{};
    if (::inet_pton(AF_INET6, address.c_str(), &v6) != 1) return false;
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    if (!rest.empty()) port = rest.substr(1);
    if (!rest.empty() && port.empty()) return false;
  } else {
    const std::size_t colon = text.find(':');
    const std::string_view host = text.substr(0, colon);
    if (host.empty() || host.size() > 253) return false;
    if (!std::all_of(host.begin(), host.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
        }))
      return false;
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      if (port.empty()) return false;
    }
  }
  if (port.empty()) return true;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return port.size() <= 5 && ec == std::errc() && end == port.data() + port.size() && value <= 65535;
}

bool is_valid_http_url(std::string_view url) {
  std::string_view rest;
  for (std::string_view scheme : {"http://", "https://"})
    if (starts_with_icase(url, scheme)) rest = url.substr(scheme.size());
  if (rest.empty()) return false;
  const std::size_t slash = rest.find('/');
  const std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  return is_valid_host_port(rest.substr(0, slash)) &&
         std::all_of(path.begin(), path.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

std::string_view to_string(AppMode mode) { return mode == AppMode::channel ? "channel" : "code"; }

const AppConfig* Config::find_app(std::string_view name) const {
  const auto it = apps.find(std::string(name));
  return it == apps.end() ? nullptr : &it->second;
}

Config default_config() { return parse_config("", "<defaults>"); }

Config parse_config(std::string_view yaml_text, std::string_view file_name) {
  const Context ctx{std::string(file_name)};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& error) {
    ctx.fail(error.mark.is_null() ? 1 : error.mark.line + 1, error.msg);
  }
  try {
    return read_config(ctx, root);
  } catch (const YAML::Exception& error) {  // not expected: values are read without conversions
    ctx.fail(error.mark.is_null() ? 1 : error.mark.line + 1, error.msg);
  }
}

Config load_config_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ConfigError(path + ": cannot read: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  return parse_config(text.str(), path);
}

}  // namespace liveorigin::config
