#include "datum.hpp"

#include <cmath>
#include <cstring>

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/regproc.h"
}

namespace pgcrm::pg {

namespace {

struct ModelCache {
    Size size;
    char* bytes;
    void* parsed;
};

}  // namespace

void require_arg(FunctionCallInfo fcinfo, int argno, const char* name) {
    if (PG_ARGISNULL(argno))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", name)));
}

const void* array_of_8_bytes(Datum value, int* count, const char* what) {
    ArrayType* array = DatumGetArrayTypeP(value);
    if (ARR_NDIM(array) > 1)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR), errmsg("%s must be a one-dimensional array", what)));
    if (ARR_HASNULL(array))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s contains a NULL", what)));
    *count = ARR_NDIM(array) == 1 ? ARR_DIMS(array)[0] : 0;
    return ARR_DATA_PTR(array);
}

MemoryContext aggregate_context(FunctionCallInfo fcinfo) {
    MemoryContext context;
    if (!AggCheckCallContext(fcinfo, &context))
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("%s is a support function of an aggregate, called outside one",
                               format_procedure(fcinfo->flinfo->fn_oid)),
                        errhint("Call the aggregate itself.")));
    return context;
}

Datum float8_array(const double* v, int ndim, const int* dims) {
    const int count = ndim == 1 ? dims[0] : dims[0] * dims[1];
    Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * (count > 0 ? count : 1)));
    bool* nulls = static_cast<bool*>(palloc(sizeof(bool) * (count > 0 ? count : 1)));
    for (int i = 0; i < count; ++i) {
        elems[i] = Float8GetDatum(v[i]);
        nulls[i] = std::isnan(v[i]);
    }
    int lbs[2] = {1, 1};
    return PointerGetDatum(construct_md_array(elems, nulls, ndim, const_cast<int*>(dims), lbs, FLOAT8OID,
                                              sizeof(double), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

ResultRow::ResultRow(FunctionCallInfo fcinfo) {
    if (get_call_result_type(fcinfo, nullptr, &desc_) != TYPEFUNC_COMPOSITE)
        elog(ERROR, "pgcrm: function %u must return a composite type", fcinfo->flinfo->fn_oid);
    desc_ = BlessTupleDesc(desc_);
    values_ = static_cast<Datum*>(palloc0(sizeof(Datum) * (desc_->natts + 1)));
    nulls_ = static_cast<bool*>(palloc0(desc_->natts + 1));
    set_ = static_cast<bool*>(palloc0(desc_->natts + 1));
}

int ResultRow::index(const char* field) {
    for (int i = 0; i < desc_->natts; ++i)
        if (std::strcmp(NameStr(TupleDescAttr(desc_, i)->attname), field) == 0) return i;
    if (!unknown_) unknown_ = field;
    return -1;
}

void ResultRow::number(const char* field, double v) { datum(field, Float8GetDatum(v), std::isnan(v)); }

void ResultRow::array(const char* field, const std::vector<double>& v) {
    const int dims[1] = {static_cast<int>(v.size())};
    datum(field, float8_array(v.data(), 1, dims));
}

void ResultRow::datum(const char* field, Datum d, bool isnull) {
    const int i = index(field);
    if (i < 0) return;
    values_[i] = d;
    nulls_[i] = isnull;
    set_[i] = true;
}

Datum ResultRow::build() {
    if (unknown_) elog(ERROR, "pgcrm: the result type has no field \"%s\"", unknown_);
    for (int i = 0; i < desc_->natts; ++i)
        if (!set_[i] && !TupleDescAttr(desc_, i)->attisdropped)
            elog(ERROR, "pgcrm: result field \"%s\" was not set", NameStr(TupleDescAttr(desc_, i)->attname));
    return HeapTupleGetDatum(heap_form_tuple(desc_, values_, nulls_));
}

void* cached_model(FunctionCallInfo fcinfo, Datum model, ModelParser parse) {
    struct varlena* bytes = PG_DETOAST_DATUM(model);
    const Size size = VARSIZE(bytes);
    auto* cache = static_cast<ModelCache*>(fcinfo->flinfo->fn_extra);
    if (cache && cache->size == size && std::memcmp(cache->bytes, bytes, size) == 0) return cache->parsed;
    const MemoryContext context = fcinfo->flinfo->fn_mcxt;
    void* parsed = parse(reinterpret_cast<HeapTupleHeader>(bytes), context);
    if (!cache) cache = static_cast<ModelCache*>(MemoryContextAllocZero(context, sizeof(ModelCache)));
    cache->bytes = static_cast<char*>(MemoryContextAlloc(context, size));
    std::memcpy(cache->bytes, bytes, size);
    cache->size = size;
    cache->parsed = parsed;
    fcinfo->flinfo->fn_extra = cache;
    return parsed;
}

}  // namespace pgcrm::pg
