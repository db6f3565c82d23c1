#include "datum.hpp"

#include <cmath>
#include <cstring>

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
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
    if (!AggCheckCallContext(fcinfo, &context)) elog(ERROR, "pgcrm: aggregate support called outside an aggregate");
    return context;
}

Datum state_result(FunctionCallInfo fcinfo, void* state) {
    if (!state) PG_RETURN_NULL();
    PG_RETURN_POINTER(state);
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

void ResultRow::number(double v) { datum(Float8GetDatum(v), std::isnan(v)); }

void ResultRow::array(const std::vector<double>& v) {
    const int dims[1] = {static_cast<int>(v.size())};
    datum(float8_array(v.data(), 1, dims));
}

void ResultRow::datum(Datum d, bool isnull) {
    values[count] = d;
    nulls[count++] = isnull;
}

Datum ResultRow::build(FunctionCallInfo fcinfo) {
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE || desc->natts != count)
        elog(ERROR, "pgcrm: function %u must return a composite of %d fields", fcinfo->flinfo->fn_oid, count);
    return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
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
