// Automation rules (docs/automation.md): the depth limit that stops rules
// from firing each other forever. The rules themselves are SQL (sql/automation).
#include "automation.hpp"

#include "postgres.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace pgcrm::pg {

namespace {
int max_depth = 8;
int depth = 0;
}  // namespace

void define_automation_settings() {
    DefineCustomIntVariable("pgcrm.automation_max_depth", "How deep automation rules may fire each other.",
                            "A rule's action that emits an event fires the rules of that event one level deeper; "
                            "a rule past this depth fails with PC044.",
                            &max_depth, 8, 1, 100, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    // Set transaction-locally by pgcrm while a rule runs, so a failed rule's
    // subtransaction puts it back by itself.
    DefineCustomIntVariable("pgcrm.automation_depth", "The depth of the automation rule running now (set by pgcrm).",
                            nullptr, &depth, 0, 0, 100, PGC_USERSET,
                            GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE, nullptr, nullptr, nullptr);
}

}  // namespace pgcrm::pg
