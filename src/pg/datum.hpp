// Small conversions shared by the SQL functions that return or take models.
// Plain C style: errors are ereport(ERROR), no C++ object is alive.
#pragma once

#include <vector>

#include "postgres.hpp"

extern "C" {
#include "access/htup.h"
}

namespace pgcrm::pg {

// An error naming the argument when argument argno is NULL.
void require_arg(FunctionCallInfo fcinfo, int argno, const char* name);

// The elements of a one-dimensional array of 8-byte pass-by-value elements
// (float8, timestamptz) without NULLs; an empty array has 0.
const void* array_of_8_bytes(Datum value, int* count, const char* what);

// The aggregate's memory context; an error when called outside an aggregate.
MemoryContext aggregate_context(FunctionCallInfo fcinfo);

// An aggregate state argument, or nullptr when it is SQL NULL.
template <typename T>
T* state_arg(FunctionCallInfo fcinfo, int argno) {
    return PG_ARGISNULL(argno) ? nullptr : reinterpret_cast<T*>(PG_GETARG_POINTER(argno));
}

// What a step or combine function returns: SQL NULL while the group has no
// state yet (only NULL rows, or a parallel worker that saw no rows). A null
// pointer returned as a value would reach the final function and crash it.
Datum state_result(FunctionCallInfo fcinfo, void* state);

// A float8 array (ndim 1 or 2) of v; NaN elements become NULL.
Datum float8_array(const double* v, int ndim, const int* dims);

// A composite result built field by field, in the declared order; NaN
// numbers and arrays' NaN elements become NULL.
struct ResultRow {
    Datum values[24];
    bool nulls[24];
    int count = 0;
    void number(double v);
    void array(const std::vector<double>& v);
    void datum(Datum d, bool isnull = false);
    Datum build(FunctionCallInfo fcinfo);  // fails unless the function returns a composite of `count` fields
};

// The parsed form of a model argument, cached per call site in fn_extra. The
// model's bytes are compared on every call, so a different model in the next
// row is parsed afresh; the same model is parsed once per query.
using ModelParser = void* (*)(HeapTupleHeader model, MemoryContext context);
void* cached_model(FunctionCallInfo fcinfo, Datum model, ModelParser parse);

}  // namespace pgcrm::pg
