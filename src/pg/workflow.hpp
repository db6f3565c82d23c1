#pragma once

namespace pgcrm::pg {

// Registers the relcache callback that drops cached workflow rules when the
// workflow tables change. Called once from _PG_init.
void register_workflow_cache();

}  // namespace pgcrm::pg
