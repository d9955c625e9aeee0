// The schema, as an ordered list of migrations. Append only: a released migration never changes.
#pragma once

#include <string_view>
#include <vector>

namespace liveorigin::store {

struct Migration {
  int version;
  std::string_view sql;
};

const std::vector<Migration>& migrations();

}  // namespace liveorigin::store
