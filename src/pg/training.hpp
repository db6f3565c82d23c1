// Training data for the in-memory models: float8[] feature rows collected into
// one contiguous row-major buffer in a PostgreSQL memory context, validated as
// they arrive, and bounded by the pgcrm.max_training_memory setting.
//
// Everything here is plain C style: errors are ereport(ERROR) and no C++
// object with a destructor is alive, so they may propagate directly.
#pragma once

#include "postgres.hpp"

namespace pgcrm::pg {

struct TrainingSet {
    MemoryContext context;  // owns x and w
    int d;                  // features per row; 0 until the first row
    int64 n;
    int64 capacity;         // rows
    int64 extra_bytes_per_row;  // the model's working memory, counted against the limit
    bool weighted;
    bool has_target;        // each row ends with one target value after its features
    double* x;              // n × d, row-major
    double* w;              // n weights, or NULL when unweighted
};

// Registers pgcrm.max_training_memory; called from _PG_init.
void define_training_settings();

TrainingSet* training_create(MemoryContext context, bool weighted, int64 extra_bytes_per_row,
                             bool has_target = false);

// Validates one row (ARR_ELEMTYPE float8; no NULLs, NaN or infinities; the
// same length as earlier rows) and appends it, followed by `target` when the
// set has targets. `features` may be toasted.
void training_add(TrainingSet* set, Datum features, bool isnull, double weight, double target = 0);

// Appends one row of d raw 8-byte values (d fixed by the first row).
void training_push(TrainingSet* set, int d, const double* row);

// Appends every row of `from` (combining partial aggregate states).
void training_append(TrainingSet* set, const TrainingSet* from);

// Runs `query` with the caller's privileges and adds every row: the features
// are its last column (float8[]); the weight, if weight_column is not NULL,
// is the float8 column of that name. Streams rows without materialising them.
void training_read_query(TrainingSet* set, const char* query, const char* weight_column);

}  // namespace pgcrm::pg
