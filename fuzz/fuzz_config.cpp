// The YAML config loader: any text gives a Config or a ConfigError, never anything else.
#include <string_view>

#include "fuzz_util.hpp"
#include "liveorigin/config/config.hpp"

using namespace liveorigin;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::quiet();
  try {
    (void)config::parse_config(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  } catch (const config::ConfigError&) {
  }
  return 0;
}
