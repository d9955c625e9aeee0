#include "liveorigin/common/log.hpp"

#include <spdlog/spdlog.h>

namespace liveorigin {

bool setup_logging(std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") return false;
  spdlog::set_level(parsed);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  return true;
}

}  // namespace liveorigin
