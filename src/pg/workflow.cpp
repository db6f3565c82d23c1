// Workflow triggers: crm.workflow_trigger (enforces the rules and appends to
// crm.status_history) and crm.workflow_rules_changed (on the rule tables,
// invalidates every backend's cache). Checking a row runs no SQL: rules are
// cached per backend and the per-statement resolution is kept in fn_extra.
// History is written in bulk, one INSERT per statement (per 10,000 changes).
#include <memory>
#include <string_view>

#include "core/workflow.hpp"
#include "core/error.hpp"
#include "guard.hpp"
#include "operations.hpp"
#include "workflow.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "nodes/bitmapset.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/tuplestore.h"
#include "utils/array.h"
}

namespace wf = pgcrm::workflow;
using pgcrm::pg::guard;


namespace {

// The backend's rules; rebuilt on first use after an invalidation. The old set
// is freed only on that rebuild, never inside the callback, so a pointer taken
// at the start of a trigger call stays valid for the whole call.
std::unique_ptr<wf::Rules> rules;
bool rules_stale = true;
uint64 rules_generation = 0;
Oid rule_tables[3] = {InvalidOid, InvalidOid, InvalidOid};

void rules_invalidated(Datum, Oid relid) {
    if (relid == InvalidOid || relid == rule_tables[0] || relid == rule_tables[1] || relid == rule_tables[2]) {
        rules_stale = true;
        ++rules_generation;
    }
}

// The rule tables' rows, copied out of SPI into plain memory.
struct RuleRows {
    uint64 nstates = 0;
    char** state_workflow = nullptr;
    char** state_code = nullptr;  // NULL for a workflow without states
    bool* state_initial = nullptr;
    bool* state_final = nullptr;
    uint64 ntransitions = 0;
    char** tr_workflow = nullptr;
    char** tr_from = nullptr;
    char** tr_to = nullptr;
    char** tr_role = nullptr;  // NULL when no role is required
};

char* column_text(SPITupleTable* table, uint64 row, int col, MemoryContext into) {
    char* value = SPI_getvalue(table->vals[row], table->tupdesc, col);
    return value ? MemoryContextStrdup(into, value) : nullptr;
}

bool column_bool(SPITupleTable* table, uint64 row, int col) {
    bool isnull;
    Datum d = SPI_getbinval(table->vals[row], table->tupdesc, col, &isnull);
    return !isnull && DatumGetBool(d);
}

void read_rule_rows(RuleRows* rows, MemoryContext into) {
    Oid crm = get_namespace_oid("crm", false);
    rule_tables[0] = get_relname_relid("workflow", crm);
    rule_tables[1] = get_relname_relid("workflow_state", crm);
    rule_tables[2] = get_relname_relid("workflow_transition", crm);

    SPI_connect();
    if (SPI_execute("SELECT w.code, s.code, s.is_initial, s.is_final FROM crm.workflow w "
                    "LEFT JOIN crm.workflow_state s ON s.workflow = w.code ORDER BY w.code, s.sort_order, s.code",
                    true, 0) != SPI_OK_SELECT)
        elog(ERROR, "pgcrm: reading crm.workflow_state failed");
    SPITupleTable* t = SPI_tuptable;
    rows->nstates = SPI_processed;
    rows->state_workflow = static_cast<char**>(MemoryContextAlloc(into, sizeof(char*) * (rows->nstates + 1)));
    rows->state_code = static_cast<char**>(MemoryContextAlloc(into, sizeof(char*) * (rows->nstates + 1)));
    rows->state_initial = static_cast<bool*>(MemoryContextAlloc(into, sizeof(bool) * (rows->nstates + 1)));
    rows->state_final = static_cast<bool*>(MemoryContextAlloc(into, sizeof(bool) * (rows->nstates + 1)));
    for (uint64 i = 0; i < rows->nstates; ++i) {
        rows->state_workflow[i] = column_text(t, i, 1, into);
        rows->state_code[i] = column_text(t, i, 2, into);
        rows->state_initial[i] = column_bool(t, i, 3);
        rows->state_final[i] = column_bool(t, i, 4);
    }

    if (SPI_execute("SELECT workflow, from_state, to_state, required_role FROM crm.workflow_transition", true, 0) !=
        SPI_OK_SELECT)
        elog(ERROR, "pgcrm: reading crm.workflow_transition failed");
    t = SPI_tuptable;
    rows->ntransitions = SPI_processed;
    const size_t n = rows->ntransitions + 1;
    rows->tr_workflow = static_cast<char**>(MemoryContextAlloc(into, sizeof(char*) * n));
    rows->tr_from = static_cast<char**>(MemoryContextAlloc(into, sizeof(char*) * n));
    rows->tr_to = static_cast<char**>(MemoryContextAlloc(into, sizeof(char*) * n));
    rows->tr_role = static_cast<char**>(MemoryContextAlloc(into, sizeof(char*) * n));
    for (uint64 i = 0; i < rows->ntransitions; ++i) {
        rows->tr_workflow[i] = column_text(t, i, 1, into);
        rows->tr_from[i] = column_text(t, i, 2, into);
        rows->tr_to[i] = column_text(t, i, 3, into);
        rows->tr_role[i] = column_text(t, i, 4, into);
    }
    SPI_finish();
}

std::unique_ptr<wf::Rules> build_rules(const RuleRows& rows) {
    auto built = std::make_unique<wf::Rules>();
    wf::Workflow* current = nullptr;
    for (uint64 i = 0; i < rows.nstates; ++i) {
        if (!current || current->code() != rows.state_workflow[i]) current = &built->add(rows.state_workflow[i]);
        if (rows.state_code[i])
            current->add_state({rows.state_code[i], rows.state_initial[i], rows.state_final[i]});
    }
    for (uint64 i = 0; i < rows.ntransitions; ++i) {
        // Transitions reference states by foreign key, so the workflow exists.
        built->find(rows.tr_workflow[i])->add_transition(rows.tr_from[i], rows.tr_to[i], rows.tr_role[i] ? rows.tr_role[i] : "");
    }
    return built;
}

const wf::Rules& current_rules() {
    if (rules_stale || !rules) {
        MemoryContext scratch =
            AllocSetContextCreate(CurrentMemoryContext, "pgcrm workflow load", ALLOCSET_SMALL_SIZES);
        RuleRows* rows = static_cast<RuleRows*>(MemoryContextAllocZero(scratch, sizeof(RuleRows)));
        // An invalidation that arrives while we read bumps the generation;
        // the set stays stale then, and the next call reloads.
        const uint64 generation = rules_generation;
        read_rule_rows(rows, scratch);
        wf::Rules* fresh = guard([rows] { return build_rules(*rows).release(); });
        rules.reset(fresh);
        rules_stale = rules_generation != generation;
        MemoryContextDelete(scratch);
    }
    return *rules;
}

// What one trigger needs, resolved once per statement and kept in fn_extra.
struct TriggerInfo {
    uint64 generation;
    const wf::Workflow* workflow;
    const char* workflow_code;
    const char* table_name;  // schema-qualified and quoted
    AttrNumber status_att;
    bool record_history;
    int nkeys;
    AttrNumber key_att[INDEX_MAX_KEYS];
    FmgrInfo key_out[INDEX_MAX_KEYS];
};

// The places crm.create_workflow_triggers installs the trigger function: row
// triggers check, and the statement triggers after INSERT and UPDATE (with
// transition tables) check and record history for the whole statement at once.
// A row trigger after INSERT or UPDATE also records history, one row at a time.
enum class Firing { before_insert, after_insert, after_update, inserted, updated };

TriggerData* trigger_data(FunctionCallInfo fcinfo, Firing* firing) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("crm.workflow_trigger() must be called as a trigger")));
    TriggerData* td = reinterpret_cast<TriggerData*>(fcinfo->context);
    const TriggerEvent ev = td->tg_event;
    const bool row = TRIGGER_FIRED_FOR_ROW(ev);
    const bool after = TRIGGER_FIRED_AFTER(ev);
    if (row && TRIGGER_FIRED_BEFORE(ev) && TRIGGER_FIRED_BY_INSERT(ev))
        *firing = Firing::before_insert;
    else if (row && after && TRIGGER_FIRED_BY_INSERT(ev))
        *firing = Firing::after_insert;
    else if (row && after && TRIGGER_FIRED_BY_UPDATE(ev))
        *firing = Firing::after_update;
    else if (!row && after && TRIGGER_FIRED_BY_INSERT(ev) && td->tg_newtable)
        *firing = Firing::inserted;
    else if (!row && after && TRIGGER_FIRED_BY_UPDATE(ev) && td->tg_oldtable && td->tg_newtable)
        *firing = Firing::updated;
    else
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("crm.workflow_trigger() must fire FOR EACH ROW BEFORE INSERT, AFTER INSERT or AFTER "
                               "UPDATE, or FOR EACH STATEMENT AFTER INSERT or UPDATE with transition tables"),
                        errhint("Attach workflows with crm.attach_workflow().")));
    if (td->tg_trigger->tgnargs != 3)
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("crm.workflow_trigger() needs the arguments (workflow, status column, record history)"),
                        errhint("Attach workflows with crm.attach_workflow().")));
    return td;
}

TriggerInfo* trigger_info(FunctionCallInfo fcinfo, TriggerData* td) {
    auto* info = static_cast<TriggerInfo*>(fcinfo->flinfo->fn_extra);
    if (!info) {
        Relation rel = td->tg_relation;
        info = static_cast<TriggerInfo*>(MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(TriggerInfo)));
        info->workflow_code = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, td->tg_trigger->tgargs[0]);
        const char* column = td->tg_trigger->tgargs[1];
        if (!parse_bool(td->tg_trigger->tgargs[2], &info->record_history))
            ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                            errmsg("crm.workflow_trigger(): record history must be a boolean, not \"%s\"",
                                   td->tg_trigger->tgargs[2])));
        info->table_name = MemoryContextStrdup(
            fcinfo->flinfo->fn_mcxt, quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
                                                                RelationGetRelationName(rel)));
        info->status_att = SPI_fnumber(rel->rd_att, column);
        if (info->status_att <= 0)
            ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                            errmsg("status column \"%s\" of %s does not exist", column, info->table_name)));
        const Oid type = TupleDescAttr(rel->rd_att, info->status_att - 1)->atttypid;
        if (type != TEXTOID && type != VARCHAROID)
            ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                            errmsg("status column \"%s\" of %s must be text or varchar, not %s", column,
                                   info->table_name, format_type_be(type))));
        Bitmapset* keys = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
        for (int m = -1; (m = bms_next_member(keys, m)) >= 0 && info->nkeys < INDEX_MAX_KEYS;) {
            const AttrNumber att = m + FirstLowInvalidHeapAttributeNumber;
            Oid out;
            bool varlena;
            getTypeOutputInfo(TupleDescAttr(rel->rd_att, att - 1)->atttypid, &out, &varlena);
            info->key_att[info->nkeys] = att;
            fmgr_info_cxt(out, &info->key_out[info->nkeys], fcinfo->flinfo->fn_mcxt);
            ++info->nkeys;
        }
        info->generation = rules_generation - 1;  // forces the workflow lookup below
        fcinfo->flinfo->fn_extra = info;
    }
    if (info->generation != rules_generation || rules_stale) {
        const wf::Rules& all = current_rules();
        info->workflow = all.find(info->workflow_code);
        if (!info->workflow)
            ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                            errmsg("workflow \"%s\" attached to %s does not exist", info->workflow_code,
                                   info->table_name)));
        info->generation = rules_generation;
    }
    return info;
}

// The row's primary key as text: "42", or "(7,2026-01-01)" for a composite key.
char* row_key(const TriggerInfo* info, TupleTableSlot* row) {
    if (info->nkeys == 0) return pstrdup("(no primary key)");
    if (info->nkeys == 1) {
        bool isnull;
        Datum d = slot_getattr(row, info->key_att[0], &isnull);
        return isnull ? pstrdup("NULL") : OutputFunctionCall(const_cast<FmgrInfo*>(&info->key_out[0]), d);
    }
    StringInfoData buf;
    initStringInfo(&buf);
    appendStringInfoChar(&buf, '(');
    for (int i = 0; i < info->nkeys; ++i) {
        bool isnull;
        Datum d = slot_getattr(row, info->key_att[i], &isnull);
        if (i > 0) appendStringInfoChar(&buf, ',');
        appendStringInfoString(&buf, isnull ? "NULL" : OutputFunctionCall(const_cast<FmgrInfo*>(&info->key_out[i]), d));
    }
    appendStringInfoChar(&buf, ')');
    return buf.data;
}

// How messages name the row: "crm.task row 42", or "a new row of crm.task"
// while its key is not set yet (an INSERT whose key has no default).
const char* row_name(const TriggerInfo* info, TupleTableSlot* row) {
    bool keyed = false;
    for (int i = 0; i < info->nkeys && !keyed; ++i) keyed = !slot_attisnull(row, info->key_att[i]);
    if (!keyed && info->nkeys > 0) return psprintf("a new row of %s", info->table_name);
    return psprintf("%s row %s", info->table_name, row_key(info, row));
}

std::string_view text_view(Datum d) {
    text* t = DatumGetTextPP(d);
    return {VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)};
}

char* cstring(std::string_view s) { return pnstrdup(s.data(), s.size()); }

[[noreturn]] void reject(const TriggerInfo* info, wf::Verdict verdict, TupleTableSlot* row, std::string_view from,
                         std::string_view to) {
    const char* name = row_name(info, row);
    const wf::Workflow& w = *info->workflow;
    switch (verdict) {
        case wf::Verdict::unknown_state:
            ereport(ERROR, (errcode(PGCRM_ERRCODE(pgcrm::sqlstate::unknown_status)),
                            errmsg("unknown status \"%s\" for %s", cstring(to), name),
                            errdetail("Workflow \"%s\" has no such state.", info->workflow_code),
                            from.empty() ? errhint("Initial states: %s.", w.initial_states_text().c_str())
                                         : errhint("Allowed next states from \"%s\": %s.", cstring(from),
                                                   w.next_states_text(from).c_str())));
        case wf::Verdict::not_initial:
            ereport(ERROR, (errcode(PGCRM_ERRCODE(pgcrm::sqlstate::invalid_status_transition)),
                            errmsg("invalid status transition for %s: (new row) -> \"%s\"", name, cstring(to)),
                            errdetail("Workflow \"%s\": a new row must start in an initial state.",
                                      info->workflow_code),
                            errhint("Initial states: %s.", w.initial_states_text().c_str())));
        case wf::Verdict::leaves_final:
            ereport(ERROR, (errcode(PGCRM_ERRCODE(pgcrm::sqlstate::invalid_status_transition)),
                            errmsg("invalid status transition for %s: \"%s\" -> \"%s\"", name, cstring(from), cstring(to)),
                            errdetail("Workflow \"%s\": \"%s\" is a final state.", info->workflow_code,
                                      cstring(from)),
                            errhint("A final state cannot be left.")));
        default:
            ereport(ERROR, (errcode(PGCRM_ERRCODE(pgcrm::sqlstate::invalid_status_transition)),
                            errmsg("invalid status transition for %s: \"%s\" -> \"%s\"", name, cstring(from), cstring(to)),
                            errdetail("Workflow \"%s\" has no such transition.", info->workflow_code),
                            errhint("Allowed next states from \"%s\": %s.", cstring(from),
                                    w.next_states_text(from).c_str())));
    }
    pg_unreachable();
}

void require_role(const TriggerInfo* info, std::string_view role, TupleTableSlot* row, std::string_view from,
                  std::string_view to) {
    const char* name = cstring(role);
    const Oid roleid = get_role_oid(name, true);
    if (OidIsValid(roleid) && is_member_of_role(GetUserId(), roleid)) return;
    ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                    errmsg("permission denied for status transition for %s: \"%s\" -> \"%s\"", row_name(info, row),
                           cstring(from), cstring(to)),
                    errdetail("Workflow \"%s\": this transition requires membership in role \"%s\".",
                              info->workflow_code, name)));
}

// Status changes gathered into arrays and written to crm.status_history by
// one INSERT ... SELECT unnest(...): the statement triggers flush every
// `history_batch_rows` changes, so memory stays bounded on any statement.
constexpr int history_batch_rows = 10000;

struct HistoryBatch {
    MemoryContext context;
    ArrayBuildState* keys;
    ArrayBuildState* from;
    ArrayBuildState* to;
    int rows;
};

void history_start(HistoryBatch* batch) {
    batch->keys = initArrayResult(TEXTOID, batch->context, false);
    batch->from = initArrayResult(TEXTOID, batch->context, false);
    batch->to = initArrayResult(TEXTOID, batch->context, false);
    batch->rows = 0;
}

HistoryBatch* history_begin() {
    auto* batch = static_cast<HistoryBatch*>(palloc(sizeof(HistoryBatch)));
    batch->context = AllocSetContextCreate(CurrentMemoryContext, "pgcrm status history", ALLOCSET_DEFAULT_SIZES);
    history_start(batch);
    return batch;
}

// One change: the row's key and its status before (none for a new row) and after.
void history_add(HistoryBatch* batch, const TriggerInfo* info, TupleTableSlot* old_row, TupleTableSlot* new_row) {
    bool isnull;
    MemoryContext caller = MemoryContextSwitchTo(batch->context);
    accumArrayResult(batch->keys, CStringGetTextDatum(row_key(info, new_row)), false, TEXTOID, batch->context);
    MemoryContextSwitchTo(caller);
    Datum from = old_row ? slot_getattr(old_row, info->status_att, &isnull) : 0;
    accumArrayResult(batch->from, from, !old_row || isnull, TEXTOID, batch->context);
    Datum to = slot_getattr(new_row, info->status_att, &isnull);
    accumArrayResult(batch->to, to, isnull, TEXTOID, batch->context);
    ++batch->rows;
}

void history_flush(HistoryBatch* batch, const TriggerInfo* info) {
    static SPIPlanPtr insert_plan = nullptr;
    if (batch->rows == 0) return;
    MemoryContext caller = MemoryContextSwitchTo(batch->context);
    Datum values[5] = {CStringGetTextDatum(info->table_name), CStringGetTextDatum(info->workflow_code),
                       makeArrayResult(batch->keys, batch->context), makeArrayResult(batch->from, batch->context),
                       makeArrayResult(batch->to, batch->context)};
    MemoryContextSwitchTo(caller);
    SPI_connect();
    if (!insert_plan) {
        Oid types[5] = {TEXTOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
        SPIPlanPtr plan = SPI_prepare(
            "INSERT INTO crm.status_history (table_name, row_key, workflow, from_state, to_state) "
            "SELECT $1, unnest($3), $2, unnest($4), unnest($5)",
            5, types);
        if (!plan)
            elog(ERROR, "pgcrm: preparing the status history insert failed: %s", SPI_result_code_string(SPI_result));
        SPI_keepplan(plan);
        insert_plan = plan;
    }
    if (SPI_execute_plan(insert_plan, values, nullptr, false, 0) != SPI_OK_INSERT)
        elog(ERROR, "pgcrm: inserting into crm.status_history failed");
    SPI_finish();
    MemoryContextReset(batch->context);
    history_start(batch);
}

// BEFORE INSERT: a NULL status becomes the default initial state; any other
// must be an initial state.
Datum check_insert(const TriggerInfo* info, TriggerData* td) {
    bool isnull;
    Datum value = slot_getattr(td->tg_trigslot, info->status_att, &isnull);
    if (isnull) {
        if (!info->workflow->has_initial_state())
            ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                            errmsg("workflow \"%s\" has no initial state", info->workflow_code)));
        int att = info->status_att;
        Datum initial = CStringGetTextDatum(info->workflow->default_initial().c_str());
        bool initial_null = false;
        return PointerGetDatum(
            heap_modify_tuple_by_cols(td->tg_trigtuple, td->tg_relation->rd_att, 1, &att, &initial, &initial_null));
    }
    const std::string_view to = text_view(value);
    const wf::Decision decision = info->workflow->check_insert(to);
    if (decision.verdict != wf::Verdict::allowed) reject(info, decision.verdict, td->tg_trigslot, {}, to);
    return PointerGetDatum(td->tg_trigtuple);
}

// After an UPDATE: a changed status must follow a defined transition. Checking
// after the row is written sees the status every BEFORE trigger agreed on, and
// costs less than a BEFORE trigger, which makes PostgreSQL lock and re-fetch
// each row; an error still undoes the whole statement. Returns whether the
// status changed.
bool check_update(const TriggerInfo* info, TupleTableSlot* old_row, TupleTableSlot* new_row) {
    bool old_null, new_null;
    Datum old_value = slot_getattr(old_row, info->status_att, &old_null);
    Datum new_value = slot_getattr(new_row, info->status_att, &new_null);
    if (old_null && new_null) return false;
    if (new_null)
        ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
                        errmsg("status of %s cannot be set to NULL", row_name(info, new_row)),
                        errdetail("The row is in state \"%s\".", TextDatumGetCString(old_value))));
    const std::string_view to = text_view(new_value);
    const std::string_view from = old_null ? std::string_view() : text_view(old_value);
    // A row with no status yet (written before the workflow was attached) enters like a new one.
    const wf::Decision decision = old_null ? info->workflow->check_insert(to) : info->workflow->check_update(from, to);
    if (decision.verdict == wf::Verdict::unchanged) return false;
    if (decision.verdict != wf::Verdict::allowed) reject(info, decision.verdict, new_row, from, to);
    if (!decision.required_role.empty()) require_role(info, decision.required_role, new_row, from, to);
    return true;
}

// A statement trigger's pass over its transition tables: for an UPDATE the
// old and new tables hold each row's two versions at the same position, in
// the order the rows were written.
void check_statement(const TriggerInfo* info, TriggerData* td, bool update) {
    TupleDesc desc = td->tg_relation->rd_att;
    Tuplestorestate* olds = update ? td->tg_oldtable : nullptr;
    Tuplestorestate* news = td->tg_newtable;
    TupleTableSlot* old_row = update ? MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple) : nullptr;
    TupleTableSlot* new_row = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
    HistoryBatch* history = info->record_history ? history_begin() : nullptr;
    tuplestore_rescan(news);
    if (olds) tuplestore_rescan(olds);
    while (tuplestore_gettupleslot(news, true, false, new_row)) {
        if (olds && !tuplestore_gettupleslot(olds, true, false, old_row))
            elog(ERROR, "pgcrm: the transition tables of %s differ in length", info->table_name);
        CHECK_FOR_INTERRUPTS();
        if (update && !check_update(info, old_row, new_row)) continue;
        if (!history) continue;
        history_add(history, info, old_row, new_row);
        if (history->rows >= history_batch_rows) history_flush(history, info);
    }
    if (history) {
        history_flush(history, info);
        MemoryContextDelete(history->context);
    }
    if (old_row) ExecDropSingleTupleTableSlot(old_row);
    ExecDropSingleTupleTableSlot(new_row);
}

// A row trigger's history: one change, written at once.
void record_row(const TriggerInfo* info, TupleTableSlot* old_row, TupleTableSlot* new_row) {
    HistoryBatch* history = history_begin();
    history_add(history, info, old_row, new_row);
    history_flush(history, info);
    MemoryContextDelete(history->context);
}

}  // namespace

namespace pgcrm::pg {
void register_workflow_cache() { CacheRegisterRelcacheCallback(rules_invalidated, 0); }
}  // namespace pgcrm::pg

PGCRM_FUNCTION(pgcrm_workflow_trigger) {
    Firing firing;
    TriggerData* td = trigger_data(fcinfo, &firing);
    const TriggerInfo* info = trigger_info(fcinfo, td);
    // A user's table (pgcrm's own restore as dumped, see operations.cpp)
    // loaded by a data-only restore: the rows and their history come back as they were.
    const bool restore = (firing == Firing::before_insert || firing == Firing::after_insert ||
                          firing == Firing::inserted) && pgcrm::pg::restoring();
    switch (firing) {
        case Firing::before_insert:
            if (restore) return PointerGetDatum(td->tg_trigtuple);
            return check_insert(info, td);
        case Firing::after_insert:
            if (info->record_history && !restore) record_row(info, nullptr, td->tg_trigslot);
            break;
        case Firing::after_update:
            if (check_update(info, td->tg_trigslot, td->tg_newslot) && info->record_history)
                record_row(info, td->tg_trigslot, td->tg_newslot);
            break;
        case Firing::inserted:
            if (!restore) check_statement(info, td, false);
            break;
        case Firing::updated:
            check_statement(info, td, true);
            break;
    }
    return PointerGetDatum(nullptr);
}

PGCRM_FUNCTION(pgcrm_workflow_rules_changed) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("crm.workflow_rules_changed() must be called as a trigger")));
    // Queues a relcache invalidation of the rule table: delivered to every
    // backend at commit, and to this one at the end of the command.
    CacheInvalidateRelcache(reinterpret_cast<TriggerData*>(fcinfo->context)->tg_relation);
    return PointerGetDatum(nullptr);
}
