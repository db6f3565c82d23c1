// Backup and restore by the DBA's standard tools (docs/operations.md).
#pragma once

namespace pgcrm::pg {

// Whether the statement is a restore by pg_restore or psql of pg_dump's
// output: a superuser's COPY in a session with row_security and
// check_function_bodies off, as pg_dump's output sets them.
bool restoring();

// pgcrm.job_log_retention, read by the housekeeping job (sql/operations).
void define_operations_settings();

}  // namespace pgcrm::pg
