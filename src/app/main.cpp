// liveorigin: a live-streaming origin server. RTMP in; RTMP and HTTP-FLV out.
#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>

#include <malloc.h>
#include <sys/resource.h>

#include <spdlog/spdlog.h>

#include "liveorigin/common/log.hpp"
#include "liveorigin/config/config.hpp"
#include "liveorigin/net/certificate_store.hpp"
#include "server.hpp"

namespace {

constexpr const char* kUsage =
    "usage: liveorigin [-c FILE] [--check-config]\n"
    "  -c, --config FILE   config file (default: config/liveorigin.yaml)\n"
    "  --check-config      validate the config and exit (non-zero with FILE:LINE: on error)\n"
    "  -h, --help          this text\n";

// Every connection is a descriptor: the soft limit (often 1024) goes up to the hard one, so
// limits.max_connections rather than the kernel is what refuses peers.
void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
  const auto before = lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lim) == 0)
    spdlog::debug("open file limit raised from {} to {}", before, lim.rlim_cur);
}

// HLS segments (about 0.7 MiB each at 2.5 Mbit/s, a dozen per stream) are allocated and freed all
// the time. With glibc's adaptive defaults a freed segment at the top of a shard's heap is handed
// back to the kernel (trim) and the next one faults its pages in again, page by page: with a few
// hundred streams that was a fifth of the server's CPU. Fixed thresholds keep segments on the heap
// and freed memory for reuse; the price is up to 64 MiB of free heap kept per arena after a peak.
void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory();
  std::string config_path = "config/liveorigin.yaml";
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "-c" || arg == "--config") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "--check-config") {
      check_only = true;
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "liveorigin: unknown argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }

  liveorigin::config::Config config;
  try {
    config = liveorigin::config::load_config_file(config_path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  // The certificate files are part of the config: unreadable, not PEM, or a key that is not the
  // certificate's is a config error (and refuses the start).
  if (config.server.tls.configured()) {
    try {
      liveorigin::net::CertificateSet check(config.server.tls);
    } catch (const liveorigin::net::TlsError& e) {
      std::fprintf(stderr, "%s:%d: server.tls: %s\n", config_path.c_str(), e.line, e.what());
      return 1;
    }
  }
  if (check_only) {
    std::printf("%s: ok\n", config_path.c_str());
    return 0;
  }
  // OpenSSL writes to TLS sockets with write(): a peer gone must be an EPIPE, not a signal.
  std::signal(SIGPIPE, SIG_IGN);
  liveorigin::setup_logging(config.log_level);
  raise_fd_limit();
  liveorigin::app::Server server(std::move(config), config_path);
  return server.run();
}
