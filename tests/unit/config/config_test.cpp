#include "liveorigin/config/config.hpp"
#include "liveorigin/config/record_options.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace liveorigin::config {
namespace {

// The message of the ConfigError that parsing `yaml` throws ("" when it parses).
std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "test.yaml");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

// A document and the exact error it must give.
struct ErrorCase {
  std::string yaml;
  std::string error;
};

template <std::size_t N>
void expect_errors(const ErrorCase (&cases)[N]) {
  for (const ErrorCase& c : cases) EXPECT_EQ(error_of(c.yaml), c.error) << c.yaml;
}

std::filesystem::path repo_root() {
  return std::filesystem::path(LIVEORIGIN_SOURCE_DIR);  // set by tests/CMakeLists.txt
}

void expect_defaults(const Config& c) {
  EXPECT_EQ(c.server.rtmp, (Endpoint{"0.0.0.0", 1935}));
  EXPECT_EQ(c.server.http, (Endpoint{"0.0.0.0", 8080}));
  EXPECT_EQ(c.server.api, (Endpoint{"127.0.0.1", 8090}));
  EXPECT_EQ(c.server.api_token, "change-me");
  EXPECT_EQ(c.server.data_dir, "./data");
  EXPECT_EQ(c.server.workers, 0);
  EXPECT_FALSE(c.server.tcp_nodelay);
  ASSERT_EQ(c.apps.size(), 1u);
  const AppConfig* live = c.find_app("live");
  ASSERT_NE(live, nullptr);
  EXPECT_EQ(live->name, "live");
  EXPECT_EQ(live->mode, AppMode::code);
  EXPECT_EQ(live->max_channels, 0);
  EXPECT_FALSE(live->push_auth.enabled());
  EXPECT_FALSE(live->play_auth.enabled());
  EXPECT_TRUE(live->gop_cache);
  EXPECT_TRUE(live->flv_enabled);
  EXPECT_TRUE(live->hls.enabled);
  EXPECT_EQ(live->hls.fragment, 2);
  EXPECT_EQ(live->hls.window, 6);
  EXPECT_EQ(live->hls.path, "");
  EXPECT_FALSE(live->record.enabled);
  EXPECT_EQ(live->record.format, "mp4");
  EXPECT_EQ(live->hls.format, "auto");
  EXPECT_EQ(live->record.interval, 0);
  EXPECT_EQ(live->notify.url, "");
  EXPECT_EQ(c.notify.url, "");
  EXPECT_EQ(c.notify.timeout, 5);
  EXPECT_EQ(c.notify.retries, 3);
  EXPECT_EQ(c.limits.publish_timeout, 10);
  EXPECT_EQ(c.limits.play_wait, 0);
  EXPECT_EQ(c.limits.player_queue, 4);
  EXPECT_EQ(c.limits.max_connections, 10000);
  EXPECT_EQ(c.limits.handshake_timeout, 10);
  EXPECT_EQ(c.limits.max_message_size, 16u << 20);
  EXPECT_EQ(c.limits.max_chunk_size, 16u << 20);
  EXPECT_EQ(c.limits.max_http_header, 16384u);
  EXPECT_EQ(c.log_level, "info");
}

TEST(Config, EmptyDocumentGivesDefaults) {
  expect_defaults(parse_config("", "empty.yaml"));
  expect_defaults(parse_config("# only a comment\n", "c.yaml"));
  expect_defaults(parse_config("server:\napps:\nlimits: {}\n", "nulls.yaml"));
  expect_defaults(default_config());
}

TEST(Config, ShippedConfigParsesToDefaults) {
  const std::filesystem::path path = repo_root() / "config" / "liveorigin.yaml";
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  expect_defaults(load_config_file(path.string()));
}

TEST(Config, FullDocument) {
  const Config c = parse_config(R"(
server:
  rtmp: { listen: "[::1]:0" }
  http: { listen: "localhost:80" }
  api: { listen: "127.0.0.1:9000", token: secret }
  data_dir: /var/lib/liveorigin
  workers: 4
  tcp_nodelay: true
apps:
  live:
    push_auth: { key: abc, backup_key: def }
    hls: { fragment: 1.5, window: 3, path: /srv/hls }
    record: { enabled: yes, format: flv, interval: 600 }
    notify: { url: "https://example.com/cb", key: k }
  tv.sports-1_x:
    mode: channel
    max_channels: 10
    gop_cache: false
    flv: { enabled: false }
  empty:
notify: { url: "http://127.0.0.1:9/cb", key: g, timeout: 0.5, retries: 0 }
limits: { publish_timeout: 2.5, play_wait: 3, player_queue: 0.5, max_connections: 5,
          handshake_timeout: 0.5, max_message_size: 1000, max_chunk_size: 4096, max_http_header: 8192 }
log: { level: debug }
)",
                                "full.yaml");
  EXPECT_EQ(c.server.rtmp.host, "::1");
  EXPECT_EQ(c.server.rtmp.port, 0);
  EXPECT_EQ(c.server.rtmp.to_string(), "[::1]:0");
  EXPECT_EQ(c.server.http.to_string(), "localhost:80");
  EXPECT_EQ(c.server.api.port, 9000);
  EXPECT_EQ(c.server.api_token, "secret");
  EXPECT_EQ(c.server.data_dir, "/var/lib/liveorigin");
  EXPECT_EQ(c.server.workers, 4);
  EXPECT_TRUE(c.server.tcp_nodelay);
  ASSERT_EQ(c.apps.size(), 3u);
  const AppConfig& live = c.apps.at("live");
  EXPECT_TRUE(live.push_auth.enabled());
  EXPECT_EQ(live.push_auth.backup_key, "def");
  EXPECT_FALSE(live.play_auth.enabled());
  EXPECT_EQ(live.hls.fragment, 1.5);
  EXPECT_EQ(live.hls.window, 3);
  EXPECT_EQ(live.hls.path, "/srv/hls");
  EXPECT_TRUE(live.record.enabled);
  EXPECT_EQ(live.record.format, "flv");
  EXPECT_EQ(live.record.interval, 600);
  EXPECT_EQ(live.notify.url, "https://example.com/cb");
  const AppConfig* tv = c.find_app("tv.sports-1_x");
  ASSERT_NE(tv, nullptr);
  EXPECT_EQ(tv->name, "tv.sports-1_x");
  EXPECT_EQ(tv->mode, AppMode::channel);
  EXPECT_EQ(tv->max_channels, 10);
  EXPECT_FALSE(tv->gop_cache);
  EXPECT_FALSE(tv->flv_enabled);
  EXPECT_TRUE(tv->hls.enabled);
  ASSERT_NE(c.find_app("empty"), nullptr);
  EXPECT_EQ(c.find_app("empty")->hls.window, 6);
  EXPECT_EQ(c.notify.timeout, 0.5);
  EXPECT_EQ(c.notify.retries, 0);
  EXPECT_EQ(c.limits.publish_timeout, 2.5);
  EXPECT_EQ(c.limits.player_queue, 0.5);
  EXPECT_EQ(c.limits.max_connections, 5);
  EXPECT_EQ(c.limits.max_message_size, 1000u);
  EXPECT_EQ(c.limits.max_chunk_size, 4096u);
  EXPECT_EQ(c.limits.max_http_header, 8192u);
  EXPECT_EQ(c.log_level, "debug");
}

TEST(Config, FindApp) {
  const Config c = parse_config("apps:\n  a: {}\n  b:\n    mode: channel\n", "f.yaml");
  ASSERT_NE(c.find_app("a"), nullptr);
  EXPECT_EQ(c.find_app("b")->mode, AppMode::channel);
  EXPECT_EQ(c.find_app("live"), nullptr);  // apps listed: no implicit "live"
  EXPECT_EQ(c.find_app(""), nullptr);
  EXPECT_EQ(c.find_app("A"), nullptr);
  EXPECT_TRUE(parse_config("apps: {}\n", "f.yaml").apps.empty());
}

TEST(Config, Endpoints) {
  EXPECT_EQ(parse_endpoint("1.2.3.4:65535"), (Endpoint{"1.2.3.4", 65535}));
  EXPECT_EQ(parse_endpoint("[::]:1935"), (Endpoint{"::", 1935}));
  EXPECT_EQ((Endpoint{"::", 1935}).to_string(), "[::]:1935");
  EXPECT_EQ((Endpoint{"example.com", 0}).to_string(), "example.com:0");
  for (const char* bad : {"", "1935", ":1935", "host:", "host:65536", "host:-1", "host:12a", "::1:80",
                          "[::1]", "[::1]80", "[::1:80", "[]:80", "a b:1"})
    EXPECT_THROW(parse_endpoint(bad), ConfigError) << bad;
}

TEST(Config, SyntaxErrorHasLine) {
  EXPECT_EQ(error_of("server:\n  rtmp: { listen: \"0.0.0.0:1935\"\nlog: x\n").substr(0, 10), "test.yaml:");
  const std::string e = error_of("log:\n  level: info\n  bad: [1, 2\n");
  EXPECT_EQ(e.rfind("test.yaml:", 0), 0u) << e;
  EXPECT_NE(e.find(": "), std::string::npos);
  EXPECT_EQ(error_of("a: b\n  c: d\n").rfind("test.yaml:2: ", 0), 0u) << error_of("a: b\n  c: d\n");
}

TEST(Config, UnknownKeys) {
  EXPECT_EQ(error_of("\nbogus: 1\n"), "test.yaml:2: unknown key 'bogus' at top level");
  EXPECT_EQ(error_of("server:\n  rtmp: { listen: \"0.0.0.0:1\", port: 2 }\n"),
            "test.yaml:2: unknown key 'port' in 'server.rtmp'");
  EXPECT_EQ(error_of("apps:\n  live:\n    hls:\n      enabled: true\n      fragmnet: 2\n"),
            "test.yaml:5: unknown key 'fragmnet' in 'apps.live.hls'");
  EXPECT_EQ(error_of("apps:\n  live:\n    flv: { enable: true }\n"),
            "test.yaml:3: unknown key 'enable' in 'apps.live.flv'");
  EXPECT_EQ(error_of("limits:\n  max_conns: 1\n"), "test.yaml:2: unknown key 'max_conns' in 'limits'");
  EXPECT_EQ(error_of("log:\n  level: info\n  file: x\n"), "test.yaml:3: unknown key 'file' in 'log'");
  EXPECT_EQ(error_of("log: {level: info}\nlog: {level: debug}\n"), "test.yaml:2: duplicate key 'log' in the file");
}

TEST(Config, WrongTypes) {
  const ErrorCase cases[] = {
      {"limits:\n  publish_timeout: ten\n",
       "test.yaml:2: 'limits.publish_timeout' must be a number, got 'ten'"},
      {"limits:\n  publish_timeout: \"10\"\n",
       "test.yaml:2: 'limits.publish_timeout' must be a number, got '10'"},
      {"server:\n  workers: 1.5\n",
       "test.yaml:2: 'server.workers' must be a whole number, got '1.5'"},
      {"server:\n  workers:\n",
       "test.yaml:2: 'server.workers' must be a whole number, got nothing"},
      {"server:\n\n  rtmp: [1, 2]\n",
       "test.yaml:3: 'server.rtmp' must be a map, got a list"},
      {"server: 5\n",
       "test.yaml:1: 'server' must be a map, got '5'"},
      {"- a\n- b\n",
       "test.yaml:1: the file must be a map, got a list"},
      {"apps:\n  live: [x]\n",
       "test.yaml:2: 'apps.live' must be a map, got a list"},
      {"apps:\n  live:\n    gop_cache: maybe\n",
       "test.yaml:3: 'apps.live.gop_cache' must be true or false, got 'maybe'"},
      {"server:\n  api:\n    token: {a: 1}\n",
       "test.yaml:3: 'server.api.token' must be a string, got a map"},
      {"limits: { player_queue: [1] }\n",
       "test.yaml:1: 'limits.player_queue' must be a number, got a list"},
      {"limits: { player_queue: .nan }\n",
       "test.yaml:1: 'limits.player_queue' must be a number, got '.nan'"},
  };
  expect_errors(cases);
}

TEST(Config, BadValues) {
  const ErrorCase cases[] = {
      {"server:\n  rtmp: { listen: \"0.0.0.0:70000\" }\n",
       "test.yaml:2: 'server.rtmp.listen': bad address '0.0.0.0:70000': port must be a number from 0 to 65535"},
      {"server:\n  http:\n    listen: \":80\"\n",
       "test.yaml:3: 'server.http.listen': bad address ':80': empty host"},
      {"server:\n  workers: 300\n",
       "test.yaml:2: 'server.workers' must be between 0 and 256, got 300"},
      {"server:\n  workers: -1\n",
       "test.yaml:2: 'server.workers' must be between 0 and 256, got -1"},
      {"server:\n  data_dir: \"\"\n",
       "test.yaml:2: 'server.data_dir' must not be empty"},
      {"apps:\n  live:\n    hls: { fragment: 0 }\n",
       "test.yaml:3: 'apps.live.hls.fragment' must be greater than 0, got 0"},
      {"apps:\n  live:\n    hls: { window: 0 }\n",
       "test.yaml:3: 'apps.live.hls.window' must be between 1 and 100000, got 0"},
      {"apps:\n  live:\n    max_channels: -2\n",
       "test.yaml:3: 'apps.live.max_channels' must be between 0 and 2147483647, got -2"},
      {"apps:\n  live:\n    mode: push\n",
       "test.yaml:3: 'apps.live.mode' must be one of code, channel; got 'push'"},
      {"apps:\n  live:\n    record: { format: mkv }\n",
       "test.yaml:3: 'apps.live.record.format' must be one of flv, mp4, hls; got 'mkv'"},
      {"apps:\n  live:\n    hls: { format: cmaf }\n",
       "test.yaml:3: 'apps.live.hls.format' must be one of auto, ts, fmp4; got 'cmaf'"},
      {"apps:\n  live:\n    record: { interval: -1 }\n",
       "test.yaml:3: 'apps.live.record.interval' must be at least 0, got -1"},
      {"apps:\n  live:\n    notify: { url: \"ftp://x\" }\n",
       "test.yaml:3: 'apps.live.notify.url' must be empty or an http:// or https:// URL (host, optional port, path; "
       "no spaces or control characters), got 'ftp://x'"},
      {"notify:\n  url: example.com\n",
       "test.yaml:2: 'notify.url' must be empty or an http:// or https:// URL (host, optional port, path; no spaces "
       "or control characters), got 'example.com'"},
      {"notify:\n  retries: -1\n",
       "test.yaml:2: 'notify.retries' must be between 0 and 1000, got -1"},
      {"limits:\n  publish_timeout: 0\n",
       "test.yaml:2: 'limits.publish_timeout' must be greater than 0, got 0"},
      {"limits:\n  handshake_timeout: 0\n",
       "test.yaml:2: 'limits.handshake_timeout' must be greater than 0, got 0"},
      {"server:\n  api: { token: \"\" }\n",
       "test.yaml:2: 'server.api.token' must not be empty"},
      {"notify:\n  timeout: -0.5\n",
       "test.yaml:2: 'notify.timeout' must be at least 0, got -0.5"},
      {"limits:\n  player_queue: 0\n",
       "test.yaml:2: 'limits.player_queue' must be greater than 0, got 0"},
      {"limits:\n  play_wait: 1e12\n",
       "test.yaml:2: 'limits.play_wait' must be at most 3.1536e+07, got 1e12"},
      {"limits:\n  max_message_size: 4294967296\n",
       "test.yaml:2: 'limits.max_message_size' must be between 1 and 4294967295, got 4294967296"},
      {"limits:\n  max_connections: 99999999999999999999\n",
       "test.yaml:2: 'limits.max_connections' must be between 1 and 2147483647, got 99999999999999999999"},
      {"log: { level: verbose }\n",
       "test.yaml:1: 'log.level' must be one of trace, debug, info, warn, error, off; got 'verbose'"},
  };
  expect_errors(cases);
}

TEST(Config, AppNames) {
  EXPECT_EQ(error_of("apps:\n  live: {}\n  \"a/b\": {}\n"),
            "test.yaml:3: bad app name 'a/b': use 1-128 of A-Z a-z 0-9 _ . - (not '.' or '..')");
  EXPECT_NE(error_of("apps:\n  \"..\": {}\n"), "");
  EXPECT_NE(error_of("apps:\n  \".\": {}\n"), "");
  EXPECT_NE(error_of("apps:\n  \"\": {}\n"), "");
  EXPECT_NE(error_of("apps:\n  " + std::string(129, 'a') + ": {}\n"), "");
  EXPECT_EQ(error_of("apps:\n  " + std::string(128, 'a') + ": {}\n"), "");
  EXPECT_EQ(error_of("apps:\n  a: {}\n  a: {}\n"), "test.yaml:3: duplicate key 'a' in 'apps'");
}

TEST(Config, Tls) {
  const Config c = parse_config(
      "server:\n"
      "  tls: { cert: /etc/le/fullchain.pem, key: /etc/le/privkey.pem, sni: [ { cert: b.pem, key: b.key } ] }\n"
      "  rtmps: { listen: \"0.0.0.0:1936\" }\n"
      "  https: { listen: \"[::]:8443\" }\n"
      "  api: { listen: \"127.0.0.1:8090\", tls: true }\n",
      "test.yaml");
  EXPECT_EQ(c.server.tls.main.cert, "/etc/le/fullchain.pem");
  EXPECT_EQ(c.server.tls.main.key, "/etc/le/privkey.pem");
  EXPECT_EQ(c.server.tls.main.line, 2);
  ASSERT_EQ(c.server.tls.sni.size(), 1u);
  EXPECT_EQ(c.server.tls.sni[0].cert, "b.pem");
  EXPECT_EQ(c.server.tls.sni[0].key, "b.key");
  EXPECT_TRUE(c.server.tls.ktls);
  EXPECT_EQ(c.server.rtmps, (Endpoint{"0.0.0.0", 1936}));
  EXPECT_EQ(c.server.https, (Endpoint{"::", 8443}));
  EXPECT_TRUE(c.server.api_tls);

  const Config d = default_config();
  EXPECT_FALSE(d.server.tls.configured());
  EXPECT_FALSE(d.server.rtmps.has_value());
  EXPECT_FALSE(d.server.https.has_value());
  EXPECT_FALSE(d.server.api_tls);
  // An empty listen leaves the port off, as in the product's default config.
  EXPECT_EQ(error_of("server:\n  rtmps:\n  https: { listen: \"\" }\n"), "");
}

TEST(Config, TlsErrors) {
  const std::string need = " needs a certificate: set 'server.tls.cert' and 'server.tls.key' (e.g. certbot's "
                           "fullchain.pem and privkey.pem)";
  const ErrorCase cases[] = {
      {"server:\n  workers: 1\n  rtmps: { listen: \"0.0.0.0:1936\" }\n", "test.yaml:3: 'server.rtmps.listen'" + need},
      {"server:\n  https:\n    listen: \"0.0.0.0:8443\"\n", "test.yaml:3: 'server.https.listen'" + need},
      {"server:\n  api: { tls: true }\n", "test.yaml:2: 'server.api.tls'" + need},
      {"server:\n  tls: { cert: a.pem }\n",
       "test.yaml:2: 'server.tls' needs both 'cert' (the chain) and 'key' (its private key)"},
      {"server:\n  tls:\n    cert: a.pem\n    key: a.key\n    sni: [ { cert: b.pem } ]\n",
       "test.yaml:5: 'server.tls.sni[0]' needs both 'cert' (the chain) and 'key' (its private key)"},
      {"server:\n  tls:\n    cert: a.pem\n    key: a.key\n    sni: [ {} ]\n",
       "test.yaml:5: 'server.tls.sni[0]' needs 'cert' and 'key'"},
      {"server:\n  tls:\n    cert: a.pem\n    key: a.key\n    sni: b.pem\n",
       "test.yaml:5: 'server.tls.sni' must be a list of { cert, key }"},
      {"server:\n  tls:\n    sni: [ { cert: b.pem, key: b.key } ]\n",
       "test.yaml:3: 'server.tls.sni' needs a default certificate: set 'server.tls.cert' and 'server.tls.key'"},
      {"server:\n  tls:\n    cert: a.pem\n    key: a.key\n    sni: [ { cert: b.pem, key: b.key, pass: x } ]\n",
       "test.yaml:5: unknown key 'pass' in 'server.tls.sni[0]'"},
      {"server:\n  tls: { cert: a.pem, key: a.key, ciphers: x }\n", "test.yaml:2: unknown key 'ciphers' in 'server.tls'"},
  };
  expect_errors(cases);
}

TEST(Config, LoadFileErrors) {
  try {
    load_config_file("/nonexistent/liveorigin.yaml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()), "/nonexistent/liveorigin.yaml: cannot read: No such file or directory");
  }
  EXPECT_THROW(load_config_file("/tmp"), ConfigError);

  const std::filesystem::path path = std::filesystem::temp_directory_path() / "liveorigin_config_test.yaml";
  std::ofstream(path) << "log:\n  level: loud\n";
  try {
    load_config_file(path.string());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()).rfind(path.string() + ":2: 'log.level'", 0), 0u) << error.what();
  }
  std::filesystem::remove(path);
}

TEST(Config, PlayerPageIsOnUnlessTurnedOff) {
  const Config c = parse_config("apps:\n  live:\n  hidden:\n    player_page: false\n", "page.yaml");
  EXPECT_TRUE(c.find_app("live")->player_page);
  EXPECT_FALSE(c.find_app("hidden")->player_page);
  EXPECT_TRUE(default_config().find_app("live")->player_page);
  EXPECT_EQ(error_of("apps:\n  live:\n    player_page: 2\n"),
            "test.yaml:3: 'apps.live.player_page' must be true or false, got '2'");
}

// The API on a non-loopback address needs a token nobody can guess from the docs.
TEST(Config, ApiOffLoopbackNeedsALongToken) {
  EXPECT_EQ(error_of("server:\n  api: { listen: \"0.0.0.0:8090\" }\n"),
            "test.yaml:2: 'server.api.token' must be set to 16 or more characters (not the default) when "
            "'server.api.listen' is not a loopback address (0.0.0.0)");
  EXPECT_EQ(error_of("server:\n  api:\n    listen: \"[::]:8090\"\n    token: short-token\n"),
            "test.yaml:4: 'server.api.token' must be set to 16 or more characters (not the default) when "
            "'server.api.listen' is not a loopback address (::)");
  EXPECT_NE(error_of("server:\n  api: { listen: \"192.0.2.7:8090\", token: change-me }\n"), "");
  EXPECT_NE(error_of("server:\n  api: { listen: \"api.example.com:8090\", token: change-me }\n"), "");
  // Loopback keeps the default (the shipped config); a long token works anywhere.
  EXPECT_EQ(error_of("server:\n  api: { listen: \"127.0.0.1:8090\" }\n"), "");
  EXPECT_EQ(error_of("server:\n  api: { listen: \"127.1.2.3:8090\", token: t }\n"), "");
  EXPECT_EQ(error_of("server:\n  api: { listen: \"[::1]:8090\", token: t }\n"), "");
  EXPECT_EQ(error_of("server:\n  api: { listen: \"localhost:8090\" }\n"), "");
  EXPECT_EQ(error_of("server:\n  api: { listen: \"0.0.0.0:8090\", token: 0123456789abcdef }\n"), "");
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("LocalHost"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.example.com"));
  EXPECT_FALSE(is_loopback_host("128.0.0.1"));
  EXPECT_FALSE(is_loopback_host("::"));
}

// A URL that reaches the wire is a URL: no header can ride in on a control character.
TEST(Config, NotifyUrlIsValidated) {
  const ErrorCase cases[] = {
      {"notify:\n  url: \"http://backend/cb\\r\\nX-Evil: 1\"\n",
       "test.yaml:2: 'notify.url' must be empty or an http:// or https:// URL (host, optional port, path; no "
       "spaces or control characters), got 'http://backend/cb\\r\\nX-Evil: 1'"},
      {"apps:\n  live:\n    notify: { url: \"http://a b/\" }\n",
       "test.yaml:3: 'apps.live.notify.url' must be empty or an http:// or https:// URL (host, optional port, "
       "path; no spaces or control characters), got 'http://a b/'"},
  };
  expect_errors(cases);
  for (const char* bad : {"http://", "http:///x", "http://host:/x", "http://host:99999/", "http://host:8x/",
                          "http://ho^st/", "http://[::1/", "http://user@host/", "http://host?x", "https://h/\t"}) {
    EXPECT_NE(error_of(std::string("notify:\n  url: \"") + bad + "\"\n"), "") << bad;
  }
  for (const char* good : {"http://backend", "https://backend.example.com:8443/hooks/live?x=1",
                           "http://127.0.0.1:9000/cb", "http://[::1]:9000/", "HTTP://Backend/"}) {
    EXPECT_EQ(error_of(std::string("notify:\n  url: \"") + good + "\"\n"), "") << good;
  }
}

// Paths reach the filesystem and the logs: no control characters.
TEST(Config, PathsHaveNoControlCharacters) {
  EXPECT_EQ(error_of("server:\n  data_dir: \"./da\\nta\"\n"),
            "test.yaml:2: 'server.data_dir' must not contain control characters");
  EXPECT_EQ(error_of("apps:\n  live:\n    hls: { path: \"/var/www/\\x1bhls\" }\n"),
            "test.yaml:3: 'apps.live.hls.path' must not contain control characters");
  EXPECT_EQ(error_of("apps:\n  live:\n    hls: { path: \"/var/www/hls live\" }\n"), "");
}

// Split files of less than 10 s only multiply files and rows; URL recording can be switched off.
TEST(Config, RecordIntervalAndUrlRecording) {
  EXPECT_EQ(error_of("apps:\n  live:\n    record: { interval: 0.001 }\n"),
            "test.yaml:3: 'apps.live.record.interval' must be 0 (one file per publish) or at least 10, got 0.001");
  EXPECT_EQ(error_of("apps:\n  live:\n    record: { interval: 10 }\n"), "");
  EXPECT_EQ(error_of("apps:\n  live:\n    record: { interval: 0 }\n"), "");
  const Config c = parse_config("apps:\n  live:\n    record: { allow_url: false }\n  vod: {}\n", "test.yaml");
  EXPECT_FALSE(c.find_app("live")->record.allow_url);
  EXPECT_TRUE(c.find_app("vod")->record.allow_url);  // default: compatible with earlier versions
}

// Retention: days (0 = keep) and a size cap per app, with the usual size suffixes.
TEST(Config, RecordRetentionAndSizeCap) {
  const Config c = parse_config(
      "apps:\n  live:\n    record: { retention: 30, max_total_size: 10G }\n  b:\n    record: { max_total_size: 512MiB }\n"
      "  c:\n    record: { max_total_size: 1000, retention: 0.5 }\n  d: {}\n",
      "test.yaml");
  EXPECT_DOUBLE_EQ(c.find_app("live")->record.retention, 30);
  EXPECT_EQ(c.find_app("live")->record.max_total_size, 10ull << 30);
  EXPECT_EQ(c.find_app("b")->record.max_total_size, 512ull << 20);
  EXPECT_EQ(c.find_app("c")->record.max_total_size, 1000u);
  EXPECT_DOUBLE_EQ(c.find_app("c")->record.retention, 0.5);
  EXPECT_EQ(c.find_app("d")->record.max_total_size, 0u);  // defaults: keep everything
  EXPECT_EQ(c.find_app("d")->record.retention, 0);
  EXPECT_EQ(parse_size("2k"), 2048u);
  EXPECT_EQ(parse_size("3TB"), 3ull << 40);
  EXPECT_EQ(error_of("apps:\n  live:\n    record: { max_total_size: 10X }\n"),
            "test.yaml:3: 'apps.live.record.max_total_size': unknown size suffix in '10X' (use K, M, G or T, powers of 1024)");
  EXPECT_EQ(error_of("apps:\n  live:\n    record: { max_total_size: -1 }\n"),
            "test.yaml:3: 'apps.live.record.max_total_size': must be a size in bytes, e.g. 1073741824 or 10G; got '-1'");
  EXPECT_EQ(error_of("apps:\n  live:\n    record: { max_total_size: 99999999999T }\n"),
            "test.yaml:3: 'apps.live.record.max_total_size': size '99999999999T' is too large");
  EXPECT_EQ(error_of("apps:\n  live:\n    record: { retention: -1 }\n"),
            "test.yaml:3: 'apps.live.record.retention' must be at least 0, got -1");
}

// The push URL's record options, as the app allows them.
TEST(Config, UrlRecordOptions) {
  using Q = std::map<std::string, std::string>;
  RecordConfig record;
  auto out = url_record_options(record, Q{{"record", "flv"}, {"record_interval", "0.001"}, {"txTime", "1"}});
  EXPECT_EQ(out.query, (Q{{"record", "flv"}, {"record_interval", "10"}, {"txTime", "1"}}));
  EXPECT_EQ(out.notes.size(), 1u);
  out = url_record_options(record, Q{{"record", "flv"}, {"record_interval", "30"}});
  EXPECT_EQ(out.query, (Q{{"record", "flv"}, {"record_interval", "30"}}));
  EXPECT_TRUE(out.notes.empty());
  out = url_record_options(record, Q{{"record", "flv"}, {"record_interval", "0"}});  // 0 = no split
  EXPECT_EQ(out.query, (Q{{"record", "flv"}, {"record_interval", "0"}}));
  record.allow_url = false;
  out = url_record_options(record, Q{{"record", "flv"}, {"record_interval", "30"}, {"txTime", "1"}});
  EXPECT_EQ(out.query, (Q{{"txTime", "1"}}));
  EXPECT_EQ(out.notes.size(), 1u);
  out = url_record_options(record, Q{{"txTime", "1"}});
  EXPECT_TRUE(out.notes.empty());
}

// What a URL authority or a Host header may be: URLs built from it stay URLs.
TEST(Config, HostPort) {
  for (const char* good : {"example.com", "example.com:8090", "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:8090",
                           "[2001:db8::7]:1", "my_host-1.local", "EXAMPLE.COM:65535"}) {
    EXPECT_TRUE(is_valid_host_port(good)) << good;
  }
  for (const char* bad : {"", "evil.example/x?", "evil.example:80/x", "a b", "host:", "host:65536", "host:123456",
                          "host:8a", ":80", "user@host", "[::1", "[::1]x", "[::1]:", "[evil]", "host\r\nX: 1",
                          "h%2fx", "a:1:2"}) {
    EXPECT_FALSE(is_valid_host_port(bad)) << bad;
  }
}

}  // namespace
}  // namespace liveorigin::config
