// Loaded once per backend: installs the hooks the rest of the glue relies on.
#include "billing.hpp"
#include "core/interrupt.hpp"
#include "automation.hpp"
#include "events.hpp"
#include "guard.hpp"
#include "operations.hpp"
#include "training.hpp"
#include "workflow.hpp"

extern "C" {
#include "utils/guc.h"

PG_MODULE_MAGIC;

void _PG_init(void);
void _PG_init(void) {
    pgcrm::set_interrupt_hook(pgcrm::pg::throw_if_interrupted);
    pgcrm::pg::register_workflow_cache();
    pgcrm::pg::define_training_settings();
    pgcrm::pg::define_operations_settings();
    pgcrm::pg::define_billing_settings();
    pgcrm::pg::define_events_settings();
    pgcrm::pg::define_automation_settings();
    MarkGUCPrefixReserved("pgcrm");
}
}
