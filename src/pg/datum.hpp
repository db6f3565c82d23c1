// Small conversions shared by the SQL functions that return or take models.
// Plain C style: errors are ereport(ERROR), no C++ object is alive.
#pragma once

#include <vector>

#include "postgres.hpp"

extern "C" {
#include "access/htup.h"
#include "access/tupdesc.h"
}

namespace pgcrm::pg {

// An error naming the argument when argument argno is NULL.
void require_arg(FunctionCallInfo fcinfo, int argno, const char* name);

// The elements of a one-dimensional array of 8-byte pass-by-value elements
// (float8, timestamptz) without NULLs; an empty array has 0.
const void* array_of_8_bytes(Datum value, int* count, const char* what);

// The aggregate's memory context; an error when called outside an aggregate.
MemoryContext aggregate_context(FunctionCallInfo fcinfo);

// A float8 array (ndim 1 or 2) of v; NaN elements become NULL.
Datum float8_array(const double* v, int ndim, const int* dims);

// A composite result filled field by field by name, against the declared
// result type of the function; NaN numbers and arrays' NaN elements become
// NULL. Made before any C++ object is alive (it reads the catalog); number,
// datum and a missing name never call PostgreSQL, array does (pg_call it
// under live C++ objects). build() fails naming a field that is unknown or
// was left unset.
class ResultRow {
public:
    explicit ResultRow(FunctionCallInfo fcinfo);
    void number(const char* field, double v);
    void array(const char* field, const std::vector<double>& v);
    void datum(const char* field, Datum d, bool isnull = false);
    Datum build();

private:
    int index(const char* field);
    TupleDesc desc_;
    Datum* values_;
    bool* nulls_;
    bool* set_;
    const char* unknown_ = nullptr;
};

// The parsed form of a model argument, cached per call site in fn_extra. The
// model's bytes are compared on every call, so a different model in the next
// row is parsed afresh; the same model is parsed once per query.
using ModelParser = void* (*)(HeapTupleHeader model, MemoryContext context);
void* cached_model(FunctionCallInfo fcinfo, Datum model, ModelParser parse);

}  // namespace pgcrm::pg
