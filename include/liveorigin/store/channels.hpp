// Channels: the streams an app in channel mode accepts. Functions run on the store thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "liveorigin/store/database.hpp"

namespace liveorigin::store {

struct Channel {
  std::string app, id;
  std::int64_t created_at = 0;  // Unix seconds
};

enum class ChannelInsert { created, exists, quota_reached };

// All channels, or those of one app when `app` is set; by app, then creation time.
std::vector<Channel> list_channels(Connection& c, std::optional<std::string_view> app = std::nullopt);
std::optional<Channel> find_channel(Connection& c, std::string_view app, std::string_view id);
int count_channels(Connection& c, std::string_view app);
// Checks the quota (max_channels 0 = unlimited) and inserts, in one store job.
ChannelInsert insert_channel(Connection& c, const Channel& channel, int max_channels);
bool delete_channel(Connection& c, std::string_view app, std::string_view id);

}  // namespace liveorigin::store
