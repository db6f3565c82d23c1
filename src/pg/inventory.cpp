// crm.reserve(product, qty, warehouse, order_line, ttl, request_key): the hot
// path of inventory, as saved SPI plans: two writes, the stock counter and the
// reservation (which crm.stock_ledger shows as the hold). The stock row is the
// only contended lock; it is taken by a conditional UPDATE and held only for
// the one insert that follows. No C++ object with a destructor lives here, so PostgreSQL
// errors may propagate directly.
#include "core/error.hpp"
#include "guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
}


namespace {

SPIPlanPtr prepare(const char* sql, int nargs, Oid* types) {
    SPIPlanPtr plan = SPI_prepare(sql, nargs, types);
    if (!plan) elog(ERROR, "pgcrm: preparing \"%s\" failed: %s", sql, SPI_result_code_string(SPI_result));
    SPI_keepplan(plan);
    return plan;
}

struct Plans {
    SPIPlanPtr lock_key;    // serialises callers that share a request key
    SPIPlanPtr find_key;    // the reservation made under a request key
    SPIPlanPtr candidates;  // warehouses that have the quantity, in lock order
    SPIPlanPtr take;        // conditional reserve on one stock row
    SPIPlanPtr record;      // the reservation, which is also the ledger's record of the hold
    SPIPlanPtr shortfall;   // for the error message: what is available
};

const Plans& plans() {
    static Plans p;
    if (p.record) return p;
    Oid text1[1] = {TEXTOID};
    Oid id_qty[2] = {INT8OID, NUMERICOID};
    Oid take[3] = {INT8OID, INT8OID, NUMERICOID};
    Oid record[6] = {INT8OID, INT8OID, NUMERICOID, INT8OID, INTERVALOID, TEXTOID};
    Oid shortfall[2] = {INT8OID, INT8OID};
    p.lock_key = prepare("SELECT pg_advisory_xact_lock(hashtextextended($1, 7036545))", 1, text1);
    p.find_key = prepare("SELECT id, product_id, quantity FROM crm.reservation WHERE request_key = $1", 1, text1);
    p.candidates = prepare(
        "SELECT warehouse_id FROM crm.stock WHERE product_id = $1 AND on_hand - reserved >= $2 ORDER BY warehouse_id",
        2, id_qty);
    p.take = prepare(
        "UPDATE crm.stock SET reserved = reserved + $3, changed_at = now() "
        "WHERE product_id = $1 AND warehouse_id = $2 AND on_hand - reserved >= $3",
        3, take);
    p.shortfall = prepare(
        "SELECT (SELECT sku FROM crm.product WHERE id = $1), "
        "       (SELECT code FROM crm.warehouse WHERE id = $2), "
        "       (SELECT coalesce(sum(on_hand - reserved), 0) FROM crm.stock "
        "        WHERE product_id = $1 AND ($2 IS NULL OR warehouse_id = $2))::text",
        2, shortfall);
    p.record = prepare(
        "INSERT INTO crm.reservation (product_id, warehouse_id, quantity, order_line_id, expires_at, request_key) "
        "VALUES ($1, $2, $3, $4, now() + $5, $6) RETURNING id",
        6, record);
    return p;
}

bool run(SPIPlanPtr plan, Datum* values, const char* nulls, int expected) {
    const int rc = SPI_execute_plan(plan, values, nulls, false, 0);
    if (rc != expected) elog(ERROR, "pgcrm: reservation query failed: %s", SPI_result_code_string(rc));
    return SPI_processed > 0;
}

Datum first_column(bool* isnull) { return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull); }

[[noreturn]] void not_enough(int64 product, bool any_warehouse, int64 warehouse, Datum qty) {
    Datum args[2] = {Int64GetDatum(product), Int64GetDatum(warehouse)};
    const char nulls[2] = {' ', any_warehouse ? 'n' : ' '};
    run(plans().shortfall, args, nulls, SPI_OK_SELECT);
    HeapTuple row = SPI_tuptable->vals[0];
    TupleDesc desc = SPI_tuptable->tupdesc;
    const char* sku = SPI_getvalue(row, desc, 1);
    const char* code = SPI_getvalue(row, desc, 2);
    const char* requested = DatumGetCString(DirectFunctionCall1(numeric_out, qty));
    if (!sku) ereport(ERROR, (errcode(PGCRM_ERRCODE(pgcrm::sqlstate::not_found)), errmsg("product %lld does not exist", (long long)product)));
    if (!any_warehouse && !code)
        ereport(ERROR, (errcode(PGCRM_ERRCODE(pgcrm::sqlstate::not_found)), errmsg("warehouse %lld does not exist", (long long)warehouse)));
    if (any_warehouse)
        ereport(ERROR, (errcode(PGCRM_ERRCODE(pgcrm::sqlstate::insufficient_stock)),
                        errmsg("not enough product in stock: product %lld (%s) in any warehouse: requested %s, available %s "
                               "in total and in no single warehouse",
                               (long long)product, sku, requested, SPI_getvalue(row, desc, 3)),
                        errhint("Receive stock, or reserve part of the quantity in each warehouse.")));
    ereport(ERROR, (errcode(PGCRM_ERRCODE(pgcrm::sqlstate::insufficient_stock)),
                    errmsg("not enough product in stock: product %lld (%s) in warehouse %lld (%s): requested %s, available %s",
                           (long long)product, sku, (long long)warehouse, code, requested, SPI_getvalue(row, desc, 3))));
}

}  // namespace

PGCRM_FUNCTION(pgcrm_reserve) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("product and quantity are required")));
    const int64 product = PG_GETARG_INT64(0);
    const Datum qty = PG_GETARG_DATUM(1);
    const Numeric qty_num = DatumGetNumeric(qty);
    if (numeric_is_nan(qty_num) || numeric_is_inf(qty_num) ||
        !DatumGetBool(DirectFunctionCall2(numeric_gt, qty, NumericGetDatum(int64_to_numeric(0)))))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("quantity to reserve must be a positive, finite number, not %s",
                               DatumGetCString(DirectFunctionCall1(numeric_out, qty)))));
    const bool any_warehouse = PG_ARGISNULL(2);
    const int64 warehouse = any_warehouse ? 0 : PG_GETARG_INT64(2);
    if (!PG_ARGISNULL(4)) {
        Interval zero = {0, 0, 0}, century = {0, 0, 1200};
        const Datum ttl = PG_GETARG_DATUM(4);
        if (!DatumGetBool(DirectFunctionCall2(interval_gt, ttl, IntervalPGetDatum(&zero))))
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("ttl must be positive, not %s", DatumGetCString(DirectFunctionCall1(interval_out, ttl)))));
        if (DatumGetBool(DirectFunctionCall2(interval_gt, ttl, IntervalPGetDatum(&century))))
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("ttl must be at most 100 years, not %s",
                                   DatumGetCString(DirectFunctionCall1(interval_out, ttl))),
                            errhint("Pass NULL for a reservation that does not expire.")));
    }
    if (!PG_ARGISNULL(5)) {
        const int length = pg_mbstrlen_with_len(VARDATA_ANY(PG_GETARG_TEXT_PP(5)), VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(5)));
        if (length < 1 || length > 200)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("request_key must be 1 to 200 characters, not %d", length),
                            errhint("Use the caller's id of the request, such as an order line key or a UUID.")));
    }

    SPI_connect();
    const Plans& p = plans();
    if (!PG_ARGISNULL(5)) {
        // A repeated request key returns the first reservation, also when the
        // two calls race: the second waits here until the first commits.
        Datum key[1] = {PG_GETARG_DATUM(5)};
        run(p.lock_key, key, nullptr, SPI_OK_SELECT);
        if (run(p.find_key, key, nullptr, SPI_OK_SELECT)) {
            bool isnull;
            const int64 id = DatumGetInt64(first_column(&isnull));
            const int64 earlier_product = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
            const Datum earlier_qty = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);
            if (earlier_product != product || !DatumGetBool(DirectFunctionCall2(numeric_eq, earlier_qty, qty)))
                ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                                errmsg("request key \"%s\" was already used for reservation %lld of a different product or quantity",
                                       TextDatumGetCString(key[0]), (long long)id)));
            SPI_finish();
            PG_RETURN_INT64(id);
        }
    }

    int64 chosen = warehouse;
    bool taken = false;
    if (!any_warehouse) {
        Datum args[3] = {Int64GetDatum(product), Int64GetDatum(warehouse), qty};
        taken = run(p.take, args, nullptr, SPI_OK_UPDATE);
    } else {
        // Candidates are read without locks; the conditional UPDATE re-checks
        // each after waiting, so a candidate emptied meanwhile is skipped. A
        // skipped row stays locked (READ COMMITTED keeps the lock it waited
        // for), so candidates are tried in the canonical lock order.
        Datum args[2] = {Int64GetDatum(product), qty};
        run(p.candidates, args, nullptr, SPI_OK_SELECT);
        const uint64 n = SPI_processed;
        int64* candidate = static_cast<int64*>(palloc(sizeof(int64) * (n + 1)));
        for (uint64 i = 0; i < n; ++i) {
            bool isnull;
            candidate[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
        }
        for (uint64 i = 0; i < n && !taken; ++i) {
            Datum take_args[3] = {Int64GetDatum(product), Int64GetDatum(candidate[i]), qty};
            taken = run(p.take, take_args, nullptr, SPI_OK_UPDATE);
            chosen = candidate[i];
        }
    }
    if (!taken) not_enough(product, any_warehouse, warehouse, qty);

    Datum values[6] = {Int64GetDatum(product), Int64GetDatum(chosen), qty, PG_GETARG_DATUM(3), PG_GETARG_DATUM(4),
                       PG_GETARG_DATUM(5)};
    const char nulls[6] = {' ', ' ', ' ', PG_ARGISNULL(3) ? 'n' : ' ', PG_ARGISNULL(4) ? 'n' : ' ',
                           PG_ARGISNULL(5) ? 'n' : ' '};
    run(p.record, values, nulls, SPI_OK_INSERT_RETURNING);
    bool isnull;
    const int64 id = DatumGetInt64(first_column(&isnull));
    SPI_finish();
    PG_RETURN_INT64(id);
}
