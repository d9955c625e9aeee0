// A Redis client on its own thread: hiredis' asynchronous API driven by an Asio loop, two
// connections (commands, and pub/sub, which Redis keeps apart), each reconnecting by itself.
// Nothing here blocks a caller except call(), which is for the API thread only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "liveorigin/config/config.hpp"

namespace liveorigin::cluster {

// One Redis reply as plain values.
struct RedisReply {
  enum class Type { nil, integer, string, status, error, array };
  Type type = Type::nil;
  long long integer = 0;
  std::string text;  // string, status and error replies
  std::vector<RedisReply> elements;

  bool is_error() const { return type == Type::error; }
  static RedisReply error(std::string why) { return {Type::error, 0, std::move(why), {}}; }
};

class RedisClient {
 public:
  explicit RedisClient(config::RedisAddress address);
  ~RedisClient();  // stop()
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Before start(): run on the client's thread each time the command connection is ready (after
  // a reconnect too), every `period`, and for each message of a channel (subscribed again after a
  // reconnect; `on_subscribed` runs once the subscription is confirmed, to catch up on what was
  // missed meanwhile).
  void on_connected(std::function<void()> handler);
  void every(std::chrono::milliseconds period, std::function<void()> task);
  void subscribe(std::string channel, std::function<void(const std::string& message)> on_message,
                 std::function<void()> on_subscribed);

  void start();
  // Closes both connections and joins the thread; replies still pending are not delivered.
  void stop();

  // Any thread. `done` runs on the client's thread; when the command connection is down it gets
  // an error reply at once ("Redis not connected").
  void command(std::vector<std::string> args, std::function<void(RedisReply)> done);
  // Runs a Lua script by its SHA1 (EVALSHA), sending its text (EVAL) only when Redis does not
  // know it yet.
  void script(const std::string& text, std::vector<std::string> keys, std::vector<std::string> args,
              std::function<void(RedisReply)> done);
  // Waits for the reply at most `timeout` (then an error reply). Never on a media thread.
  RedisReply call(std::vector<std::string> args, std::chrono::milliseconds timeout);
  RedisReply call_script(const std::string& text, std::vector<std::string> keys, std::vector<std::string> args,
                         std::chrono::milliseconds timeout);
  // Runs `task` on the client's thread.
  void post(std::function<void()> task);

  bool connected() const;  // the command connection is up (any thread)
  std::string address() const;  // "HOST:PORT" for log lines

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace liveorigin::cluster
