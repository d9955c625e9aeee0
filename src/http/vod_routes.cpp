// Recordings are read on the shard, 256 KiB at a time with pread, one async write in flight: a
// read from the page cache costs microseconds, and a cold read one disk access per chunk, which
// is small next to a player's network time. A thread pool would add a hop per chunk for little.
#include "vod_routes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/common/log.hpp"
#include "liveorigin/http/byte_range.hpp"
#include "liveorigin/hub/names.hpp"
#include "liveorigin/record/recording_file.hpp"
#include "liveorigin/common/query.hpp"
#include "liveorigin/http/reply.hpp"
#include "play_refusal.hpp"
#include "hls_routes.hpp"

namespace liveorigin::http {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kChunk = 256 * 1024;

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// `content_range`: the Content-Range value, or empty.
std::string head(unsigned status, std::string_view content_type, std::uint64_t length, bool keep_alive,
                 std::string_view content_range) {
  Reply reply;
  reply.status = status;
  reply.content_type = std::string(content_type);
  reply.headers = {{"Access-Control-Expose-Headers", "Content-Range, Content-Length, Accept-Ranges"},
                   {"Accept-Ranges", "bytes"}};
  if (!content_range.empty()) reply.headers.emplace_back("Content-Range", std::string(content_range));
  reply.length = length;
  return reply_head(reply, keep_alive);
}

// Writes the head, then [offset, offset + remaining) of the file, one chunk in flight.
class VodTransfer : public std::enable_shared_from_this<VodTransfer> {
 public:
  VodTransfer(std::shared_ptr<net::WriteWatch> writer, net::ServerStats& stats, int fd, std::uint64_t offset,
              std::uint64_t remaining, bool keep_alive, std::function<void(bool)> done, std::string context,
              std::shared_ptr<hub::StreamUsage> usage)
      : writer_(std::move(writer)), stats_(stats), fd_(fd), offset_(offset), remaining_(remaining),
        keep_alive_(keep_alive), done_(std::move(done)), context_(std::move(context)), usage_(std::move(usage)) {}

  void start(std::string head_bytes) {
    chunk_.assign(head_bytes.begin(), head_bytes.end());
    write_chunk();
  }

 private:
  void write_chunk() {
    writer_->async_write(asio::buffer(chunk_),
                         [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                           self->stats_.bytes_out.fetch_add(n, std::memory_order_relaxed);
                           if (self->usage_) self->usage_->add_bytes_out(common::kUsageVod, n);
                           if (ec) return self->done_(false);
                           self->next();
                         });
  }

  void next() {
    if (remaining_ == 0) return done_(keep_alive_);
    chunk_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, remaining_)));
    const ssize_t n = ::pread(fd_.get(), chunk_.data(), chunk_.size(), static_cast<off_t>(offset_));
    if (n <= 0) {
      // The file shrank or failed under us: the length is promised, so the connection must end.
      spdlog::warn("{}: read failed at byte {}; closing", context_, offset_);
      return done_(false);
    }
    chunk_.resize(static_cast<std::size_t>(n));
    offset_ += static_cast<std::uint64_t>(n);
    remaining_ -= static_cast<std::uint64_t>(n);
    write_chunk();
  }

  std::shared_ptr<net::WriteWatch> writer_;
  net::ServerStats& stats_;
  FileDescriptor fd_;
  std::uint64_t offset_, remaining_;
  bool keep_alive_;
  std::function<void(bool)> done_;
  std::string context_;
  std::shared_ptr<hub::StreamUsage> usage_;
  std::vector<char> chunk_;
};

// Sends a small answer held in memory, then hands the connection back.
void send_text(std::shared_ptr<net::WriteWatch> writer, net::ServerStats& stats, unsigned status,
               std::string_view content_type, std::string_view text, std::string_view extra,
               const VodRequest& request, std::function<void(bool)> done,
               std::shared_ptr<hub::StreamUsage> usage = nullptr) {
  auto bytes = std::make_shared<std::string>(head(status, content_type, text.size(), request.keep_alive, extra));
  if (!request.head_only) *bytes += text;
  writer->async_write(asio::buffer(*bytes),
                      [bytes, &stats, keep = request.keep_alive, done = std::move(done), usage = std::move(usage)](
                          const boost::system::error_code& ec, std::size_t n) {
                        stats.bytes_out.fetch_add(n, std::memory_order_relaxed);
                        if (usage) usage->add_bytes_out(common::kUsageVod, n);
                        done(!ec && keep);
                      });
}

void send_error(std::shared_ptr<net::WriteWatch> writer, net::ServerStats& stats, unsigned status,
                std::string_view text, std::string_view extra, const VodRequest& request,
                std::function<void(bool)> done) {
  send_text(std::move(writer), stats, status, "text/plain", text, extra, request, std::move(done));
}

// /vod/APP/STREAM/FILE (an FLV or MP4 recording), or /vod/APP/STREAM/FOLDER.hls/FILE (the playlist
// or a segment of an HLS recording). Names are checked raw, before any path is built.
bool is_vod_file(const std::vector<std::string>& seg) {
  if (seg.size() < 4 || !hub::is_valid_name(seg[1]) || !hub::is_valid_name(seg[2]) ||
      !record::is_recording_file_name(seg[3]))
    return false;
  const bool hls = record::format_of(seg[3]) == record::Format::hls;
  if (seg.size() == 4) return !hls;
  return seg.size() == 5 && hls && hub::is_valid_name(seg[4]) &&
         (seg[4].ends_with(".m3u8") || seg[4].ends_with(".ts"));
}

std::string_view content_type_of(std::string_view name) {
  if (name.ends_with(".m3u8")) return "application/vnd.apple.mpegurl";
  if (name.ends_with(".ts")) return "video/mp2t";
  return record::format_of(name) == record::Format::flv ? "video/x-flv" : "video/mp4";
}

// A recording's playlist played with a signed URL: its segment URIs get the signature too.
constexpr std::uint64_t kMaxPlaylistBytes = 16u << 20;

std::optional<std::string> signed_playlist(int fd, std::uint64_t size, std::string_view query) {
  if (size > kMaxPlaylistBytes) return std::nullopt;
  std::string text(static_cast<std::size_t>(size), '\0');
  if (::pread(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) return std::nullopt;
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const auto line = std::string_view(text).substr(start, end - start);
    out += line;
    if (!line.empty() && line[0] != '#') {
      out += '?';
      out += query;
    }
    out += '\n';
    start = end + 1;
  }
  return out;
}

// realpath() of p, or empty.
std::string real_path(const std::string& p) {
  char buffer[PATH_MAX];
  return ::realpath(p.c_str(), buffer) ? std::string(buffer) : std::string();
}

}  // namespace

void serve_vod(std::shared_ptr<net::WriteWatch> writer, const config::Config& config, const access::Access& play_access,
               net::ServerStats& stats, const VodRequest& request, std::function<void(bool)> done) {
  const auto& seg = request.target.segments;
  // Names are checked before any path is built: raw segments, so "%2e%2e" or "%2f" fail the name
  // rule as they stand; ".part" and other non-recording names are never served.
  if (!is_vod_file(seg)) {
    spdlog::debug("vod: refused target with {} segment(s)", seg.size());
    return send_error(std::move(writer), stats, 404, "not found\n", "", request, std::move(done));
  }
  const auto& file_name = seg.back();
  std::string context = "vod " + log_text(seg[1]) + "/" + log_text(seg[2]) + "/" + log_text(seg[3]);
  if (seg.size() == 5) context += "/" + log_text(file_name);
  // A recording is played like the live stream it came from: admitted like any other play.
  const auto query = common::parse_query(request.target.query);
  const auto admission = play_access.admit_play(config, {seg[1], seg[2], query, access::Delivery::vod, access::unix_now()});
  if (!admission.ok()) {
    const auto& decision = admission.decision;
    if (play_refusal_status(decision) != 403) {
      spdlog::debug("{}: {}", context, log_text(decision.reason));
      return send_error(std::move(writer), stats, 404, "not found\n", "", request, std::move(done));
    }
    spdlog::warn("{}: refused: {}", context, decision.reason);
    return send_error(std::move(writer), stats, 403, "forbidden: " + decision.reason + "\n", "", request,
                      std::move(done));
  }
  const std::string root = real_path((fs::path(config.server.data_dir) / "vod").string());
  const std::string dir =
      root.empty() ? "" : real_path(root + "/" + seg[1] + "/" + seg[2] + (seg.size() == 5 ? "/" + seg[3] : ""));
  // The folder must resolve inside the vod root (a symlinked APP or STREAM folder pointing out
  // of it is refused); O_NOFOLLOW refuses a symlinked file.
  if (dir.empty() || !dir.starts_with(root + "/")) {
    return send_error(std::move(writer), stats, 404, "not found\n", "", request, std::move(done));
  }
  // O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer; only a regular file,
  // checked on the open descriptor, is served (pread ignores the flag on regular files).
  const int fd = ::open((dir + "/" + file_name).c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) ::close(fd);
    return send_error(std::move(writer), stats, 404, "not found\n", "", request, std::move(done));
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const auto content_type = content_type_of(file_name);
  auto usage = request.usage ? request.usage->stream({seg[1], seg[2]}) : nullptr;
  if (file_name.ends_with(".m3u8")) {
    const auto echoed = echoed_query(request.target.query);
    if (!echoed.empty()) {
      auto text = signed_playlist(fd, size, echoed);
      ::close(fd);
      if (!text) return send_error(std::move(writer), stats, 500, "playlist unreadable\n", "", request, std::move(done));
      return send_text(std::move(writer), stats, 200, content_type, *text, "", request, std::move(done),
                       std::move(usage));
    }
  }
  const auto range = request.range.empty() ? RangeRequest{} : parse_range(request.range, size);
  if (range.kind == RangeRequest::unsatisfiable) {
    ::close(fd);
    return send_error(std::move(writer), stats, 416, "range not satisfiable\n",
                      "bytes */" + std::to_string(size), request, std::move(done));
  }
  std::uint64_t offset = 0, length = size;
  unsigned status = 200;
  std::string extra;
  if (range.kind == RangeRequest::partial) {
    status = 206;
    offset = range.range.first;
    length = range.range.length();
    extra = "bytes " + std::to_string(range.range.first) + "-" + std::to_string(range.range.last) + "/" +
            std::to_string(size);
  }
  spdlog::debug("{}: {} bytes {}+{}", context, status, offset, length);
  auto transfer = std::make_shared<VodTransfer>(std::move(writer), stats, fd, offset,
                                                request.head_only ? 0 : length, request.keep_alive,
                                                std::move(done), context, std::move(usage));
  transfer->start(head(status, content_type, length, request.keep_alive, extra));
}

}  // namespace liveorigin::http
