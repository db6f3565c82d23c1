#include "training.hpp"

#include <cmath>
#include <cstring>

extern "C" {
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
}

namespace pgcrm::pg {

namespace {

int max_training_memory_kb = 1024 * 1024;

int64 row_bytes(const TrainingSet* set, int d) {
    return static_cast<int64>(d) * sizeof(double) + (set->weighted ? sizeof(double) : 0) + set->extra_bytes_per_row;
}

// Makes room for `rows` rows of d features, or fails cleanly at the limit.
void reserve_rows(TrainingSet* set, int d, int64 rows) {
    const int64 limit_bytes = static_cast<int64>(max_training_memory_kb) * 1024;
    const int64 max_rows = limit_bytes / row_bytes(set, d);
    if (rows > max_rows)
        ereport(ERROR,
                (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                 errmsg("the training data exceeds pgcrm.max_training_memory (%d kB)", max_training_memory_kb),
                 errdetail("%lld rows of %d features need about %lld kB.", static_cast<long long>(rows), d,
                           static_cast<long long>(rows * row_bytes(set, d) / 1024)),
                 errhint("Raise pgcrm.max_training_memory, or train on a sample "
                         "(TABLESAMPLE, or ORDER BY random() LIMIT n).")));
    if (rows <= set->capacity) return;
    int64 capacity = set->capacity > 0 ? set->capacity : 1024;
    while (capacity < rows) capacity *= 2;
    if (capacity > max_rows) capacity = max_rows;
    const Size x_bytes = static_cast<Size>(capacity) * d * sizeof(double);
    const Size w_bytes = static_cast<Size>(capacity) * sizeof(double);
    if (set->x) {
        set->x = static_cast<double*>(repalloc_huge(set->x, x_bytes));
        if (set->weighted) set->w = static_cast<double*>(repalloc_huge(set->w, w_bytes));
    } else {
        set->x = static_cast<double*>(MemoryContextAllocHuge(set->context, x_bytes));
        if (set->weighted) set->w = static_cast<double*>(MemoryContextAllocHuge(set->context, w_bytes));
    }
    set->capacity = capacity;
}

const char* non_finite_name(double v) { return std::isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity"; }

// A DestReceiver that feeds each row of the source query to the training set.
struct SourceReceiver {
    DestReceiver pub;
    TrainingSet* set;
    const char* weight_column;
    int feature_attno;
    int weight_attno;
    bool started;
    MemoryContext row_context;
};

void source_startup(DestReceiver* self, int, TupleDesc desc) {
    auto* r = reinterpret_cast<SourceReceiver*>(self);
    r->started = true;
    if (desc->natts < 1)
        ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH), errmsg("the source query returns no columns")));
    const Form_pg_attribute features = TupleDescAttr(desc, desc->natts - 1);
    if (features->atttypid != FLOAT8ARRAYOID)
        ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                        errmsg("the last column of the source query, \"%s\", is %s, not float8[]",
                               NameStr(features->attname), format_type_be(features->atttypid)),
                        errhint("Return the features as one array: ARRAY[a, b, c]::float8[].")));
    r->feature_attno = desc->natts;
    r->weight_attno = 0;
    if (!r->weight_column) return;
    for (int i = 0; i < desc->natts; ++i) {
        const Form_pg_attribute a = TupleDescAttr(desc, i);
        if (!a->attisdropped && strcmp(NameStr(a->attname), r->weight_column) == 0) {
            if (a->atttypid != FLOAT8OID)
                ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                                errmsg("the weight column \"%s\" is %s, not float8", r->weight_column,
                                       format_type_be(a->atttypid))));
            r->weight_attno = i + 1;
            return;
        }
    }
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                    errmsg("the source query has no column \"%s\" for the weights", r->weight_column)));
}

bool source_receive(TupleTableSlot* slot, DestReceiver* self) {
    auto* r = reinterpret_cast<SourceReceiver*>(self);
    const MemoryContext caller = MemoryContextSwitchTo(r->row_context);
    bool isnull;
    double weight = 1;
    if (r->weight_attno) {
        const Datum w = slot_getattr(slot, r->weight_attno, &isnull);
        if (isnull)
            ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                            errmsg("the weight of row %lld is NULL", static_cast<long long>(r->set->n + 1))));
        weight = DatumGetFloat8(w);
    }
    const Datum features = slot_getattr(slot, r->feature_attno, &isnull);
    training_add(r->set, features, isnull, weight);
    MemoryContextSwitchTo(caller);
    MemoryContextReset(r->row_context);
    return true;
}

void source_nothing(DestReceiver*) {}

}  // namespace

void define_training_settings() {
    DefineCustomIntVariable("pgcrm.max_training_memory",
                            "Largest amount of memory one model's training data may take.",
                            "K-means keeps its training rows in memory; past this the call fails instead.",
                            &max_training_memory_kb, 1024 * 1024, 64, MAX_KILOBYTES, PGC_USERSET, GUC_UNIT_KB,
                            nullptr, nullptr, nullptr);
}

TrainingSet* training_create(MemoryContext context, bool weighted, int64 extra_bytes_per_row, bool has_target) {
    auto* set = static_cast<TrainingSet*>(MemoryContextAllocZero(context, sizeof(TrainingSet)));
    set->context = context;
    set->extra_bytes_per_row = extra_bytes_per_row;
    set->weighted = weighted;
    set->has_target = has_target;
    return set;
}

void training_add(TrainingSet* set, Datum features, bool isnull, double weight, double target) {
    const long long row = static_cast<long long>(set->n + 1);
    if (isnull)
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("the features of row %lld are NULL", row),
                        errhint("Filter such rows out, or fill the gaps with coalesce().")));
    ArrayType* array = DatumGetArrayTypeP(features);
    if (ARR_ELEMTYPE(array) != FLOAT8OID)
        ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH), errmsg("the features of row %lld are %s[], not float8[]",
                                                                   row, format_type_be(ARR_ELEMTYPE(array)))));
    const int length = ARR_NDIM(array) == 1 ? ARR_DIMS(array)[0] : 0;
    if (ARR_NDIM(array) != 1 || length < 1)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("the features of row %lld must be a non-empty one-dimensional array, not %d-dimensional",
                               row, ARR_NDIM(array))));
    const int stride = length + (set->has_target ? 1 : 0);
    if (set->d == 0) {
        set->d = stride;
    } else if (stride != set->d) {
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("row %lld has %d features, earlier rows have %d", row, length,
                               set->d - (set->has_target ? 1 : 0))));
    }
    if (ARR_HASNULL(array)) {
        const bits8* bitmap = ARR_NULLBITMAP(array);
        for (int f = 0; f < length; ++f)
            if (!(bitmap[f / 8] & (1 << (f % 8))))
                ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                                errmsg("feature %d of row %lld is NULL", f + 1, row),
                                errhint("Filter such rows out, or fill the gaps with coalesce().")));
    }
    if (set->weighted && !(weight > 0 && std::isfinite(weight)))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("the weight of row %lld is %g; weights must be positive and finite", row, weight)));
    reserve_rows(set, stride, set->n + 1);
    double* x = set->x + set->n * stride;
    std::memcpy(x, ARR_DATA_PTR(array), sizeof(double) * length);
    if (set->has_target) x[length] = target;
    for (int f = 0; f < length; ++f)
        if (!std::isfinite(x[f]))
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("feature %d of row %lld is %s", f + 1, row, non_finite_name(x[f])),
                            errhint("Models need finite numbers: exclude the row or impute the value.")));
    if (set->weighted) set->w[set->n] = weight;
    ++set->n;
}

void training_push(TrainingSet* set, int d, const double* row) {
    if (set->d == 0) set->d = d;
    reserve_rows(set, set->d, set->n + 1);
    std::memcpy(set->x + set->n * set->d, row, sizeof(double) * set->d);
    ++set->n;
}

void training_append(TrainingSet* set, const TrainingSet* from) {
    if (from->n == 0) return;
    if (set->d == 0) set->d = from->d;
    if (from->d != set->d)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("rows with %d features and rows with %d features in one group", from->d, set->d)));
    reserve_rows(set, set->d, set->n + from->n);
    std::memcpy(set->x + set->n * set->d, from->x, sizeof(double) * from->n * set->d);
    if (set->weighted) std::memcpy(set->w + set->n, from->w, sizeof(double) * from->n);
    set->n += from->n;
}

void training_read_query(TrainingSet* set, const char* query, const char* weight_column) {
    SourceReceiver receiver;
    std::memset(&receiver, 0, sizeof receiver);
    receiver.pub.receiveSlot = source_receive;
    receiver.pub.rStartup = source_startup;
    receiver.pub.rShutdown = source_nothing;
    receiver.pub.rDestroy = source_nothing;
    receiver.pub.mydest = DestNone;
    receiver.set = set;
    receiver.weight_column = weight_column;
    receiver.row_context = AllocSetContextCreate(CurrentMemoryContext, "pgcrm source row", ALLOCSET_SMALL_SIZES);

    SPI_connect();
    SPIExecuteOptions options;
    std::memset(&options, 0, sizeof options);
    options.dest = &receiver.pub;
    const int rc = SPI_execute_extended(query, &options);
    if (rc < 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("the source query cannot be run here: %s", SPI_result_code_string(rc))));
    if (!receiver.started)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("the source \"%s\" returns no rows", query),
                        errhint("Give a query: SELECT, VALUES, TABLE or a statement with RETURNING.")));
    SPI_finish();
    MemoryContextDelete(receiver.row_context);
}

}  // namespace pgcrm::pg
