// The event outbox (docs/events.md): its settings. Emitting, sequencing and
// consuming are SQL (sql/events).
#include "events.hpp"

#include "postgres.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace pgcrm::pg {

namespace {
bool emit_events = true;
char* event_retention = nullptr;
}  // namespace

void define_events_settings() {
    DefineCustomBoolVariable("pgcrm.emit_events", "Whether changes write events to the outbox crm.event.",
                             "Off only for a superuser's bulk load (crm.generate_demo_data sets it for itself): "
                             "changes made then have no event.",
                             &emit_events, true, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomStringVariable("pgcrm.event_retention",
                               "How long events, automation runs and inbound messages are kept.",
                               "The events job deletes acknowledged events older than this (a kind may set its own), "
                               "and inbound messages older than this; the automation job, finished runs.",
                               &event_retention, "30 days", PGC_SUSET, 0, nullptr, nullptr, nullptr);
}

}  // namespace pgcrm::pg
