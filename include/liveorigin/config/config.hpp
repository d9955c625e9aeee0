// The YAML config file (PRODUCT.md section 1) parsed into validated plain structs.
// Every key has a default; a missing section uses its defaults; unknown keys and bad values are
// ConfigError with the message "FILE:LINE: what is wrong" (LINE is 1-based).
// Durations are seconds as doubles (fractions allowed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace liveorigin::config {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "HOST:PORT", or "[V6ADDR]:PORT" for IPv6. Port 0 is allowed (bind a free port).
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;

  // "host:port", with the host in brackets when it contains ':' (IPv6).
  std::string to_string() const;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// Parses a size: a whole number of bytes, or one with a suffix K, M, G or T (powers of 1024, either
// case, an optional trailing B or iB: "10G", "512MiB"). Throws ConfigError (no file/line) otherwise.
std::uint64_t parse_size(std::string_view text);

// Parses "HOST:PORT" / "[V6]:PORT"; throws ConfigError (message without file/line) when malformed.
Endpoint parse_endpoint(std::string_view text);

struct AuthKeys {
  std::string key, backup_key;  // empty key = no auth
  bool enabled() const { return !key.empty(); }
};

struct HlsConfig {
  bool enabled = true;
  double fragment = 2;  // seconds, > 0
  int window = 6;       // fragments in the playlist, > 0
  std::string path;
  std::string format = "auto";  // auto | ts | fmp4
};

struct RecordConfig {
  bool enabled = false;
  std::string format = "mp4";  // flv | mp4 | hls
  double interval = 0;         // seconds per file, 0 = one file per publish, else >= kMinRecordInterval
  bool allow_url = true;       // a push URL's record=/record_interval= may ask for recording
  double retention = 0;              // days a landed file is kept (by its end), 0 = keep
  std::uint64_t max_total_size = 0;  // bytes of the app's landed files, 0 = no cap (oldest go first)
};

// Shorter split intervals only multiply files and rows (docs/hardening.md).
inline constexpr double kMinRecordInterval = 10;

struct NotifyTarget {
  std::string url, key;  // url empty or http(s)://...
};

enum class AppMode { code, channel };

struct AppConfig {
  std::string name;
  AppMode mode = AppMode::code;
  int max_channels = 0;  // channel-mode quota, 0 = unlimited
  AuthKeys push_auth, play_auth;
  bool gop_cache = true;
  bool flv_enabled = true;  // yaml: flv: { enabled: true }
  bool player_page = true;  // listed on / and played at /play/APP/STREAM (play-auth apps are never listed)
  HlsConfig hls;
  RecordConfig record;
  NotifyTarget notify;  // overrides the global notify when its url is set
};

struct NotifyConfig {
  std::string url, key;
  double timeout = 5;  // seconds, >= 0
  int retries = 3;     // >= 0
};

struct Limits {
  double publish_timeout = 10;
  double play_wait = 0;
  double player_queue = 4;  // seconds of media, > 0
  int max_connections = 10000;
  double handshake_timeout = 10;  // seconds to finish the RTMP handshake + connect / send an HTTP request
  std::uint32_t max_message_size = 16u << 20;  // bytes, one RTMP message
  std::uint32_t max_chunk_size = 16u << 20;    // bytes
  std::size_t max_http_header = 16384;         // bytes
  // Hardening (docs/hardening.md): each refusal is logged with the peer and counted by reason.
  int max_connections_per_ip = 1000;           // open RTMP + HTTP (API apart) connections from one address
  double idle_timeout = 30;                    // seconds a write to a peer may make no progress
  std::size_t max_chunk_streams = 64;          // RTMP chunk stream ids per connection
  int max_streams = 1000;                      // live streams, all apps together
  double api_rate = 50;                        // API requests per second per client address (burst 2x)
  std::uint32_t max_publisher_pending = 32u << 20;  // bytes a publisher may hold in partial messages
  double stale_publisher = 3;  // seconds without media after which a new publish takes the stream over
};

// One certificate: the chain (leaf first, as certbot's fullchain.pem) and its private key.
struct TlsCertificate {
  std::string cert, key;
  int line = 0;  // of the entry in the config file, for errors found when the files are read
  friend bool operator==(const TlsCertificate& a, const TlsCertificate& b) { return a.cert == b.cert && a.key == b.key; }
};

// server.tls: the default certificate and more picked by the SNI name (PRODUCT.md section 9).
struct TlsConfig {
  TlsCertificate main;               // yaml: cert, key
  std::vector<TlsCertificate> sni;   // yaml: sni: [ { cert, key } ]
  bool ktls = true;                  // kernel TLS for writes where the kernel offers it (docs/architecture.md)
  bool configured() const { return !main.cert.empty(); }
  friend bool operator==(const TlsConfig&, const TlsConfig&) = default;
};

// The API on a non-loopback address needs a token of at least this many characters (not the default).
inline constexpr std::size_t kMinApiTokenLength = 16;

struct ServerConfig {
  Endpoint rtmp{"0.0.0.0", 1935};
  Endpoint http{"0.0.0.0", 8080};
  Endpoint api{"127.0.0.1", 8090};
  // TLS listeners: off unless their listen is set; they need server.tls.
  std::optional<Endpoint> rtmps, https;
  bool api_tls = false;  // true: the API listener speaks TLS only
  TlsConfig tls;
  std::string api_token = "change-me";
  std::string data_dir = "./data";
  int workers = 0;  // 0 = one per core, at most 256
  double write_interval = 0.02;  // seconds players' media is gathered before one write; 0 = at once
  // TCP_NODELAY on every media connection: no wait for an ACK before a write's last partial
  // segment on long links, for more segments and CPU. Off: Nagle (docs/performance.md, "Nagle").
  bool tcp_nodelay = false;
};

// Where the cluster's Redis is: redis://[:PASSWORD@]HOST[:PORT][/DB].
struct RedisAddress {
  std::string host;
  std::uint16_t port = 6379;
  int db = 0;
  std::string password;
  friend bool operator==(const RedisAddress&, const RedisAddress&) = default;
};

// Parses a redis:// URL; throws ConfigError (message without file/line) when malformed.
RedisAddress parse_redis_url(std::string_view url);

// Several nodes sharing one Redis (PRODUCT.md section 12). Empty `redis`: a single node.
struct ClusterConfig {
  std::string redis;  // the URL as written
  RedisAddress redis_address;
  std::string node_id;  // default: the host name
  // How other nodes reach this one ("HOST:PORT"); default: the listen address, its host replaced
  // by the host name when it is a wildcard.
  std::string advertise_rtmp, advertise_http;
  double lease = 10;  // seconds a claim outlives its node; renewed every lease/3
  bool enabled() const { return !redis.empty(); }
  friend bool operator==(const ClusterConfig&, const ClusterConfig&) = default;
};

struct Config {
  ServerConfig server;
  ClusterConfig cluster;
  // Keyed by app name (AppConfig::name equals the key). When `apps:` is absent (or empty/null)
  // there is one app "live" with defaults; `apps: {}` means no apps at all.
  std::map<std::string, AppConfig> apps;
  NotifyConfig notify;
  Limits limits;
  std::string log_level = "info";  // trace | debug | info | warn | error | off

  // nullptr for unknown apps.
  const AppConfig* find_app(std::string_view name) const;
};

// A config with every default (what an empty file gives).
Config default_config();

// Throws ConfigError "FILE:LINE: ..." on syntax errors, unknown keys and bad values.
Config parse_config(std::string_view yaml_text, std::string_view file_name);

// Reads then parses; an unreadable file gives ConfigError "FILE: cannot read: REASON".
Config load_config_file(const std::string& path);

std::string_view to_string(AppMode mode);

// 127.0.0.0/8, ::1 (or ::ffff:127.x.x.x) and "localhost": addresses only this machine reaches.
bool is_loopback_host(std::string_view host);

// "HOST" or "HOST:PORT" as a URL authority or an HTTP Host header carries it: HOST is a name
// (letters, digits, '.', '-', '_'), an IPv4 address or a bracketed IPv6 one; PORT is 1-5 digits,
// at most 65535. Nothing else (no user info, spaces, control characters, '/', '?').
bool is_valid_host_port(std::string_view text);

// http:// or https:// (either case), a valid host[:port], then an optional path of printable
// ASCII without spaces (it starts with '/').
bool is_valid_http_url(std::string_view url);

}  // namespace liveorigin::config
