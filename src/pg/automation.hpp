// Automation rules (docs/automation.md).
#pragma once

namespace pgcrm::pg {

// pgcrm.automation_max_depth and pgcrm.automation_depth; called from _PG_init.
void define_automation_settings();

}  // namespace pgcrm::pg
