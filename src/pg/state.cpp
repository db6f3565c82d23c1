#include "state.hpp"

#include <cstring>

#include "datum.hpp"

namespace pgcrm::pg {

namespace {

constexpr uint32 magic = 0x73434750;  // "PGCs"
constexpr uint16 version = 1;

[[noreturn]] void malformed(StateKind kind, const char* why) {
    ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                    errmsg("not a pgcrm aggregate state of kind %d: %s", static_cast<int>(kind), why),
                    errhint("Aggregate states are made by pgcrm's aggregates; do not write them by hand.")));
}

void check_header(const StateHeader* h, Size size, StateKind kind) {
    if (size < sizeof(StateHeader)) malformed(kind, "too short");
    if (h->magic != magic || h->kind != static_cast<uint16>(kind)) malformed(kind, "another kind of value");
    if (h->version != version) malformed(kind, "a state of another pgcrm version");
}

// The bytes of a non-expanded bytea argument, in aligned memory of our own
// when the argument is short-headered or unaligned (a value read from a tuple).
const StateHeader* aligned_flat(Datum value, Size* size) {
    struct varlena* v = PG_DETOAST_DATUM_PACKED(value);
    *size = VARSIZE_ANY(v);
    if (!VARATT_IS_SHORT(v) && reinterpret_cast<uintptr_t>(v) % MAXIMUM_ALIGNOF == 0)
        return reinterpret_cast<const StateHeader*>(v);
    auto* copy = static_cast<StateHeader*>(palloc(VARHDRSZ + VARSIZE_ANY_EXHDR(v)));
    SET_VARSIZE(copy, VARHDRSZ + VARSIZE_ANY_EXHDR(v));
    std::memcpy(reinterpret_cast<char*>(copy) + VARHDRSZ, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
    *size = VARSIZE(copy);
    return copy;
}

void check_fixed(const StateHeader* h, Size size, const FixedKind& kind) {
    check_header(h, size, kind.kind);
    if (size < kind.min_size || size != kind.expected_size(h)) malformed(kind.kind, "wrong size");
}

// --- Rows states, flat: header, the fixed fields below, the options padded
// to 8 bytes, n × d values, then n weights when weighted.
struct RowsFlat {
    StateHeader header;
    uint32 options_size;
    int32 d;
    int64 n;
    int32 weighted;
    int32 padding;
};

Size options_span(const RowsKind& kind) { return MAXALIGN(kind.options_size); }

Size rows_bytes(int64 n, int32 d, bool weighted) {
    return static_cast<Size>(n) * sizeof(double) * (static_cast<Size>(d) + (weighted ? 1 : 0));
}

Size flat_size(ExpandedObjectHeader* eoh) {
    const auto* s = reinterpret_cast<RowsState*>(eoh);
    const Size size = sizeof(RowsFlat) + options_span(*s->kind) + rows_bytes(s->rows->n, s->rows->d, s->rows->weighted);
    if (size > MaxAllocSize)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("an aggregate state of %lld rows is too large to pass between processes (over 1 GB)",
                               static_cast<long long>(s->rows->n)),
                        errhint("SET max_parallel_workers_per_gather = 0 for this query, or aggregate fewer rows.")));
    return size;
}

void flatten(ExpandedObjectHeader* eoh, void* result, Size size) {
    const auto* s = reinterpret_cast<RowsState*>(eoh);
    const TrainingSet* rows = s->rows;
    std::memset(result, 0, size);
    auto* f = static_cast<RowsFlat*>(result);
    SET_VARSIZE(f, size);
    f->header.magic = magic;
    f->header.kind = static_cast<uint16>(s->kind->kind);
    f->header.version = version;
    f->options_size = static_cast<uint32>(s->kind->options_size);
    f->d = rows->d;
    f->n = rows->n;
    f->weighted = rows->weighted;
    char* p = static_cast<char*>(result) + sizeof(RowsFlat);
    std::memcpy(p, s->options, s->kind->options_size);
    p += options_span(*s->kind);
    const Size values = rows_bytes(rows->n, rows->d, false);
    if (values) std::memcpy(p, rows->x, values);
    if (rows->weighted && rows->n) std::memcpy(p + values, rows->w, sizeof(double) * rows->n);
}

const ExpandedObjectMethods rows_methods = {flat_size, flatten};

RowsState* create(MemoryContext parent, const RowsKind& kind, const void* options, bool weighted) {
    const MemoryContext context = AllocSetContextCreate(parent, "pgcrm aggregate state", ALLOCSET_SMALL_SIZES);
    auto* s = static_cast<RowsState*>(MemoryContextAllocZero(context, sizeof(RowsState)));
    EOH_init_header(&s->header, &rows_methods, context);
    s->kind = &kind;
    s->options = MemoryContextAlloc(context, kind.options_size ? kind.options_size : 1);
    std::memcpy(s->options, options, kind.options_size);
    s->rows = training_create(context, weighted, kind.extra_bytes_per_row, kind.has_target);
    return s;
}

// A flat rows state expanded into a new object under `parent`.
RowsState* expand(Datum value, MemoryContext parent, const RowsKind& kind) {
    Size size;
    const StateHeader* h = aligned_flat(value, &size);
    check_header(h, size, kind.kind);
    const auto* f = reinterpret_cast<const RowsFlat*>(h);
    if (size < sizeof(RowsFlat) + options_span(kind) || f->options_size != kind.options_size || f->d < 0 || f->n < 0 ||
        (f->weighted != 0 && f->weighted != 1) ||
        static_cast<uint64>(f->n) > MaxAllocHugeSize / sizeof(double) / (static_cast<Size>(f->d) + 1) ||
        size != sizeof(RowsFlat) + options_span(kind) + rows_bytes(f->n, f->d, f->weighted))
        malformed(kind.kind, "wrong size");
    const char* p = reinterpret_cast<const char*>(f) + sizeof(RowsFlat);
    RowsState* s = create(parent, kind, p, f->weighted);
    p += options_span(kind);
    TrainingSet from;
    std::memset(&from, 0, sizeof from);
    from.d = f->d;
    from.n = f->n;
    from.capacity = f->n;
    from.weighted = f->weighted;
    from.x = reinterpret_cast<double*>(const_cast<char*>(p));  // read with memcpy only
    from.w = reinterpret_cast<double*>(const_cast<char*>(p + rows_bytes(f->n, f->d, false)));
    training_append(s->rows, &from);
    return s;
}

bool is_expanded(Datum value) { return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(value)); }

RowsState* as_rows(Datum value, const RowsKind& kind) {
    auto* s = reinterpret_cast<RowsState*>(DatumGetEOHP(value));
    if (s->header.eoh_methods != &rows_methods || s->kind->kind != kind.kind) malformed(kind.kind, "another kind of value");
    return s;
}

}  // namespace

void* new_fixed_state(FunctionCallInfo fcinfo, const FixedKind& kind, Size size) {
    // The executor copies a transition value whose address changed into the
    // aggregate context, so a new state is made in the per-call context, which
    // is reset after it: made in the aggregate context, it would stay as a
    // second copy for as long as the group.
    aggregate_context(fcinfo);
    auto* h = static_cast<StateHeader*>(palloc0(size));
    SET_VARSIZE(h, size);
    h->magic = magic;
    h->kind = static_cast<uint16>(kind.kind);
    h->version = version;
    return h;
}

void* own_fixed_state(FunctionCallInfo fcinfo, int argno, const FixedKind& kind) {
    if (PG_ARGISNULL(argno)) return nullptr;
    auto* h = reinterpret_cast<StateHeader*>(PG_GETARG_POINTER(argno));
    // The aggregate's own value always has a 4-byte header and our alignment.
    if (VARATT_IS_EXTENDED(h) || reinterpret_cast<uintptr_t>(h) % MAXIMUM_ALIGNOF != 0)
        malformed(kind.kind, "not a state this aggregate made");
    check_fixed(h, VARSIZE(h), kind);
    return h;
}

const void* read_fixed_state(FunctionCallInfo fcinfo, int argno, const FixedKind& kind) {
    if (PG_ARGISNULL(argno)) return nullptr;
    Size size;
    const StateHeader* h = aligned_flat(PG_GETARG_DATUM(argno), &size);
    check_fixed(h, size, kind);
    return h;
}

Datum fixed_state_datum(FunctionCallInfo fcinfo, void* state) {
    if (!state) PG_RETURN_NULL();
    PG_RETURN_POINTER(state);
}

RowsState* new_rows_state(FunctionCallInfo fcinfo, const RowsKind& kind, const void* options, bool weighted) {
    return create(aggregate_context(fcinfo), kind, options, weighted);
}

RowsState* own_rows_state(FunctionCallInfo fcinfo, int argno, const RowsKind& kind) {
    if (PG_ARGISNULL(argno)) return nullptr;
    const Datum value = PG_GETARG_DATUM(argno);
    if (is_expanded(value) && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(value))) return as_rows(value, kind);
    if (is_expanded(value)) malformed(kind.kind, "a read-only state");
    return expand(value, aggregate_context(fcinfo), kind);
}

RowsState* read_rows_state(FunctionCallInfo fcinfo, int argno, const RowsKind& kind) {
    if (PG_ARGISNULL(argno)) return nullptr;
    const Datum value = PG_GETARG_DATUM(argno);
    if (is_expanded(value)) return as_rows(value, kind);
    return expand(value, CurrentMemoryContext, kind);
}

Datum rows_state_datum(FunctionCallInfo fcinfo, RowsState* state) {
    if (!state) PG_RETURN_NULL();
    return EOHPGetRWDatum(&state->header);
}

}  // namespace pgcrm::pg
