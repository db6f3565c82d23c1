// Aggregate states: one format for every pgcrm aggregate. The transition type
// is bytea, so a state can be shipped as it is between parallel workers and,
// through Citus, between nodes (which refuse the pseudo-type internal).
//
// A state is a bytea that starts with a StateHeader naming its kind and
// version. Two shapes:
//  * fixed: a struct that starts with the header (moments, counts), updated
//    in place in the aggregate context, so a row costs no copy;
//  * rows: the rows an aggregate must keep (training data, a series), held
//    as an expanded object in its own memory context while the aggregate
//    runs and flattened only when PostgreSQL ships or stores it.
// Every state that comes from outside (a partial state of a worker or a node,
// an INITCOND, a final function called by hand) is checked before it is read.
//
// Plain C style: errors are ereport(ERROR) and no C++ object is alive.
#pragma once

#include "postgres.hpp"
#include "training.hpp"

extern "C" {
#include "utils/expandeddatum.h"
}

namespace pgcrm::pg {

enum class StateKind : uint16 {
    linreg = 1,
    logreg = 2,
    ttest = 3,
    prop_test = 4,
    kmeans = 5,
    forecast = 6,
    linreg_robust = 7,
    ttest_one = 8,
    chisq_test = 9,
    mann_whitney = 10,
    classification = 11
};

struct StateHeader {
    int32 vl_len_;
    uint32 magic;
    uint16 kind;
    uint16 version;
};

// --- Fixed states. T starts with a StateHeader; expected_size gives the
// size a state must have once its fixed part (at least min_size bytes) is known.
struct FixedKind {
    StateKind kind;
    Size min_size;
    Size (*expected_size)(const void* state);
};

// A new zeroed state of `size` bytes, to be returned by a step or combine
// function (the executor keeps a copy). Also how a state grows: a bigger new
// one replaces it.
void* new_fixed_state(FunctionCallInfo fcinfo, const FixedKind& kind, Size size);

// The transition value in argument argno, to be updated in place: nullptr
// when it is NULL.
void* own_fixed_state(FunctionCallInfo fcinfo, int argno, const FixedKind& kind);

// A state to read only (a combine function's second input, a final
// function's input), checked and aligned: nullptr when it is NULL.
const void* read_fixed_state(FunctionCallInfo fcinfo, int argno, const FixedKind& kind);

// What a step or combine function returns for a fixed state: SQL NULL while
// the group has none (only NULL rows, or a parallel worker that saw no rows).
// A null pointer returned as a value would reach the final function.
Datum fixed_state_datum(FunctionCallInfo fcinfo, void* state);

// --- Rows states: an options struct the aggregate defines, then rows of d
// 8-byte values (TrainingSet), optionally weighted.
struct RowsKind {
    StateKind kind;
    Size options_size;
    int64 extra_bytes_per_row;  // the model's working memory, counted against pgcrm.max_training_memory
    bool has_target;
};

struct RowsState {
    ExpandedObjectHeader header;
    const RowsKind* kind;
    void* options;  // kind->options_size bytes
    TrainingSet* rows;
};

// A new empty state in its own context under the aggregate context.
RowsState* new_rows_state(FunctionCallInfo fcinfo, const RowsKind& kind, const void* options, bool weighted);

// The transition value in argument argno, owned by this aggregate: nullptr
// when NULL; a flat state (an INITCOND) becomes an expanded copy.
RowsState* own_rows_state(FunctionCallInfo fcinfo, int argno, const RowsKind& kind);

// A state to read only: the expanded object itself, or a flat one expanded
// into a temporary copy. nullptr when NULL.
RowsState* read_rows_state(FunctionCallInfo fcinfo, int argno, const RowsKind& kind);

// What a step or combine function returns for a rows state.
Datum rows_state_datum(FunctionCallInfo fcinfo, RowsState* state);

}  // namespace pgcrm::pg
