// The audit row trigger, crm.audit_row (docs/audit.md): appends an update's
// changed columns, or a deleted (or inserted) row, to crm.audit_log. An
// UPDATE compares the old and new versions column by column as datums, and
// turns into jsonb only the columns that differ, where the PL/pgSQL trigger
// it replaces turned both whole versions into jsonb to compare them. The
// entries are the same: each value is to_jsonb of the column, bytea columns
// are logged as 'md5:' || md5 of their text, updated_at alone is no change.
#include "guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

namespace {

// What one trigger needs, resolved once per statement and kept in fn_extra.
struct AuditInfo {
    bool switched_off;  // by an admin (crm.set_audit)
    Datum table_name;   // text: schema.table, each quoted as needed
    int natts;
    AttrNumber updated_at;  // 0 when the table has none
    int nkeys;
    AttrNumber* key_att;  // 0 for a key name the table lacks: logged as null
    char** key_name;
    bool* binary;       // per attribute: logged as its md5
    FmgrInfo* to_json;  // per attribute: to_jsonb of its type
};

TriggerData* trigger_data(FunctionCallInfo fcinfo) {
    auto* td = CALLED_AS_TRIGGER(fcinfo) ? reinterpret_cast<TriggerData*>(fcinfo->context) : nullptr;
    if (!td || !TRIGGER_FIRED_FOR_ROW(td->tg_event) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
        td->tg_trigger->tgnargs != 2)
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                        errmsg("crm.audit_row() must be an AFTER ... FOR EACH ROW trigger naming key and binary "
                               "columns")));
    return td;
}

// The elements of a text-array trigger argument such as '{id}'.
int text_elements(const char* literal, Datum** elements, bool** nulls) {
    ArrayType* array = DatumGetArrayTypeP(OidInputFunctionCall(F_ARRAY_IN, const_cast<char*>(literal), TEXTOID, -1));
    int n;
    deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, elements, nulls, &n);
    return n;
}

SPIPlanPtr saved_plan(SPIPlanPtr* plan, const char* query, int nargs, Oid* types) {
    if (!*plan) {
        SPIPlanPtr prepared = SPI_prepare(query, nargs, types);
        if (!prepared) elog(ERROR, "pgcrm: preparing \"%s\" failed: %s", query, SPI_result_code_string(SPI_result));
        SPI_keepplan(prepared);
        *plan = prepared;
    }
    return *plan;
}

// An admin switched the table's audit off (crm.set_audit).
bool switched_off(Oid relid) {
    static SPIPlanPtr plan = nullptr;
    Oid types[1] = {REGCLASSOID};
    Datum values[1] = {ObjectIdGetDatum(relid)};
    saved_plan(&plan, "SELECT FROM crm.audit_setting s WHERE s.table_name = $1 AND NOT s.enabled", 1, types);
    if (SPI_execute_plan(plan, values, nullptr, true, 1) != SPI_OK_SELECT)
        elog(ERROR, "pgcrm: reading crm.audit_setting failed");
    return SPI_processed > 0;
}

AuditInfo* audit_info(FunctionCallInfo fcinfo, TriggerData* td) {
    auto* info = static_cast<AuditInfo*>(fcinfo->flinfo->fn_extra);
    if (info) return info;
    MemoryContext caller = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
    Relation rel = td->tg_relation;
    TupleDesc desc = RelationGetDescr(rel);
    info = static_cast<AuditInfo*>(palloc0(sizeof(AuditInfo)));
    info->table_name =
        CStringGetTextDatum(psprintf("%s.%s", quote_identifier(get_namespace_name(RelationGetNamespace(rel))),
                                     quote_identifier(RelationGetRelationName(rel))));
    info->natts = desc->natts;
    info->updated_at = SPI_fnumber(desc, "updated_at");
    if (info->updated_at < 0) info->updated_at = 0;
    Datum* names;
    bool* nulls;
    info->nkeys = text_elements(td->tg_trigger->tgargs[0], &names, &nulls);
    info->key_att = static_cast<AttrNumber*>(palloc0(sizeof(AttrNumber) * (info->nkeys + 1)));
    info->key_name = static_cast<char**>(palloc0(sizeof(char*) * (info->nkeys + 1)));
    for (int k = 0; k < info->nkeys; ++k) {
        info->key_name[k] = nulls[k] ? pstrdup("") : TextDatumGetCString(names[k]);
        const int att = SPI_fnumber(desc, info->key_name[k]);
        info->key_att[k] = att > 0 ? att : 0;
    }
    info->binary = static_cast<bool*>(palloc0(sizeof(bool) * (info->natts + 1)));
    const int nbinary = text_elements(td->tg_trigger->tgargs[1], &names, &nulls);
    for (int b = 0; b < nbinary; ++b) {
        const int att = nulls[b] ? 0 : SPI_fnumber(desc, TextDatumGetCString(names[b]));
        if (att > 0) info->binary[att - 1] = true;
    }
    // to_jsonb(anyelement) learns its argument's type from the call
    // expression: each column gets one that names its type.
    info->to_json = static_cast<FmgrInfo*>(palloc0(sizeof(FmgrInfo) * (info->natts + 1)));
    for (int a = 0; a < info->natts; ++a) {
        Form_pg_attribute att = TupleDescAttr(desc, a);
        if (att->attisdropped) continue;
        fmgr_info_cxt(F_TO_JSONB, &info->to_json[a], fcinfo->flinfo->fn_mcxt);
        Const* arg = makeNullConst(att->atttypid, att->atttypmod, att->attcollation);
        fmgr_info_set_expr(reinterpret_cast<Node*>(makeFuncExpr(F_TO_JSONB, JSONBOID, list_make1(arg), InvalidOid,
                                                                InvalidOid, COERCE_EXPLICIT_CALL)),
                           &info->to_json[a]);
    }
    MemoryContextSwitchTo(caller);
    // Read once: a statement's AFTER row triggers run when it is done, so each
    // row would read the same setting.
    info->switched_off = switched_off(RelationGetRelid(rel));
    fcinfo->flinfo->fn_extra = info;
    return info;
}

// A column's value as the log keeps it: to_jsonb of it, JSON null for NULL,
// 'md5:<hex>' for bytea.
Jsonb* logged_value(AuditInfo* info, TupleTableSlot* row, int a) {
    bool isnull;
    Datum d = slot_getattr(row, a + 1, &isnull);
    if (isnull) {
        JsonbValue null_value;
        null_value.type = jbvNull;
        return JsonbValueToJsonb(&null_value);
    }
    Jsonb* value = DatumGetJsonbP(FunctionCall1(&info->to_json[a], d));
    if (!info->binary[a]) return value;
    // md5 of the value's text, as ->> gives it: the bytea's output form.
    JsonbValue text_value;
    if (!JsonbExtractScalar(&value->root, &text_value) || text_value.type != jbvString) return value;
    text* hash = DatumGetTextPP(DirectFunctionCall1(
        md5_text, PointerGetDatum(cstring_to_text_with_len(text_value.val.string.val, text_value.val.string.len))));
    JsonbValue hashed;
    hashed.type = jbvString;
    hashed.val.string.val = psprintf("md5:%s", text_to_cstring(hash));
    hashed.val.string.len = static_cast<int>(strlen(hashed.val.string.val));
    return JsonbValueToJsonb(&hashed);
}

void push_pair(JsonbParseState** state, const char* key, Jsonb* value) {
    JsonbValue k;
    k.type = jbvString;
    k.val.string.val = const_cast<char*>(key);
    k.val.string.len = static_cast<int>(strlen(key));
    pushJsonbValue(state, WJB_KEY, &k);
    JsonbValue v;
    v.type = jbvBinary;
    v.val.binary.data = &value->root;
    v.val.binary.len = static_cast<int>(VARSIZE(value) - VARHDRSZ);
    pushJsonbValue(state, WJB_VALUE, &v);
}

Jsonb* finish_object(JsonbParseState** state) {
    return JsonbValueToJsonb(pushJsonbValue(state, WJB_END_OBJECT, nullptr));
}

// Every column of a row version.
Jsonb* whole_row(AuditInfo* info, TupleTableSlot* row, TupleDesc desc) {
    JsonbParseState* state = nullptr;
    pushJsonbValue(&state, WJB_BEGIN_OBJECT, nullptr);
    for (int a = 0; a < info->natts; ++a)
        if (!TupleDescAttr(desc, a)->attisdropped)
            push_pair(&state, NameStr(TupleDescAttr(desc, a)->attname), logged_value(info, row, a));
    return finish_object(&state);
}

// The columns an update changed, old and new; false when only updated_at (or
// nothing) did. Equal datums are equal values; other pairs are compared as
// the log would write them (1.0 and 1.00 are the same number in jsonb).
bool changed_columns(AuditInfo* info, TupleTableSlot* old_row, TupleTableSlot* new_row, TupleDesc desc,
                     Jsonb** old_values, Jsonb** new_values) {
    JsonbParseState *old_state = nullptr, *new_state = nullptr;
    bool any = false;
    for (int a = 0; a < info->natts; ++a) {
        Form_pg_attribute att = TupleDescAttr(desc, a);
        if (att->attisdropped || a + 1 == info->updated_at) continue;
        bool old_null, new_null;
        Datum o = slot_getattr(old_row, a + 1, &old_null), n = slot_getattr(new_row, a + 1, &new_null);
        if (old_null && new_null) continue;
        if (!old_null && !new_null && datumIsEqual(o, n, att->attbyval, att->attlen)) continue;
        Jsonb *old_value = logged_value(info, old_row, a), *new_value = logged_value(info, new_row, a);
        if (DatumGetBool(DirectFunctionCall2(jsonb_eq, JsonbPGetDatum(old_value), JsonbPGetDatum(new_value)))) continue;
        if (!any) {
            pushJsonbValue(&old_state, WJB_BEGIN_OBJECT, nullptr);
            pushJsonbValue(&new_state, WJB_BEGIN_OBJECT, nullptr);
            any = true;
        }
        push_pair(&old_state, NameStr(att->attname), old_value);
        push_pair(&new_state, NameStr(att->attname), new_value);
    }
    if (!any) return false;
    *old_values = finish_object(&old_state);
    *new_values = finish_object(&new_state);
    return true;
}

// The primary key's columns and values; NULL for a table audited without one
// (as jsonb_object_agg over no keys gives).
Jsonb* row_key(AuditInfo* info, TupleTableSlot* row) {
    if (info->nkeys == 0) return nullptr;
    JsonbParseState* state = nullptr;
    pushJsonbValue(&state, WJB_BEGIN_OBJECT, nullptr);
    for (int k = 0; k < info->nkeys; ++k) {
        Jsonb* value;
        if (info->key_att[k] > 0) {
            value = logged_value(info, row, info->key_att[k] - 1);
        } else {
            JsonbValue null_value;
            null_value.type = jbvNull;
            value = JsonbValueToJsonb(&null_value);
        }
        push_pair(&state, info->key_name[k], value);
    }
    return finish_object(&state);
}

// An entry; a null pointer is SQL NULL.
void append_entry(Datum table_name, const char* operation, Jsonb* key, Jsonb* old_values, Jsonb* new_values) {
    static SPIPlanPtr plan = nullptr;
    Oid types[5] = {TEXTOID, TEXTOID, JSONBOID, JSONBOID, JSONBOID};
    saved_plan(&plan,
               "INSERT INTO crm.audit_log (actor, table_name, operation, row_key, old_values, new_values) "
               "VALUES (crm.acting_role(), $1, $2, $3, $4, $5)",
               5, types);
    Datum values[5] = {table_name, CStringGetTextDatum(operation), JsonbPGetDatum(key), JsonbPGetDatum(old_values),
                       JsonbPGetDatum(new_values)};
    const char nulls[5] = {' ', ' ', key ? ' ' : 'n', old_values ? ' ' : 'n', new_values ? ' ' : 'n'};
    if (SPI_execute_plan(plan, values, nulls, false, 0) != SPI_OK_INSERT)
        elog(ERROR, "pgcrm: appending to crm.audit_log failed");
}

}  // namespace

PGCRM_FUNCTION(pgcrm_audit_row) {
    TriggerData* td = trigger_data(fcinfo);
    SPI_connect();  // also the memory context of this row's values, freed by SPI_finish
    AuditInfo* info = audit_info(fcinfo, td);
    if (info->switched_off) {
        SPI_finish();
        return PointerGetDatum(nullptr);
    }
    TupleDesc desc = RelationGetDescr(td->tg_relation);
    const TriggerEvent ev = td->tg_event;
    Jsonb *old_values = nullptr, *new_values = nullptr;
    const char* operation;
    TupleTableSlot* key_row;
    if (TRIGGER_FIRED_BY_UPDATE(ev)) {
        operation = "UPDATE";
        key_row = td->tg_newslot;
        if (!changed_columns(info, td->tg_trigslot, td->tg_newslot, desc, &old_values, &new_values)) {
            SPI_finish();
            return PointerGetDatum(nullptr);
        }
    } else if (TRIGGER_FIRED_BY_DELETE(ev)) {
        operation = "DELETE";
        key_row = td->tg_trigslot;
        old_values = whole_row(info, key_row, desc);
    } else {
        operation = "INSERT";
        key_row = td->tg_trigslot;
        new_values = whole_row(info, key_row, desc);
    }
    append_entry(info->table_name, operation, row_key(info, key_row), old_values, new_values);
    SPI_finish();
    return PointerGetDatum(nullptr);
}
