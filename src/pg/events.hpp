// The event outbox (docs/events.md).
#pragma once

namespace pgcrm::pg {

// pgcrm.emit_events and pgcrm.event_retention; called from _PG_init.
void define_events_settings();

}  // namespace pgcrm::pg
