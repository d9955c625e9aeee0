// The hub with a registry shared by other nodes: its claim answers later, from another thread;
// it may find the name taken behind the holder's back (the holder stops, "replaced"); it may be
// unreachable (the publish is refused with that outcome).
#include <gtest/gtest.h>

#include <thread>

#include "liveorigin/hub/hub.hpp"
#include "manual_loop.hpp"

namespace liveorigin::hub {
namespace {

// Keeps each claim until the test answers it, as a registry across the network would.
class LaterRegistry : public StreamRegistry {
 public:
  void claim(ClaimRequest request, std::function<void(ClaimResult)> done) override {
    requests.push_back(std::move(request));
    answers.push_back(std::move(done));
  }
  void renew(const StreamKey&, std::uint64_t, std::function<void(bool)> done) override { done(true); }
  void release(const StreamKey& key, std::uint64_t epoch) override { released.push_back(key.str() + " " + std::to_string(epoch)); }
  std::size_t size() const override { return 0; }

  // Answers the oldest claim from another thread, as a Redis client's thread does.
  void answer_from_another_thread(ClaimResult result) {
    auto done = std::move(answers.front());
    answers.erase(answers.begin());
    std::thread([&done, result] { done(result); }).join();
  }

  std::vector<ClaimRequest> requests;
  std::vector<std::function<void(ClaimResult)>> answers;
  std::vector<std::string> released;
};

class SharedRegistryTest : public ::testing::Test {
 protected:
  void publish(std::function<void(const std::string&)> on_stop = {}) {
    hub.publish({{"live", "s"}, &loop, {"1.2.3.4", "rtmp", 0, {}}, {}, config, config->find_app("live"), {}, on_stop},
                [this](PublishResult r) { result = std::move(r); });
  }

  LaterRegistry registry;
  Hub hub{registry};
  testing::ManualLoop loop;
  std::shared_ptr<const config::Config> config = std::make_shared<const config::Config>(config::default_config());
  std::optional<PublishResult> result;
};

TEST_F(SharedRegistryTest, ALaterGrantContinuesOnTheSourceLoop) {
  publish();
  EXPECT_FALSE(result);  // nothing until the registry answers
  ClaimResult granted;
  granted.outcome = ClaimResult::Outcome::granted;
  granted.epoch = 7;
  registry.answer_from_another_thread(granted);
  EXPECT_FALSE(result);  // posted to the source's loop, not run on the registry's thread
  loop.run();
  ASSERT_TRUE(result);
  ASSERT_TRUE(result->publication);
  EXPECT_EQ(result->publication.epoch(), 7u);
  EXPECT_TRUE(hub.find({"live", "s"}));
  result->publication.end("closed");
  EXPECT_EQ(registry.released, (std::vector<std::string>{"live/s 7"}));
}

TEST_F(SharedRegistryTest, ALostClaimStopsTheHolderAsReplaced) {
  std::string reason;
  publish([&reason](const std::string& r) { reason = r; });
  ClaimResult granted;
  granted.outcome = ClaimResult::Outcome::granted;
  granted.epoch = 3;
  registry.answer_from_another_thread(granted);
  loop.run();
  ASSERT_TRUE(result && result->publication);
  ASSERT_TRUE(registry.requests.front().on_lost);
  std::thread([&] { registry.requests.front().on_lost("replaced"); }).join();
  loop.run();
  EXPECT_EQ(reason, "replaced");
}

TEST_F(SharedRegistryTest, AnUnreachableRegistryRefuses) {
  publish();
  ClaimResult unavailable;
  unavailable.outcome = ClaimResult::Outcome::unavailable;
  registry.answer_from_another_thread(unavailable);
  loop.run();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->claim.outcome, ClaimResult::Outcome::unavailable);
  EXPECT_FALSE(result->publication);
  EXPECT_FALSE(hub.find({"live", "s"}));
}

}  // namespace
}  // namespace liveorigin::hub

namespace liveorigin::hub {
namespace {

// A pulled stream (a cluster node playing another node's stream for its players): the registry is
// neither asked nor told; the name live here refuses it; a local publisher replaces it.
class PullTest : public SharedRegistryTest {
 protected:
  std::optional<PublishResult> pull() {
    std::optional<PublishResult> out;
    hub.publish({{"live", "s"}, &loop, {"10.0.0.5", "rtmp", 0, "node-a"}, {}, config, config->find_app("live"), {},
                 [this](const std::string& reason) { pull_stopped = reason; }},
                [&out](PublishResult r) { out = std::move(r); });
    return out;
  }
  std::string pull_stopped;
};

TEST_F(PullTest, APullClaimsNothingAndReleasesNothing) {
  auto pulled = pull();
  ASSERT_TRUE(pulled);  // at once: no registry to wait for
  ASSERT_TRUE(pulled->claim.granted());
  EXPECT_TRUE(registry.requests.empty());
  ASSERT_EQ(hub.find({"live", "s"}).get(), &pulled->publication.stream());
  EXPECT_EQ(hub.find({"live", "s"})->publisher().pulled_from, "node-a");
  EXPECT_FALSE(pull()->claim.granted());  // one pulled stream per name here
  pulled->publication.end("closed");
  EXPECT_EQ(hub.find({"live", "s"}), nullptr);
  EXPECT_TRUE(registry.released.empty());
}

TEST_F(PullTest, ALocalPublisherReplacesThePulledStream) {
  auto pulled = pull();
  ASSERT_TRUE(pulled && pulled->claim.granted());
  publish();
  ClaimResult granted;
  granted.outcome = ClaimResult::Outcome::granted;
  granted.epoch = 3;
  registry.answer_from_another_thread(granted);
  loop.run();
  ASSERT_TRUE(result && result->claim.granted());
  EXPECT_EQ(pull_stopped, "replaced");
  EXPECT_EQ(hub.find({"live", "s"}).get(), &result->publication.stream());
  pulled->publication.end("replaced");  // the pull ends: the publisher's stream stays registered
  EXPECT_EQ(hub.find({"live", "s"}).get(), &result->publication.stream());
  EXPECT_TRUE(registry.released.empty());
}

}  // namespace
}  // namespace liveorigin::hub
