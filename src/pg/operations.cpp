// crm.restore_as_dumped(): the trigger that lets a restore load rows as they
// were dumped (docs/operations.md, "Backup and restore").
#include "operations.hpp"

#include "guard.hpp"

extern "C" {
#include "commands/trigger.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/rls.h"
}

namespace pgcrm::pg {

bool restoring() {
    // search_path, which pg_dump empties too, is no sign: pgcrm's functions set their own.
    if (row_security || check_function_bodies || !debug_query_string) return false;
    const char* q = debug_query_string;
    while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') ++q;
    return pg_strncasecmp(q, "COPY", 4) == 0 && superuser();
}

}  // namespace pgcrm::pg

// BEFORE INSERT FOR EACH STATEMENT on every table pg_dump dumps. A restoring
// COPY runs to its transaction's end as a data-only pg_restore with
// --disable-triggers would: no trigger and no foreign-key check fires, so rows
// arrive in any order (a parallel restore loads tables at once) and come back
// as they were, states, numbers, history and audit entries included. The dump
// is one snapshot of a database whose rules held.
PGCRM_FUNCTION(pgcrm_restore_as_dumped) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("crm.restore_as_dumped() must be called as a trigger")));
    if (pgcrm::pg::restoring())
        (void)set_config_option("session_replication_role", "replica", PGC_SUSET, PGC_S_SESSION,
                                GUC_ACTION_LOCAL, true, 0, false);
    return PointerGetDatum(nullptr);
}
