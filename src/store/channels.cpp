#include "liveorigin/store/channels.hpp"

namespace liveorigin::store {

std::vector<Channel> list_channels(Connection& c, std::optional<std::string_view> app) {
  auto s = c.prepare(app ? "SELECT app, id, created_at FROM channels WHERE app = ? ORDER BY created_at, id"
                         : "SELECT app, id, created_at FROM channels ORDER BY app, created_at, id");
  if (app) s.bind(1, *app);
  std::vector<Channel> out;
  while (s.step()) out.push_back({s.column_text(0), s.column_text(1), s.column_int(2)});
  return out;
}

std::optional<Channel> find_channel(Connection& c, std::string_view app, std::string_view id) {
  auto s = c.prepare("SELECT app, id, created_at FROM channels WHERE app = ? AND id = ?");
  s.bind(1, app).bind(2, id);
  if (!s.step()) return std::nullopt;
  return Channel{s.column_text(0), s.column_text(1), s.column_int(2)};
}

int count_channels(Connection& c, std::string_view app) {
  auto s = c.prepare("SELECT COUNT(*) FROM channels WHERE app = ?");
  s.bind(1, app);
  s.step();
  return static_cast<int>(s.column_int(0));
}

ChannelInsert insert_channel(Connection& c, const Channel& channel, int max_channels) {
  if (find_channel(c, channel.app, channel.id)) return ChannelInsert::exists;
  if (max_channels > 0 && count_channels(c, channel.app) >= max_channels) return ChannelInsert::quota_reached;
  auto s = c.prepare("INSERT INTO channels (app, id, created_at) VALUES (?, ?, ?)");
  s.bind(1, channel.app).bind(2, channel.id).bind(3, channel.created_at);
  s.run();
  return ChannelInsert::created;
}

bool delete_channel(Connection& c, std::string_view app, std::string_view id) {
  auto s = c.prepare("DELETE FROM channels WHERE app = ? AND id = ?");
  s.bind(1, app).bind(2, id);
  s.run();
  return c.changes() > 0;
}

}  // namespace liveorigin::store
