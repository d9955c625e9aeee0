#include "liveorigin/common/log.hpp"

#include <gtest/gtest.h>

namespace liveorigin {
namespace {

TEST(LogText, PrintableAsciiPassesUnchanged) {
  EXPECT_EQ(log_text("live/cam-1_A.b?x=1&y=2 %20"), "live/cam-1_A.b?x=1&y=2 %20");
  EXPECT_EQ(log_text(""), "");
}

TEST(LogText, ControlAndNonAsciiBytesAreEscaped) {
  EXPECT_EQ(log_text("a\nb"), "a\\x0ab");
  EXPECT_EQ(log_text("a\r\nFAKE 2026 info x"), "a\\x0d\\x0aFAKE 2026 info x");
  EXPECT_EQ(log_text("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(log_text(std::string_view("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(log_text("\x7f"), "\\x7f");
  EXPECT_EQ(log_text("caf\xc3\xa9"), "caf\\xc3\\xa9");
  // The backslash too, so an escape in the log always means a byte the client sent.
  EXPECT_EQ(log_text("a\\x0ab"), "a\\x5cx0ab");
}

TEST(LogText, LongTextIsCutWithItsSize) {
  const std::string name(60000, 'n');
  const std::string shown = log_text(name);
  EXPECT_EQ(shown, std::string(200, 'n') + "...(60000 bytes)");
  EXPECT_EQ(log_text("abcdef", 3), "abc...(6 bytes)");
  EXPECT_EQ(log_text("abc", 3), "abc");
  // Escapes count against the input, so the output stays within 4 x max plus the suffix.
  EXPECT_LE(log_text(std::string(1000, '\n'), 10).size(), 40u + 20u);
}

}  // namespace
}  // namespace liveorigin
