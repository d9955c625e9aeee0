#include "liveorigin/cluster/state_sync.hpp"

#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "liveorigin/common/log.hpp"
#include "liveorigin/store/channels.hpp"
#include "liveorigin/store/stream_status.hpp"

namespace liveorigin::cluster {

using nlohmann::json;

namespace {

constexpr auto kApiWait = std::chrono::seconds(2);

void check(const RedisReply& reply) {
  if (reply.is_error()) throw std::runtime_error("cluster registry (Redis): " + reply.text);
}

std::vector<hub::StreamKey> keys_of(const std::vector<std::string>& names) {
  std::vector<hub::StreamKey> out;
  for (const auto& name : names) {
    if (auto key = parse_stream_key(name)) out.push_back(std::move(*key));
  }
  return out;
}

}  // namespace

StateSync::StateSync(RedisClient& client, std::string node_id, access::Access& access, hub::Hub& hub,
                     store::Database& database, config::ConfigStore& config, Keys keys)
    : client_(client), node_id_(std::move(node_id)), access_(access), hub_(hub), database_(database),
      config_(config), keys_(std::move(keys)) {
  client_.subscribe(keys_.events(), [this](const std::string& message) { on_event(message); },
                    [this] { reload(); });
}

void StateSync::require_connected() const {
  if (!client_.connected()) throw std::runtime_error("the cluster registry (Redis " + client_.address() + ") is unreachable");
}

void StateSync::publish(const std::string& event) { check(client_.call({"PUBLISH", keys_.events(), event}, kApiWait)); }

void StateSync::set_status(const hub::StreamKey& key, bool disabled, const std::string& changed_by) {
  check(disabled ? client_.call({"HSET", keys_.disabled(), key.str(), changed_by}, kApiWait)
                 : client_.call({"HDEL", keys_.disabled(), key.str()}, kApiWait));
  publish(json{{"type", "status"}, {"app", key.app}, {"stream", key.name}, {"disabled", disabled},
               {"by", changed_by}, {"from", node_id_}}.dump());
}

void StateSync::drop(const hub::StreamKey& key, const std::string& node) {
  publish(json{{"type", "drop"}, {"app", key.app}, {"stream", key.name}, {"node", node}, {"from", node_id_}}.dump());
}

void StateSync::channel_added(const hub::StreamKey& key) {
  check(client_.call({"SADD", keys_.channels(), key.str()}, kApiWait));
  publish(json{{"type", "channel"}, {"op", "add"}, {"app", key.app}, {"stream", key.name}, {"from", node_id_}}.dump());
}

void StateSync::channel_removed(const hub::StreamKey& key) {
  check(client_.call({"SREM", keys_.channels(), key.str()}, kApiWait));
  publish(json{{"type", "channel"}, {"op", "remove"}, {"app", key.app}, {"stream", key.name}, {"from", node_id_}}.dump());
}

void StateSync::on_event(const std::string& message) {
  const auto event = json::parse(message, nullptr, false);
  if (!event.is_object()) return;
  const auto type = event.value("type", "");
  const auto key = parse_stream_key(event.value("app", "") + "/" + event.value("stream", ""));
  if (!key) return;
  const bool from_here = event.value("from", "") == node_id_;
  if (type == "status") {
    const bool disabled = event.value("disabled", false);
    access_.set_disabled(*key, disabled);
    if (!from_here) {
      store::StreamStatus row{key->app, key->name, disabled ? "disabled" : "enabled",
                              event.value("by", "cluster"), access::unix_now()};
      database_.post([row](store::Connection& c) { store::save_stream_status(c, row); });
    }
    if (disabled) {
      if (auto live = hub_.find(*key)) {
        spdlog::info("cluster: {} disabled through node '{}', publisher cut", log_text(key->str()),
                     log_text(event.value("from", "")));
        live->stop("disabled");
      }
    }
  } else if (type == "drop") {
    if (event.value("node", "") != node_id_) return;
    if (auto live = hub_.find(*key)) {
      spdlog::info("cluster: {} dropped through node '{}'", log_text(key->str()), log_text(event.value("from", "")));
      live->stop("dropped");
    }
  } else if (type == "channel") {
    const bool add = event.value("op", "") == "add";
    if (add) {
      access_.add_channel(*key);
    } else {
      access_.remove_channel(*key);
    }
    if (!from_here) {
      database_.post([add, channel = store::Channel{key->app, key->name, access::unix_now()}](store::Connection& c) {
        if (add) {
          store::insert_channel(c, channel, 0);
        } else {
          store::delete_channel(c, channel.app, channel.id);
        }
      });
    }
    const auto* app = config_.get()->find_app(key->app);
    if (!add && app && app->mode == config::AppMode::channel) {
      if (auto live = hub_.find(*key)) live->stop("dropped");
    }
  }
}

void StateSync::reload() {
  // The first node to find an empty Redis copies its own statuses and channels there, so that a
  // single node turned into a cluster keeps them.
  client_.command({"SET", keys_.prefix + "seeded", node_id_, "NX"}, [this](const RedisReply& seeded) {
    if (seeded.type == RedisReply::Type::status) {
      const auto [disabled, channels] = database_.call([](store::Connection& c) {
        std::vector<std::string> off, ids;
        for (const auto& row : store::load_stream_statuses(c)) {
          if (row.status == "disabled") off.push_back(row.app + "/" + row.stream);
        }
        for (const auto& channel : store::list_channels(c)) ids.push_back(channel.app + "/" + channel.id);
        return std::pair{off, ids};
      });
      for (const auto& name : disabled) client_.command({"HSET", keys_.disabled(), name, "seed"}, [](const RedisReply&) {});
      for (const auto& name : channels) client_.command({"SADD", keys_.channels(), name}, [](const RedisReply&) {});
      spdlog::info("cluster: Redis was empty; {} disabled stream(s) and {} channel(s) copied there from this node",
                   disabled.size(), channels.size());
    }
    client_.command({"HKEYS", keys_.disabled()}, [this](const RedisReply& off) {
      client_.command({"SMEMBERS", keys_.channels()}, [this, off](const RedisReply& ids) {
        if (off.type != RedisReply::Type::array || ids.type != RedisReply::Type::array) return;
        std::vector<std::string> off_names, channel_names;
        for (const auto& e : off.elements) off_names.push_back(e.text);
        for (const auto& e : ids.elements) channel_names.push_back(e.text);
        const auto disabled = keys_of(off_names);
        const auto channels = keys_of(channel_names);
        access_.load(disabled, channels);
        for (const auto& key : disabled) {
          if (auto live = hub_.find(key)) live->stop("disabled");
        }
        // The node's store follows the cluster's copy (the API's offline lists read it).
        database_.post([disabled, channels](store::Connection& c) {
          const std::set<hub::StreamKey> off_set(disabled.begin(), disabled.end());
          for (const auto& row : store::load_stream_statuses(c)) {
            if (row.status == "disabled" && !off_set.contains({row.app, row.stream})) {
              store::save_stream_status(c, {row.app, row.stream, "enabled", "cluster", access::unix_now()});
            }
          }
          for (const auto& key : disabled) {
            const auto row = store::find_stream_status(c, key.app, key.name);
            if (!row || row->status != "disabled") {
              store::save_stream_status(c, {key.app, key.name, "disabled", "cluster", access::unix_now()});
            }
          }
          const std::set<hub::StreamKey> ids(channels.begin(), channels.end());
          for (const auto& channel : store::list_channels(c)) {
            if (!ids.contains({channel.app, channel.id})) store::delete_channel(c, channel.app, channel.id);
          }
          for (const auto& key : channels) store::insert_channel(c, {key.app, key.name, access::unix_now()}, 0);
        });
        spdlog::info("cluster: {} disabled stream(s) and {} channel(s) loaded from Redis", disabled.size(),
                     channels.size());
      });
    });
  });
}

}  // namespace liveorigin::cluster
