#include "liveorigin/cluster/redis_client.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include <atomic>
#include <future>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

namespace liveorigin::cluster {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(2);  // TCP connect plus AUTH/SELECT/SUBSCRIBE
constexpr auto kAnswerTimeout = std::chrono::seconds(5);   // a command unanswered this long: reconnect
constexpr auto kRetryFirst = std::chrono::milliseconds(250);
constexpr auto kRetryMax = std::chrono::milliseconds(2000);

RedisReply convert(const redisReply* r) {
  if (!r) return RedisReply::error("Redis connection lost");
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = r->type == REDIS_REPLY_STRING   ? RedisReply::Type::string
                 : r->type == REDIS_REPLY_STATUS ? RedisReply::Type::status
                                                 : RedisReply::Type::error;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::array;
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      break;
  }
  return out;
}

std::string sha1_hex(const std::string& text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const auto byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

// hiredis' event hooks on an Asio descriptor: hiredis says when it wants to read or write, the
// descriptor waits for readiness and hands the event back to hiredis. hiredis owns the fd.
class Watcher : public std::enable_shared_from_this<Watcher> {
 public:
  Watcher(asio::io_context& io, redisAsyncContext* ac) : fd_(io, ac->c.fd), ac_(ac) {}

  void attach() {
    ac_->ev.data = this;
    ac_->ev.addRead = [](void* w) { static_cast<Watcher*>(w)->want(true); };
    ac_->ev.delRead = [](void* w) { static_cast<Watcher*>(w)->reading_ = false; };
    ac_->ev.addWrite = [](void* w) { static_cast<Watcher*>(w)->want(false); };
    ac_->ev.delWrite = [](void* w) { static_cast<Watcher*>(w)->writing_ = false; };
    ac_->ev.cleanup = [](void* w) { static_cast<Watcher*>(w)->detach(); };
  }

  void want(bool read) {
    (read ? reading_ : writing_) = true;
    arm(read);
  }

 private:
  void arm(bool read) {
    bool& waiting = read ? read_waiting_ : write_waiting_;
    if (waiting || !ac_) return;
    waiting = true;
    fd_.async_wait(read ? asio::posix::stream_descriptor::wait_read : asio::posix::stream_descriptor::wait_write,
                   [self = shared_from_this(), read](const boost::system::error_code& ec) {
                     (read ? self->read_waiting_ : self->write_waiting_) = false;
                     if (ec || !self->ac_ || !(read ? self->reading_ : self->writing_)) return;
                     // May free the context: cleanup() then clears ac_.
                     read ? redisAsyncHandleRead(self->ac_) : redisAsyncHandleWrite(self->ac_);
                     if (self->ac_ && (read ? self->reading_ : self->writing_)) self->arm(read);
                   });
  }

  // hiredis is freeing the context and will close the fd itself.
  void detach() {
    ac_ = nullptr;
    reading_ = writing_ = false;
    fd_.release();  // cancels the waits without closing
  }

  asio::posix::stream_descriptor fd_;
  redisAsyncContext* ac_;
  bool reading_ = false, writing_ = false, read_waiting_ = false, write_waiting_ = false;
};

}  // namespace

struct RedisClient::Impl {
  // One connection to Redis and its reconnection.
  struct Link {
    Link(Impl& impl, bool subscriber) : impl(impl), subscriber(subscriber), retry(impl.io), deadline(impl.io) {}
    Impl& impl;
    const bool subscriber;
    redisAsyncContext* ac = nullptr;
    std::shared_ptr<Watcher> watcher;
    unsigned generation = 0;  // a new one per connection: late answers of an old one are ignored
    bool up = false;          // connected, authenticated, selected (subscribed)
    bool ever_up = false;
    bool reported_down = false;
    int pending = 0;          // commands without a reply yet
    Clock::time_point progress;
    asio::steady_timer retry, deadline;
    std::chrono::milliseconds backoff = kRetryFirst;
    const char* name() const { return subscriber ? "pub/sub" : "command"; }
  };
  struct Pending {
    Link* link;
    std::function<void(RedisReply)> done;
  };
  struct Subscription {
    std::string channel;
    std::function<void(const std::string&)> on_message;
    std::function<void()> on_subscribed;
  };
  struct Periodic {
    std::chrono::milliseconds period;
    std::function<void()> task;
    std::unique_ptr<asio::steady_timer> timer;
  };

  explicit Impl(config::RedisAddress a)
      : address(std::move(a)), watchdog(io), commands(*this, false), subscriber(*this, true) {}

  config::RedisAddress address;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  asio::steady_timer watchdog;
  Link commands, subscriber;
  std::atomic<bool> connected{false};
  bool stopping = false;
  std::vector<std::function<void()>> connected_handlers;
  std::vector<Subscription> subscriptions;
  std::vector<Periodic> periodic;

  std::string where() const { return config::Endpoint{address.host, address.port}.to_string(); }

  void connect(Link& link) {
    if (stopping) return;
    ++link.generation;
    auto* ac = redisAsyncConnect(address.host.c_str(), address.port);
    if (!ac || ac->err) {
      const std::string why = ac ? ac->errstr : "out of memory";
      if (ac) redisAsyncFree(ac);
      down(link, why);
      return;
    }
    link.ac = ac;
    ac->data = &link;
    link.watcher = std::make_shared<Watcher>(io, ac);
    link.watcher->attach();
    redisAsyncSetConnectCallback(ac, &Impl::on_connect);
    redisAsyncSetDisconnectCallback(ac, &Impl::on_disconnect);
    link.watcher->want(false);  // the first writability completes the non-blocking connect
    link.deadline.expires_after(kConnectTimeout);
    link.deadline.async_wait([this, &link, generation = link.generation](const boost::system::error_code& ec) {
      if (!ec && link.generation == generation && !link.up) drop(link, "not ready within 2 s");
    });
  }

  static void on_connect(const redisAsyncContext* ac, int status) {
    auto& link = *static_cast<Link*>(ac->data);
    if (status == REDIS_OK) {
      link.impl.handshake(link);
      return;
    }
    if (link.ac != ac) return;
    link.ac = nullptr;  // hiredis frees it after this call
    link.impl.down(link, ac->errstr);
  }

  static void on_disconnect(const redisAsyncContext* ac, int) {
    auto& link = *static_cast<Link*>(ac->data);
    if (link.ac != ac) return;
    link.ac = nullptr;
    link.impl.down(link, ac->err ? ac->errstr : "closed");
  }

  static void on_reply(redisAsyncContext*, void* reply, void* privdata) {
    std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
    auto& link = *pending->link;
    if (link.pending > 0) --link.pending;
    link.progress = Clock::now();
    // Delivered outside hiredis' own call, so that the handler may send or reconnect freely.
    asio::post(link.impl.io, [done = std::move(pending->done), r = convert(static_cast<redisReply*>(reply))]() mutable {
      done(std::move(r));
    });
  }

  // Messages and subscription confirmations of the pub/sub connection.
  static void on_message(redisAsyncContext*, void* reply, void* privdata) {
    if (!reply) return;  // the context is going away
    auto& link = *static_cast<Link*>(privdata);
    auto r = convert(static_cast<redisReply*>(reply));
    if (r.type != RedisReply::Type::array || r.elements.size() < 3) return;
    asio::post(link.impl.io, [impl = &link.impl, generation = link.generation, r = std::move(r)] {
      impl->dispatch(generation, r);
    });
  }

  void dispatch(unsigned generation, const RedisReply& r) {
    const auto& kind = r.elements[0].text;
    const auto& channel = r.elements[1].text;
    for (const auto& s : subscriptions) {
      if (s.channel != channel) continue;
      if (kind == "message") {
        s.on_message(r.elements[2].text);
      } else if (kind == "subscribe" && generation == subscriber.generation) {
        if (&s == &subscriptions.back()) ready(subscriber);
        if (s.on_subscribed) s.on_subscribed();
      }
    }
  }

  void send(Link& link, const std::vector<std::string>& args, std::function<void(RedisReply)> done) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    if (!link.ac) {
      asio::post(io, [done = std::move(done)] { done(RedisReply::error("Redis not connected")); });
      return;
    }
    auto* pending = new Pending{&link, std::move(done)};
    if (link.pending++ == 0) link.progress = Clock::now();
    if (redisAsyncCommandArgv(link.ac, &Impl::on_reply, pending, static_cast<int>(argv.size()), argv.data(),
                              lengths.data()) != REDIS_OK) {
      --link.pending;
      asio::post(io, [done = std::move(pending->done)] { done(RedisReply::error("Redis command not sent")); });
      delete pending;
    }
  }

  // AUTH and SELECT (the command connection) before the connection counts as up.
  void handshake(Link& link) {
    std::vector<std::vector<std::string>> steps;
    if (!address.password.empty()) steps.push_back({"AUTH", address.password});
    if (!link.subscriber && address.db != 0) steps.push_back({"SELECT", std::to_string(address.db)});
    run_steps(link, link.generation, std::make_shared<decltype(steps)>(std::move(steps)), 0);
  }

  void run_steps(Link& link, unsigned generation, std::shared_ptr<std::vector<std::vector<std::string>>> steps,
                 std::size_t i) {
    if (i == steps->size()) {
      if (!link.subscriber) {
        ready(link);
        return;
      }
      std::vector<std::string> subscribe{"SUBSCRIBE"};
      for (const auto& s : subscriptions) subscribe.push_back(s.channel);
      std::vector<const char*> argv;
      for (const auto& a : subscribe) argv.push_back(a.c_str());
      redisAsyncCommandArgv(link.ac, &Impl::on_message, &link, static_cast<int>(argv.size()), argv.data(), nullptr);
      return;  // up once Redis confirms (dispatch)
    }
    send(link, (*steps)[i], [this, &link, generation, steps, i](RedisReply r) {
      if (generation != link.generation || !link.ac) return;
      if (r.is_error()) {
        drop(link, (*steps)[i][0] + ": " + r.text);
        return;
      }
      run_steps(link, generation, steps, i + 1);
    });
  }

  void ready(Link& link) {
    link.up = true;
    link.deadline.cancel();
    link.backoff = kRetryFirst;
    if (!link.ever_up || link.reported_down) spdlog::info("cluster: Redis {} {} connection up", where(), link.name());
    link.ever_up = true;
    link.reported_down = false;
    if (link.subscriber) return;
    connected = true;
    for (const auto& handler : connected_handlers) handler();
  }

  // Closes a connection that hiredis still holds (timeouts); its pending commands get errors.
  void drop(Link& link, const std::string& why) {
    if (auto* ac = link.ac) {
      link.ac = nullptr;
      redisAsyncFree(ac);
    }
    down(link, why);
  }

  void down(Link& link, const std::string& why) {
    link.up = false;
    link.pending = 0;
    link.watcher.reset();
    link.deadline.cancel();
    ++link.generation;
    if (!link.subscriber) connected = false;
    if (stopping) return;
    if (!link.reported_down) {
      spdlog::warn("cluster: Redis {} {} connection down ({}); reconnecting", where(), link.name(), why);
      link.reported_down = true;
    }
    link.retry.expires_after(link.backoff);
    link.backoff = std::min(link.backoff * 2, kRetryMax);
    link.retry.async_wait([this, &link](const boost::system::error_code& ec) {
      if (!ec) connect(link);
    });
  }

  // A Redis that accepted the connection but stopped answering (a frozen host) is left for another try.
  void watch() {
    watchdog.expires_after(std::chrono::seconds(1));
    watchdog.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (commands.ac && commands.pending > 0 && Clock::now() - commands.progress > kAnswerTimeout) {
        drop(commands, "no answer for 5 s");
        drop(subscriber, "the command connection timed out");
      }
      watch();
    });
  }

  void schedule(Periodic& p) {
    p.timer->expires_after(p.period);
    p.timer->async_wait([this, &p](const boost::system::error_code& ec) {
      if (ec) return;
      p.task();
      schedule(p);
    });
  }
};

RedisClient::RedisClient(config::RedisAddress address) : impl_(std::make_unique<Impl>(std::move(address))) {}

RedisClient::~RedisClient() { stop(); }

void RedisClient::on_connected(std::function<void()> handler) {
  impl_->connected_handlers.push_back(std::move(handler));
}

void RedisClient::every(std::chrono::milliseconds period, std::function<void()> task) {
  impl_->periodic.push_back({period, std::move(task), std::make_unique<asio::steady_timer>(impl_->io)});
}

void RedisClient::subscribe(std::string channel, std::function<void(const std::string&)> on_message,
                            std::function<void()> on_subscribed) {
  impl_->subscriptions.push_back({std::move(channel), std::move(on_message), std::move(on_subscribed)});
}

void RedisClient::start() {
  auto& impl = *impl_;
  impl.work.emplace(impl.io.get_executor());
  asio::post(impl.io, [&impl] {
    impl.connect(impl.commands);
    if (!impl.subscriptions.empty()) impl.connect(impl.subscriber);
    for (auto& p : impl.periodic) impl.schedule(p);
    impl.watch();
  });
  impl.thread = std::thread([&impl] { impl.io.run(); });
}

void RedisClient::stop() {
  auto& impl = *impl_;
  if (!impl.thread.joinable()) return;
  asio::post(impl.io, [&impl] {
    impl.stopping = true;
    impl.watchdog.cancel();
    for (auto& p : impl.periodic) p.timer->cancel();
    for (auto* link : {&impl.commands, &impl.subscriber}) {
      link->retry.cancel();
      impl.drop(*link, "stopping");
    }
    impl.io.stop();  // replies still queued are not delivered
  });
  impl.thread.join();
}

void RedisClient::command(std::vector<std::string> args, std::function<void(RedisReply)> done) {
  asio::post(impl_->io, [impl = impl_.get(), args = std::move(args), done = std::move(done)]() mutable {
    if (!impl->commands.up) {
      done(RedisReply::error("Redis not connected"));
      return;
    }
    impl->send(impl->commands, args, std::move(done));
  });
}

void RedisClient::script(const std::string& text, std::vector<std::string> keys, std::vector<std::string> args,
                         std::function<void(RedisReply)> done) {
  std::vector<std::string> tail{std::to_string(keys.size())};
  tail.insert(tail.end(), keys.begin(), keys.end());
  tail.insert(tail.end(), args.begin(), args.end());
  std::vector<std::string> by_sha{"EVALSHA", sha1_hex(text)};
  by_sha.insert(by_sha.end(), tail.begin(), tail.end());
  command(std::move(by_sha), [this, text, tail, done = std::move(done)](RedisReply r) mutable {
    if (!r.is_error() || r.text.rfind("NOSCRIPT", 0) != 0) {
      done(std::move(r));
      return;
    }
    std::vector<std::string> by_text{"EVAL", text};
    by_text.insert(by_text.end(), tail.begin(), tail.end());
    command(std::move(by_text), std::move(done));
  });
}

namespace {

RedisReply wait_for(std::future<RedisReply> answer, std::chrono::milliseconds timeout) {
  if (answer.wait_for(timeout) != std::future_status::ready) return RedisReply::error("Redis did not answer in time");
  return answer.get();
}

}  // namespace

RedisReply RedisClient::call(std::vector<std::string> args, std::chrono::milliseconds timeout) {
  if (std::this_thread::get_id() == impl_->thread.get_id()) return RedisReply::error("call() on the Redis thread");
  auto promise = std::make_shared<std::promise<RedisReply>>();
  auto answer = promise->get_future();
  command(std::move(args), [promise](RedisReply r) { promise->set_value(std::move(r)); });
  return wait_for(std::move(answer), timeout);
}

RedisReply RedisClient::call_script(const std::string& text, std::vector<std::string> keys,
                                    std::vector<std::string> args, std::chrono::milliseconds timeout) {
  if (std::this_thread::get_id() == impl_->thread.get_id()) return RedisReply::error("call() on the Redis thread");
  auto promise = std::make_shared<std::promise<RedisReply>>();
  auto answer = promise->get_future();
  script(text, std::move(keys), std::move(args), [promise](RedisReply r) { promise->set_value(std::move(r)); });
  return wait_for(std::move(answer), timeout);
}

void RedisClient::post(std::function<void()> task) { asio::post(impl_->io, std::move(task)); }

bool RedisClient::connected() const { return impl_->connected.load(); }

std::string RedisClient::address() const { return impl_->where(); }

}  // namespace liveorigin::cluster
