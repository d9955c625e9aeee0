// The callbacks outbox in the management API: GET /api/v1/callbacks?state=pending|failed|delivered
// (&limit=N, newest first) lists entries; POST /api/v1/callbacks/ID/retry requeues a failed one.
#pragma once

#include "liveorigin/api/router.hpp"
#include "liveorigin/notify/notifier.hpp"

namespace liveorigin::api {

void add_callback_routes(Router& router, notify::Notifier& notifier);

// An outbox entry as the API shows it (the payload as a JSON object).
nlohmann::json callback_json(const notify::OutboxEntry& entry);

}  // namespace liveorigin::api
