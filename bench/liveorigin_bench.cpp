// liveorigin-bench: a load generator for live-streaming origins (liveorigin, nginx-rtmp, the ideal
// writer). Publishes an FLV file over RTMP in real time, runs N players over RTMP, HTTP-FLV or HLS,
// and reports per-player bitrate, start-up, added latency and the server's CPU and memory as JSON
// plus a one-line summary (on stderr). With --tls the players use RTMPS / HTTPS-FLV (the publisher
// stays plain RTMP); --handshakes measures how many new TLS connections a second the server takes.
//
// Two threads: one runs the publisher and a few "full" players that parse every message (latency,
// start-up under load); the other runs the counting players, which parse only up to their first
// key frame and then discard bytes in the kernel with recv(MSG_TRUNC), waking every --idle-ms so
// that each wake-up drains many sockets (over TLS: SSL_read into a scratch buffer, as bytes must be
// decrypted to be counted). Run it pinned to a core other than the server's.
//
//   liveorigin-bench --file test.flv --rtmp 127.0.0.1:1935 --http 127.0.0.1:8080
//                    --protocol rtmp --players 1600 --server-pid PID
//   liveorigin-bench --file test.flv --rtmp 127.0.0.1:1935 --tls --rtmps 127.0.0.1:1936 ...
//   liveorigin-bench --file test.flv --no-publish --tls --https 127.0.0.1:8443 --protocol flv
//                    --handshakes --players 64 --duration 10 --server-pid PID
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_common.hpp"
#include "clients.hpp"
#include "hls_watch.hpp"
#include "tls_client.hpp"

using namespace liveorigin;
using namespace liveorigin::bench;

namespace {

struct Options {
  Target target;
  std::string file;
  bool publish = true;
  Protocol protocol = Protocol::rtmp;
  int players = 10;
  int full = -1;          // default: min(8, players)
  double rate = 500;      // counting players connected per second
  double settle = 1.0;    // publisher live → first player
  double warmup = 3.0;    // last counting player → full players
  double duration = 10.0; // measurement window
  double stagger = 0.05;  // between full players
  int idle_ms = 50;
  bool tls = false;
  bool handshakes = false;  // --players is then the number of connections handshaking at once
  int publishers = 1;       // streams STREAM0..STREAM(P-1) when > 1, players spread over them
  double spread = -1;       // publishers start over this many seconds (default: one key interval)
  bool hls_watch = false;   // measure segment availability on every stream (PlaylistWatch)
  std::vector<int> server_pids;  // the server's processes (e.g. a TLS proxy and the origin): summed
  std::string label = "server";
  std::string json_path;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "%s\nusage: liveorigin-bench [--file F.flv | --no-publish --file F.flv] [--protocol rtmp|flv|hls]\n"
               "  [--players N] [--full K] [--rate PER_S] [--settle S] [--warmup S] [--duration S]\n"
               "  [--rtmp HOST:PORT] [--http HOST:PORT] [--app APP] [--stream NAME] [--flv-path P] [--hls-path P]\n"
               "  [--rcvbuf BYTES] [--idle-ms MS] [--server-pid PID[,PID...]] [--label NAME] [--json OUT]\n"
               "  [--tls --rtmps HOST:PORT --https HOST:PORT [--sni NAME]] [--handshakes]\n"
               "  [--publishers P [--spread S]] [--hls-watch]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  bool settle_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--file") o.file = value();
    else if (a == "--no-publish") o.publish = false;
    else if (a == "--protocol") {
      const auto p = value();
      o.protocol = p == "rtmp" ? Protocol::rtmp : p == "flv" ? Protocol::flv : p == "hls" ? Protocol::hls
                                                                                        : (usage("bad --protocol"), Protocol::rtmp);
    } else if (a == "--players") o.players = std::stoi(value());
    else if (a == "--full") o.full = std::stoi(value());
    else if (a == "--rate") o.rate = std::stod(value());
    else if (a == "--settle") {
      o.settle = std::stod(value());
      settle_given = true;
    }
    else if (a == "--warmup") o.warmup = std::stod(value());
    else if (a == "--duration") o.duration = std::stod(value());
    else if (a == "--rtmp") o.target.rtmp = parse_endpoint(value());
    else if (a == "--http") o.target.http = parse_endpoint(value());
    else if (a == "--app") o.target.app = value();
    else if (a == "--stream") o.target.stream = value();
    else if (a == "--flv-path") o.target.flv_path = value();
    else if (a == "--hls-path") o.target.hls_path = value();
    else if (a == "--rcvbuf") o.target.rcvbuf = std::stoi(value());
    else if (a == "--idle-ms") o.idle_ms = std::stoi(value());
    else if (a == "--server-pid") {
      std::stringstream list(value());
      for (std::string pid; std::getline(list, pid, ',');)
        if (!pid.empty()) o.server_pids.push_back(std::stoi(pid));
    }
    else if (a == "--tls") o.tls = true;
    else if (a == "--rtmps") o.target.rtmps = parse_endpoint(value());
    else if (a == "--https") o.target.https = parse_endpoint(value());
    else if (a == "--sni") o.target.sni = value();
    else if (a == "--handshakes") o.handshakes = true;
    else if (a == "--publishers") o.publishers = std::max(1, std::stoi(value()));
    else if (a == "--spread") o.spread = std::stod(value());
    else if (a == "--hls-watch") o.hls_watch = true;
    else if (a == "--label") o.label = value();
    else if (a == "--json") o.json_path = value();
    else if (a == "-h" || a == "--help") usage("");
    else usage(("unknown option " + a).c_str());
  }
  if (o.file.empty()) usage("--file is required (the stream to publish, or its copy to know the bitrate)");
  if (o.target.rtmp.port == 0) o.target.rtmp.port = 1935;
  if (o.target.http.port == 0) o.target.http.port = 8080;
  if (o.full < 0) o.full = std::min(8, o.players);
  if (o.tls && o.protocol == Protocol::hls) usage("--tls: players over RTMPS (--protocol rtmp) or HTTPS-FLV (flv)");
  if (o.tls && (o.protocol == Protocol::rtmp ? o.target.rtmps.port : o.target.https.port) == 0)
    usage("--tls needs the TLS port: --rtmps HOST:PORT (rtmp) or --https HOST:PORT (flv)");
  if (o.handshakes && !o.tls) usage("--handshakes needs --tls");
  if (!o.publish && (o.publishers > 1 || o.hls_watch)) usage("--publishers and --hls-watch need a publisher");
  if (o.protocol == Protocol::hls && !settle_given) o.settle = 3.0;  // let the first segment close
  o.full = std::min(o.full, o.players);
  return o;
}

double self_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct LoopPlan {
  std::vector<Player*> players;
  std::vector<std::int64_t> start_ns;  // when each player connects
  std::vector<Publisher*> publishers;
  std::vector<PlaylistWatch*> watchers;  // after the publishers, on their thread
  bool precise = false;                // no idle sleeps: latency matters here
};

void run_loop(LoopPlan& plan, int epfd, std::int64_t win_start, std::int64_t win_end,
              const std::atomic<bool>& stop, int idle_ms, bool hls) {
  std::size_t next_start = 0;
  bool marked_start = false, marked_end = false, all_counting = false;
  std::vector<epoll_event> events(4096);
  while (!stop.load(std::memory_order_relaxed)) {
    std::int64_t now = now_ns();
    while (next_start < plan.players.size() && plan.start_ns[next_start] <= now)
      plan.players[next_start++]->start(epfd, now);
    std::int64_t wake = now + 20'000'000;
    for (auto* p : plan.publishers) {
      const std::int64_t due = p->pump(now);
      if (due > 0) wake = std::min(wake, due);
    }
    for (auto* w : plan.watchers) w->tick(now);
    if (next_start < plan.players.size()) wake = std::min(wake, plan.start_ns[next_start]);
    if (!marked_start && now >= win_start) {
      for (auto* p : plan.players) p->mark_window_start();
      for (auto* p : plan.publishers) p->mark_window_start();
      for (auto* w : plan.watchers) w->set_recording(true);
      marked_start = true;
    }
    if (!marked_end && now >= win_end) {
      for (auto* p : plan.players) p->mark_window_end();
      for (auto* p : plan.publishers) p->mark_window_end();
      for (auto* w : plan.watchers) w->set_recording(false);
      marked_end = true;
    }
    if (hls)
      for (auto* p : plan.players) p->poll_timer(now);
    const int timeout_ms = static_cast<int>(std::max<std::int64_t>(0, (wake - now + 999'999) / 1'000'000));
    const int n = epoll_wait(epfd, events.data(), static_cast<int>(events.size()), timeout_ms);
    now = now_ns();
    for (int i = 0; i < n; ++i) static_cast<Handler*>(events[i].data.ptr)->on_event(events[i].events, now);
    // Counting players: let bytes gather so each wake-up drains many sockets with one recv each
    // (once every player has connected and seen its first key frame, so start-up stays exact).
    if (!plan.precise && !all_counting && next_start == plan.players.size())
      all_counting = std::all_of(plan.players.begin(), plan.players.end(),
                                 [](const Player* p) { return p->counting() || p->failed(); });
    if (!plan.precise && n > 0 && all_counting && idle_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(idle_ms));
  }
  if (!marked_end) {
    for (auto* p : plan.players) p->mark_window_end();
    for (auto* p : plan.publishers) p->mark_window_end();
  }
  for (auto* p : plan.players) p->close(true);
  close(epfd);
}

nlohmann::json dist(std::vector<double> v) {
  nlohmann::json j;
  j["n"] = v.size();
  auto r = [](double x) { return std::round(x * 100) / 100; };
  j["p50"] = r(percentile(v, 50));
  j["p95"] = r(percentile(v, 95));
  j["p99"] = r(percentile(v, 99));
  j["max"] = v.empty() ? 0 : r(v.back());
  return j;
}

void sleep_until_ns(std::int64_t t) {
  const std::int64_t d = t - now_ns();
  if (d > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(d));
}

// The server's figures summed over its processes; -1 when no pid was given.
double servers_cpu_seconds(const std::vector<int>& pids) {
  if (pids.empty()) return -1;
  double sum = 0;
  for (int pid : pids) sum += std::max(0.0, process_cpu_seconds(pid));
  return sum;
}

long servers_rss_kib(const std::vector<int>& pids) {
  if (pids.empty()) return -1;
  long sum = 0;
  for (int pid : pids) sum += std::max(0L, process_rss_kib(pid));
  return sum;
}

nlohmann::json pid_list(const std::vector<int>& pids) { return pids; }

// --handshakes: --players connections loop connect → full handshake → RST for --warmup + --duration
// seconds on this thread; the window counts the handshakes done and the server's CPU for them.
int run_handshakes(const Options& o) {
  const Endpoint& ep = o.protocol == Protocol::rtmp ? o.target.rtmps : o.target.https;
  std::vector<std::unique_ptr<Handshaker>> clients;
  for (int i = 0; i < o.players; ++i) clients.push_back(std::make_unique<Handshaker>(ep, o.target.tls, o.target.sni));
  const int epfd = epoll_create1(EPOLL_CLOEXEC);
  const std::int64_t t0 = now_ns();
  const std::int64_t win_start = t0 + static_cast<std::int64_t>(o.warmup * 1e9);
  const std::int64_t win_end = win_start + static_cast<std::int64_t>(o.duration * 1e9);
  for (auto& c : clients) c->start(epfd, t0);
  std::vector<epoll_event> events(4096);
  bool recording = false;
  double cpu0 = 0, self0 = 0, machine0 = 0;
  for (;;) {
    std::int64_t now = now_ns();
    if (!recording && now >= win_start) {
      recording = true;
      for (auto& c : clients) c->set_recording(true);
      cpu0 = servers_cpu_seconds(o.server_pids);
      self0 = self_cpu_seconds();
      machine0 = machine_busy_seconds();
    }
    if (now >= win_end) break;
    const int n = epoll_wait(epfd, events.data(), static_cast<int>(events.size()), 10);
    now = now_ns();
    for (int i = 0; i < n; ++i) static_cast<Handler*>(events[i].data.ptr)->on_event(events[i].events, now);
    for (auto& c : clients) {
      if (c->fd() < 0) c->start(epfd, now);  // connect() itself failed: try again
      c->poll_timer(now);
    }
  }
  for (auto& c : clients) c->set_recording(false);
  const double cpu = servers_cpu_seconds(o.server_pids) - cpu0;
  const double self = self_cpu_seconds() - self0;
  const double machine = machine_busy_seconds() - machine0;
  std::uint64_t done = 0, failed = 0;
  std::vector<double> ms;
  nlohmann::json errors = nlohmann::json::object();
  for (auto& c : clients) {
    done += c->completed();
    failed += c->failed();
    if (c->failed()) errors[c->last_error()] = errors.value(c->last_error(), 0) + c->failed();
    ms.insert(ms.end(), c->handshake_ms().begin(), c->handshake_ms().end());
  }
  clients.clear();
  close(epfd);
  nlohmann::json j;
  j["label"] = o.label;
  j["mode"] = "handshakes";
  j["protocol"] = protocol_name(o.protocol);
  j["tls"] = true;
  j["concurrency"] = o.players;
  j["window_s"] = o.duration;
  j["handshakes"] = done;
  j["handshakes_per_s"] = std::round(10 * done / o.duration) / 10;
  j["failed"] = failed;
  j["errors"] = errors;
  j["handshake_ms"] = dist(ms);
  if (!o.server_pids.empty()) {
    j["server"] = {{"pid", o.server_pids.front()}, {"pids", pid_list(o.server_pids)},
                   {"cpu_s", std::round(cpu * 100) / 100}, {"cpu_pct", std::round(1000 * cpu / o.duration) / 10},
                   {"handshakes_per_cpu_s", cpu > 0 ? std::round(done / cpu) : 0.0}};
  }
  j["generator_cpu_pct"] = std::round(1000 * self / o.duration) / 10;
  j["others_cpu_pct"] =
      std::round(1000 * std::max(0.0, machine - self - (o.server_pids.empty() ? 0 : cpu)) / o.duration) / 10;
  std::cout << j.dump() << std::endl;
  if (!o.json_path.empty()) std::ofstream(o.json_path) << j.dump() << "\n";
  std::fprintf(stderr, "%s handshakes: %llu in %.0f s (%.1f/s, %llu failed), server %.1f%% CPU, %.0f per CPU-s; "
               "handshake p50 %.1f p95 %.1f ms; generator %.1f%% CPU, others %.1f%%\n",
               o.label.c_str(), static_cast<unsigned long long>(done), o.duration, done / o.duration,
               static_cast<unsigned long long>(failed), 100 * cpu / o.duration, cpu > 0 ? done / cpu : 0.0,
               j["handshake_ms"]["p50"].get<double>(), j["handshake_ms"]["p95"].get<double>(),
               j["generator_cpu_pct"].get<double>(), j["others_cpu_pct"].get<double>());
  return 0;
}

// Starts the publishers one after the other over `spread` seconds (so their key frames do not
// coincide) and plays the live ones while the others connect; returns once all are live or failed
// (10 s after the last start at most). False, with a message, when none went live.
bool go_live(std::vector<std::unique_ptr<Publisher>>& publishers, int epfd, double spread) {
  const std::int64_t t0 = now_ns();
  const std::size_t n = publishers.size();
  auto start_at = [&](std::size_t i) { return t0 + static_cast<std::int64_t>(spread * 1e9 * i / n); };
  const std::int64_t deadline = start_at(n) + 10'000'000'000LL;
  std::size_t started = 0, live = 0, failed = 0;
  std::vector<epoll_event> events(256);
  for (std::int64_t now = t0; now < deadline; now = now_ns()) {
    while (started < n && start_at(started) <= now) publishers[started++]->start(epfd, now);
    std::int64_t wake = now + 50'000'000;
    if (started < n) wake = std::min(wake, start_at(started));
    live = failed = 0;
    for (auto& p : publishers) {
      if (p->live()) {
        const std::int64_t due = p->pump(now);
        if (due > 0) wake = std::min(wake, due);
      }
      live += p->live();
      failed += p->failed();
    }
    if (started == n && live + failed == n) break;
    const int timeout_ms = static_cast<int>(std::max<std::int64_t>(0, (wake - now + 999'999) / 1'000'000));
    const int k = epoll_wait(epfd, events.data(), static_cast<int>(events.size()), timeout_ms);
    for (int i = 0; i < k; ++i) static_cast<Handler*>(events[i].data.ptr)->on_event(events[i].events, now_ns());
  }
  if (live == n) return true;
  const auto bad = std::find_if(publishers.begin(), publishers.end(), [](auto& p) { return !p->live(); });
  std::fprintf(stderr, "liveorigin-bench: %zu of %zu publishers did not go live: %s\n", n - live, n,
               (*bad)->failed() ? (*bad)->error().c_str() : "timeout");
  return live > 0;
}

// The publishers over the window. Healthy: the send backlog (bytes written but not yet accepted by
// the server's socket) never reached one second of media, and the server took at least 90% of the
// stream's mean rate (a floor against a stalled publisher; a 10 s window holds five key frames, so
// its rate varies a little). A server that stops reading shows in the backlog once its receive
// buffer is full: on loopback, without reads the buffer stays near its initial 128 KiB.
nlohmann::json publisher_figures(const std::vector<std::unique_ptr<Publisher>>& publishers, double ref_rate,
                                 double window_s) {
  std::uint64_t bytes = 0;
  int healthy = 0, live = 0;
  double max_late = 0;
  std::vector<double> backlog_kib;
  nlohmann::json errors = nlohmann::json::object();
  for (auto& p : publishers) {
    bytes += p->window_bytes();
    live += p->live();
    max_late = std::max(max_late, p->max_late_ms());
    backlog_kib.push_back(p->max_backlog() / 1024.0);
    if (p->live() && p->max_backlog() < ref_rate && p->window_bytes() >= 0.9 * ref_rate * window_s) ++healthy;
    if (p->failed()) errors[p->error()] = errors.value(p->error(), 0) + 1;
  }
  nlohmann::json j;
  j["count"] = publishers.size();
  j["live"] = live;
  j["healthy"] = healthy;
  j["healthy_pct"] = std::round(1000.0 * healthy / publishers.size()) / 10;
  j["window_bytes"] = bytes;
  j["ingested_gb"] = std::round(bytes / 1e6) / 1e3;
  j["ingest_mbps"] = std::round(bytes * 8 / window_s / 1e5) / 10;
  j["max_backlog_kib"] = dist(backlog_kib);
  j["max_late_ms"] = std::round(max_late * 10) / 10;
  j["errors"] = errors;
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  raise_fd_limit();
  ClientContext tls_context;
  if (o.tls) {
    tls_context = make_client_context();
    o.target.tls = tls_context.get();
  }
  if (o.handshakes) return run_handshakes(o);
  MediaSource source(o.file);
  const double ref_rate = source.byte_rate();  // bytes/s every healthy player receives

  // One stream per publisher (STREAM0, STREAM1, … when there are several); players go round-robin.
  std::vector<Target> targets(static_cast<std::size_t>(o.publishers), o.target);
  if (o.publishers > 1)
    for (int i = 0; i < o.publishers; ++i) targets[i].stream = o.target.stream + std::to_string(i);
  std::vector<std::unique_ptr<Player>> players;
  for (int i = 0; i < o.players; ++i)
    players.push_back(std::make_unique<Player>(o.protocol, i < o.full, targets[i % o.publishers]));
  LoopPlan precise, counting;
  precise.precise = true;
  const int precise_epfd = epoll_create1(EPOLL_CLOEXEC);
  const int counting_epfd = epoll_create1(EPOLL_CLOEXEC);

  // The publishers go live first (bounded wait); the timeline starts from there.
  const long rss_before_publishers = servers_rss_kib(o.server_pids);
  std::vector<std::unique_ptr<Publisher>> publishers;
  std::vector<std::unique_ptr<PlaylistWatch>> watchers;
  if (o.publish) {
    for (const auto& t : targets) publishers.push_back(std::make_unique<Publisher>(t, source));
    const double spread = o.spread >= 0 ? o.spread : o.publishers > 1 ? source.max_key_interval_s() : 0;
    if (!go_live(publishers, precise_epfd, spread)) return 1;
    for (auto& p : publishers) precise.publishers.push_back(p.get());
    for (std::size_t i = 0; o.hls_watch && i < publishers.size(); ++i) {
      watchers.push_back(std::make_unique<PlaylistWatch>(targets[i], *publishers[i]));
      watchers.back()->start(precise_epfd);
      precise.watchers.push_back(watchers.back().get());
    }
  }
  const std::int64_t live_at = now_ns();
  const std::int64_t ramp_start = live_at + static_cast<std::int64_t>(o.settle * 1e9);
  const int n_count = o.players - o.full;
  const std::int64_t ramp_end = ramp_start + static_cast<std::int64_t>(n_count / o.rate * 1e9);
  const std::int64_t full_start = ramp_end + static_cast<std::int64_t>(o.warmup * 1e9);
  // Servers without a GOP cache start a player only at the next key frame: open the window once
  // the last full player can have started everywhere.
  const std::int64_t win_start =
      full_start + static_cast<std::int64_t>((o.full * o.stagger + source.max_key_interval_s() + 0.5) * 1e9);
  const std::int64_t win_end = win_start + static_cast<std::int64_t>(o.duration * 1e9);
  for (int i = 0; i < o.players; ++i) {
    if (i < o.full) {
      precise.players.push_back(players[i].get());
      precise.start_ns.push_back(full_start + static_cast<std::int64_t>(i * o.stagger * 1e9));
    } else {
      counting.players.push_back(players[i].get());
      counting.start_ns.push_back(ramp_start + static_cast<std::int64_t>((i - o.full) / o.rate * 1e9));
    }
  }
  std::atomic<bool> stop{false};
  const bool hls = o.protocol == Protocol::hls;
  std::thread precise_thread([&] { run_loop(precise, precise_epfd, win_start, win_end, stop, o.idle_ms, hls); });
  std::thread counting_thread([&] { run_loop(counting, counting_epfd, win_start, win_end, stop, o.idle_ms, hls); });

  // Server figures over the window.
  sleep_until_ns(ramp_start);
  const long rss_before = servers_rss_kib(o.server_pids);
  sleep_until_ns(win_start);
  const long rss_window_start = servers_rss_kib(o.server_pids);
  const double cpu0 = servers_cpu_seconds(o.server_pids);
  const double self0 = self_cpu_seconds();
  const double machine0 = machine_busy_seconds();
  sleep_until_ns(win_end);
  const double cpu1 = servers_cpu_seconds(o.server_pids);
  const double self1 = self_cpu_seconds();
  const double machine1 = machine_busy_seconds();
  const long rss_after = servers_rss_kib(o.server_pids);
  sleep_until_ns(win_end + 100'000'000);
  stop = true;
  precise_thread.join();
  counting_thread.join();

  // Results.
  const double window_s = o.duration;
  const double need = 0.95 * ref_rate * (hls ? std::max(0.0, window_s - 2.0) : window_s);
  std::uint64_t delivered = 0;
  int healthy = 0, failed = 0;
  std::vector<double> kbps, startup_full, startup_ramp, latency;
  nlohmann::json errors = nlohmann::json::object();
  for (auto& p : players) {
    delivered += p->window_bytes();
    kbps.push_back(p->window_bytes() * 8 / window_s / 1000);
    if (!p->failed() && p->window_bytes() >= need) ++healthy;
    if (p->failed()) {
      ++failed;
      errors[p->error()] = errors.value(p->error(), 0) + 1;
    }
    const double s = p->startup_ms();
    if (s >= 0) (p->full() ? startup_full : startup_ramp).push_back(s);
    latency.insert(latency.end(), p->latencies_ms().begin(), p->latencies_ms().end());
  }
  const double server_cpu = cpu1 - cpu0;
  std::string tls_summary;
  for (auto& p : players)
    if (tls_summary.empty()) tls_summary = p->tls_summary();
  nlohmann::json j;
  j["label"] = o.label;
  j["protocol"] = protocol_name(o.protocol);
  j["tls"] = o.tls;
  j["players"] = o.players;
  j["full_players"] = o.full;
  j["window_s"] = window_s;
  j["stream_kbps"] = std::round(ref_rate * 8 / 1000);
  std::uint64_t ingested = 0;
  if (!publishers.empty()) {
    nlohmann::json pubs = publisher_figures(publishers, ref_rate, window_s);
    ingested = pubs["window_bytes"].get<std::uint64_t>();
    j["publisher_kbps"] = std::round(ingested * 8 / window_s / 1000 / publishers.size());
    j["publisher_max_late_ms"] = pubs["max_late_ms"];
    j["publisher_error"] = publishers.front()->error();
    if (o.publishers > 1) j["publishers"] = pubs;
  }
  if (!watchers.empty()) {
    std::vector<double> listed;
    std::uint64_t not_listed = 0, requests = 0;
    nlohmann::json watch_errors = nlohmann::json::object();
    for (auto& w : watchers) {
      listed.insert(listed.end(), w->listed_ms().begin(), w->listed_ms().end());
      not_listed += w->not_listed();
      requests += w->requests();
      if (!w->error().empty()) watch_errors[w->error()] = watch_errors.value(w->error(), 0) + 1;
    }
    j["hls_listed_ms"] = dist(listed);
    j["hls_not_listed"] = not_listed;
    j["hls_watch_requests"] = requests;
    j["hls_watch_errors"] = watch_errors;
  }
  if (o.tls) j["tls_version_cipher"] = tls_summary;
  j["healthy"] = healthy;
  j["healthy_pct"] = std::round(1000.0 * healthy / std::max(1, o.players)) / 10;
  j["failed"] = failed;
  j["errors"] = errors;
  j["delivered_gb"] = std::round(delivered / 1e6) / 1e3;
  j["player_kbps"] = {{"min", std::round(percentile(kbps, 0))}, {"p5", std::round(percentile(kbps, 5))},
                      {"p50", std::round(percentile(kbps, 50))}};
  j["startup_ms"] = dist(startup_full);
  j["startup_ramp_ms"] = dist(startup_ramp);
  j["latency_ms"] = dist(latency);
  if (!o.server_pids.empty()) {
    j["server"] = {{"pid", o.server_pids.front()},
                   {"pids", pid_list(o.server_pids)},
                   {"cpu_s", std::round(server_cpu * 100) / 100},
                   {"cpu_pct", std::round(1000 * server_cpu / window_s) / 10},
                   {"cpu_s_per_gb", delivered ? std::round(1000 * server_cpu / (delivered / 1e9)) / 1000 : 0.0},
                   {"rss_kib", rss_after},
                   {"rss_before_players_kib", rss_before},
                   {"rss_window_start_kib", rss_window_start},  // against rss_kib: growth during the window
                   {"rss_per_player_kib", o.players ? std::round(10.0 * (rss_after - rss_before) / o.players) / 10 : 0.0},
                   {"rss_before_publishers_kib", rss_before_publishers},
                   // Everything the streams (and their players, if any) added, per stream.
                   {"rss_per_stream_kib", std::round(10.0 * (rss_after - rss_before_publishers) / o.publishers) / 10},
                   {"cpu_s_per_ingested_gb", ingested ? std::round(1000 * server_cpu / (ingested / 1e9)) / 1000 : 0.0}};
  }
  j["generator_cpu_pct"] = std::round(1000 * (self1 - self0) / window_s) / 10;
  // Everybody else on the machine during the window (% of one core): a disturbed step shows here.
  j["others_cpu_pct"] =
      std::round(1000 * std::max(0.0, (machine1 - machine0) - (self1 - self0) - (o.server_pids.empty() ? 0 : server_cpu)) /
                 window_s) / 10;
  const std::string out = j.dump();
  std::cout << out << std::endl;
  if (!o.json_path.empty()) std::ofstream(o.json_path) << out << "\n";
  std::fprintf(stderr,
               "%s %s N=%d: healthy %d/%d, failed %d, server %.1f%% CPU, %.3f s/GB, RSS %ld MiB; "
               "start-up p50 %.0f p95 %.0f ms; latency p50 %.1f p95 %.1f p99 %.1f ms; generator %.1f%% CPU, others %.1f%%\n",
               o.label.c_str(), protocol_name(o.protocol), o.players, healthy, o.players, failed,
               !o.server_pids.empty() ? 100 * server_cpu / window_s : -1.0,
               !o.server_pids.empty() && delivered ? server_cpu / (delivered / 1e9) : -1.0, rss_after / 1024,
               j["startup_ms"]["p50"].get<double>(), j["startup_ms"]["p95"].get<double>(),
               j["latency_ms"]["p50"].get<double>(), j["latency_ms"]["p95"].get<double>(),
               j["latency_ms"]["p99"].get<double>(), j["generator_cpu_pct"].get<double>(),
               j["others_cpu_pct"].get<double>());
  if (j.contains("publishers"))
    std::fprintf(stderr, "%s publishers: %d, healthy %d, ingest %.1f Mbit/s, server %.3f s per ingested GB, "
                 "RSS %.0f KiB per stream, backlog max %.0f KiB\n", o.label.c_str(), o.publishers,
                 j["publishers"]["healthy"].get<int>(), j["publishers"]["ingest_mbps"].get<double>(),
                 j.contains("server") ? j["server"]["cpu_s_per_ingested_gb"].get<double>() : -1.0,
                 j.contains("server") ? j["server"]["rss_per_stream_kib"].get<double>() : -1.0,
                 j["publishers"]["max_backlog_kib"]["max"].get<double>());
  if (j.contains("hls_listed_ms"))
    std::fprintf(stderr, "%s HLS listed after the closing key frame: p50 %.1f p99 %.1f max %.1f ms (%zu, %llu not listed)\n",
                 o.label.c_str(), j["hls_listed_ms"]["p50"].get<double>(), j["hls_listed_ms"]["p99"].get<double>(),
                 j["hls_listed_ms"]["max"].get<double>(), j["hls_listed_ms"]["n"].get<std::size_t>(),
                 static_cast<unsigned long long>(j["hls_not_listed"].get<std::uint64_t>()));
  return 0;
}
