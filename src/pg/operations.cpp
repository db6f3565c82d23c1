// Operations (docs/operations.md): the trigger that lets a restore load rows
// as they were dumped; cron schedules moved between zones and stepped
// (src/core/operations); the statement timeout of one warehouse job.
#include "operations.hpp"

#include <string>
#include <string_view>

#include "core/operations.hpp"
#include "guard.hpp"

extern "C" {
#include "commands/trigger.h"
#include "datatype/timestamp.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/rls.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
}

namespace ops = pgcrm::operations;
using pgcrm::pg::guard;
using pgcrm::pg::pg_call;

namespace pgcrm::pg {

bool restoring() {
    // search_path, which pg_dump empties too, is no sign: pgcrm's functions set their own.
    if (row_security || check_function_bodies || !debug_query_string) return false;
    const char* q = debug_query_string;
    while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') ++q;
    return pg_strncasecmp(q, "COPY", 4) == 0 && superuser();
}

char* job_log_retention = nullptr;

void define_operations_settings() {
    DefineCustomStringVariable("pgcrm.job_log_retention", "How long the warehouse job logs are kept.",
                               "The housekeeping job deletes runs of crm_dw.etl_run, and pgcrm's rows of "
                               "cron.job_run_details, older than this interval.",
                               &job_log_retention, "30 days", PGC_SUSET, 0, nullptr, nullptr, nullptr);
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

namespace {

std::string_view text_view(const text* t) { return {VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)}; }

Datum text_datum(const std::string& s) {
    return pg_call([&] { return PointerGetDatum(cstring_to_text_with_len(s.data(), static_cast<int>(s.size()))); });
}

// Whether a job's timeout is armed, by which statement (an aborted statement
// may never have ended it), and that statement's own deadline, if it has one.
bool job_timeout_armed = false;
TimestampTz armed_by_statement;
bool outer_timeout_active = false;
TimestampTz outer_deadline;

bool armed_in_this_statement() {
    return job_timeout_armed && armed_by_statement == GetCurrentStatementStartTimestamp();
}

}  // namespace

// crm_dw.cron_shift(schedule, minutes): the schedule for a zone `minutes` ahead.
PGCRM_FUNCTION(pgcrm_cron_shift) {
    const std::string_view schedule = text_view(PG_GETARG_TEXT_PP(0));
    const int minutes = PG_GETARG_INT32(1);
    return guard([&] { return text_datum(ops::format_cron(ops::shift(ops::parse_cron(std::string(schedule)), minutes))); });
}

// crm_dw.cron_next(schedule, after): the next run after a civil time, in the
// schedule's own zone.
PGCRM_FUNCTION(pgcrm_cron_next) {
    const std::string_view schedule = text_view(PG_GETARG_TEXT_PP(0));
    const Timestamp after = PG_GETARG_TIMESTAMP(1);
    pg_tm tm;
    fsec_t fsec;
    if (TIMESTAMP_NOT_FINITE(after) || timestamp2tm(after, nullptr, &tm, &fsec, nullptr, nullptr) != 0)
        ereport(ERROR, (errcode(ERRCODE_DATETIME_FIELD_OVERFLOW), errmsg("no cron run follows an infinite time"),
                        errhint("Give a time between the years 1400 and 9998.")));
    const ops::CivilMinute run = guard([&] {
        return ops::next_run(ops::parse_cron(std::string(schedule)),
                             {tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min});
    });
    pg_tm out{};
    out.tm_year = run.year;
    out.tm_mon = run.month;
    out.tm_mday = run.day;
    out.tm_hour = run.hour;
    out.tm_min = run.minute;
    Timestamp result;
    if (tm2timestamp(&out, 0, nullptr, &result) != 0)
        ereport(ERROR, (errcode(ERRCODE_DATETIME_FIELD_OVERFLOW), errmsg("the next cron run is out of range")));
    PG_RETURN_TIMESTAMP(result);
}

// crm_dw.start_job_timeout(timeout): from now on the statement is cancelled
// when the job's timeout or the statement's own statement_timeout runs out,
// whichever is first; returns the job's deadline. A statement's timeout is
// armed once, when it starts, so setting statement_timeout inside a job would
// do nothing.
PGCRM_FUNCTION(pgcrm_start_job_timeout) {
    const Interval* timeout = PG_GETARG_INTERVAL_P(0);
    const int64 usecs = timeout->time + (timeout->day + int64{timeout->month} * DAYS_PER_MONTH) * USECS_PER_DAY;
    if (usecs <= 0 || usecs > int64{INT_MAX} * 1000)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("a job's statement timeout must be between 1 ms and 24 days, not %s",
                               DatumGetCString(DirectFunctionCall1(interval_out, PG_GETARG_DATUM(0))))));
    if (!armed_in_this_statement()) {
        armed_by_statement = GetCurrentStatementStartTimestamp();
        outer_timeout_active = get_timeout_active(STATEMENT_TIMEOUT);
        if (outer_timeout_active) outer_deadline = get_timeout_finish_time(STATEMENT_TIMEOUT);
    }
    const TimestampTz deadline = GetCurrentTimestamp() + usecs;
    enable_timeout_at(STATEMENT_TIMEOUT, outer_timeout_active ? Min(deadline, outer_deadline) : deadline);
    job_timeout_armed = true;
    PG_RETURN_TIMESTAMPTZ(deadline);
}

// crm_dw.end_job_timeout(): the statement's own timeout again, if it had one.
// Once per start: a second call changes nothing.
PGCRM_FUNCTION(pgcrm_end_job_timeout) {
    (void)fcinfo;
    if (!armed_in_this_statement()) PG_RETURN_VOID();
    job_timeout_armed = false;
    if (outer_timeout_active)
        enable_timeout_at(STATEMENT_TIMEOUT, outer_deadline);
    else
        disable_timeout(STATEMENT_TIMEOUT, false);
    outer_timeout_active = false;
    PG_RETURN_VOID();
}
