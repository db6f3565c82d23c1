// Statistics aggregates: crm.linreg (double-double cross-products) and its
// second pass crm.linreg_robust, crm.logreg (rows kept for IRLS), the A/B
// tests, with the combine functions that let parallel query (and Citus) split
// them, and the predict functions. States are kept as state.hpp describes;
// the math is core/statistics.
#include <cmath>
#include <cstring>
#include <vector>

#include "core/statistics/classification.hpp"
#include "core/statistics/hypothesis.hpp"
#include "core/statistics/regression.hpp"
#include "datum.hpp"
#include "guard.hpp"
#include "state.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"
#include "utils/varlena.h"
}

namespace rg = pgcrm::statistics;
using pgcrm::pg::FixedKind;
using pgcrm::pg::guard;
using pgcrm::pg::ResultRow;
using pgcrm::pg::RowsKind;
using pgcrm::pg::RowsState;
using pgcrm::pg::StateHeader;
using pgcrm::pg::StateKind;
using pgcrm::pg::TrainingSet;

namespace {

// "what of row N" for messages, or just "what" outside an aggregate (row 0);
// formatted only when an error is raised.
const char* at_row(const char* what, long long row) { return row > 0 ? psprintf("%s of row %lld", what, row) : what; }

void require_finite(double v, const char* what, long long row) {
    if (!std::isfinite(v))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("%s is %s", at_row(what, row), std::isnan(v) ? "NaN" : "infinite"),
                        errhint("Exclude the row or impute the value.")));
}

// The x array of one row (row 0: a single x to predict for): float8,
// one-dimensional, finite, copied to `out` (room for max_features values).
// NULL when x is NULL or holds a NULL and skip_nulls is set; otherwise those
// are errors.
const double* read_x(Datum value, bool isnull, bool skip_nulls, int* length, long long row, double* out) {
    if (isnull) {
        if (skip_nulls) return nullptr;
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s is NULL", at_row("x", row)),
                        errhint("Filter such rows out, or pass skip_nulls to skip and count them.")));
    }
    ArrayType* array = DatumGetArrayTypeP(value);
    if (ARR_NDIM(array) > 1)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("%s must be a one-dimensional array", at_row("x", row))));
    *length = ARR_NDIM(array) == 1 ? ARR_DIMS(array)[0] : 0;
    if (*length < 1 || *length > rg::max_features)
        ereport(ERROR, (errcode(*length < 1 ? ERRCODE_ARRAY_SUBSCRIPT_ERROR : ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("%s has %d values; between 1 and %d are supported", at_row("x", row), *length,
                               rg::max_features)));
    if (ARR_HASNULL(array)) {
        if (skip_nulls) return nullptr;
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s contains a NULL", at_row("x", row)),
                        errhint("Filter such rows out, fill the gaps with coalesce(), or pass skip_nulls.")));
    }
    std::memcpy(out, ARR_DATA_PTR(array), sizeof(double) * *length);
    for (int j = 0; j < *length; ++j) require_finite(out[j], "an x value", row);
    return out;
}

// The options a regression aggregate takes after (y, x): intercept,
// skip_nulls, tolerance, each an overload; NULL is refused.
struct Options {
    bool intercept, skip_nulls;
    double tolerance;
};

Options options_from(FunctionCallInfo fcinfo, int first, double default_tolerance) {
    const char* names[] = {"intercept", "skip_nulls", "tolerance"};
    for (int a = first; a < PG_NARGS(); ++a)
        if (PG_ARGISNULL(a))
            ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", names[a - first])));
    Options o{PG_NARGS() <= first || PG_GETARG_BOOL(first), PG_NARGS() > first + 1 && PG_GETARG_BOOL(first + 1),
              PG_NARGS() > first + 2 ? PG_GETARG_FLOAT8(first + 2) : default_tolerance};
    if (!(o.tolerance >= 0 && o.tolerance < 1))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("the rank tolerance is %g; it must be at least 0 and below 1", o.tolerance),
                        errhint("R's lm uses 1e-7, glm 1e-11.")));
    return o;
}

[[noreturn]] void options_differ() {
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("intercept, skip_nulls or tolerance differs between rows of one group")));
}

// --- crm.linreg: the cross-products of (x, y), see core/statistics/least_squares.hpp.
// p is 0 until a row is used: such a state only counts skipped rows.
struct LinregState {
    StateHeader header;
    int32 p;
    int32 intercept;
    int32 skip_nulls;
    int32 padding;
    double tolerance;
    int64 skipped;
    double rows[FLEXIBLE_ARRAY_MEMBER];
};

Size linreg_size(int p) {
    return offsetof(LinregState, rows) + (p ? sizeof(double) * rg::CrossProducts::size(p + 1) : 0);
}

Size linreg_expected_size(const void* state) {
    const int p = static_cast<const LinregState*>(state)->p;
    return p >= 0 && p <= rg::max_features ? linreg_size(p) : 0;
}

const FixedKind linreg_kind = {StateKind::linreg, offsetof(LinregState, rows), linreg_expected_size};

rg::CrossProducts rows_of(const LinregState* s) { return {const_cast<double*>(s->rows), s->p + 1}; }

bool same_options(const LinregState* s, const Options& o) {
    return static_cast<bool>(s->intercept) == o.intercept && static_cast<bool>(s->skip_nulls) == o.skip_nulls &&
           s->tolerance == o.tolerance;
}

// A copy of `from` with room for p features (its own p, or 0 with no rows).
LinregState* resized(FunctionCallInfo fcinfo, const LinregState* from, int p) {
    auto* s = static_cast<LinregState*>(pgcrm::pg::new_fixed_state(fcinfo, linreg_kind, linreg_size(p)));
    std::memcpy(reinterpret_cast<char*>(s) + sizeof(StateHeader),
                reinterpret_cast<const char*>(from) + sizeof(StateHeader),
                (from->p == p ? linreg_size(p) : offsetof(LinregState, rows)) - sizeof(StateHeader));
    s->p = p;
    return s;
}

// --- crm.linreg_robust: the sandwich over a fitted model's kept columns,
// see core/statistics/regression.hpp.
struct RobustState {
    StateHeader header;
    int32 k;      // the model's kept terms
    int32 total;  // all its terms
    int32 intercept;
    int32 type;
    int32 skip_nulls;
    int32 padding;
    int64 skipped;
    double sandwich[FLEXIBLE_ARRAY_MEMBER];
};

Size robust_size(int k) { return offsetof(RobustState, sandwich) + sizeof(double) * rg::Sandwich::size(k); }

Size robust_expected_size(const void* state) {
    const auto* s = static_cast<const RobustState*>(state);
    const bool valid =
        s->k >= 1 && s->k <= s->total && s->total <= rg::max_features + 1 && s->type >= 0 && s->type <= 3;
    return valid ? robust_size(s->k) : 0;
}

const FixedKind robust_kind = {StateKind::linreg_robust, offsetof(RobustState, sandwich), robust_expected_size};

rg::Sandwich sandwich_of(const RobustState* s) {
    return {const_cast<double*>(s->sandwich), s->k, static_cast<bool>(s->intercept), static_cast<rg::HcType>(s->type)};
}

// What the second pass needs of a crm.linreg_result: NULL elements as NaN.
struct LinearModel {
    int total;
    bool intercept;
    double sigma;
    double* coefficients;  // total
    double* covariance;    // total × total
};

double* float8_values(Datum array, int expected, const char* field, MemoryContext context) {
    Datum* elems;
    bool* nulls;
    int count;
    deconstruct_array(DatumGetArrayTypeP(array), FLOAT8OID, sizeof(double), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems,
                      &nulls, &count);
    if (count != expected)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("the model's %s has %d values; %d expected", field, count, expected)));
    auto* v = static_cast<double*>(MemoryContextAlloc(context, sizeof(double) * count));
    for (int i = 0; i < count; ++i) v[i] = nulls[i] ? NAN : DatumGetFloat8(elems[i]);
    return v;
}

Datum model_field(HeapTupleHeader model, const char* field) {
    bool isnull;
    const Datum d = GetAttributeByName(model, field, &isnull);
    if (isnull)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("the model's %s is NULL", field),
                        errhint("Pass the result of crm.linreg as it is.")));
    return d;
}

void* parse_linear_model(HeapTupleHeader model, MemoryContext context) {
    auto* m = static_cast<LinearModel*>(MemoryContextAlloc(context, sizeof(LinearModel)));
    const Datum coefficients = model_field(model, "coefficients");
    m->total = ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(coefficients)), ARR_DIMS(DatumGetArrayTypeP(coefficients)));
    if (m->total < 1 || m->total > rg::max_features + 1)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("the model has %d coefficients", m->total)));
    m->coefficients = float8_values(coefficients, m->total, "coefficients", context);
    m->covariance = float8_values(model_field(model, "covariance"), m->total * m->total, "covariance", context);
    m->intercept = DatumGetBool(model_field(model, "intercept"));
    bool isnull;
    const Datum sigma = GetAttributeByName(model, "sigma", &isnull);
    m->sigma = isnull ? NAN : DatumGetFloat8(sigma);
    return m;
}

rg::HcType hc_type(FunctionCallInfo fcinfo, int argno) {
    if (PG_NARGS() <= argno) return rg::HcType::hc3;
    pgcrm::pg::require_arg(fcinfo, argno, "type");
    const char* name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
    const char* names[] = {"HC0", "HC1", "HC2", "HC3"};
    for (int t = 0; t < 4; ++t)
        if (pg_strcasecmp(name, names[t]) == 0) return static_cast<rg::HcType>(t);
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown robust covariance type \"%s\"", name),
                    errhint("Use HC0, HC1, HC2 or HC3 (sandwich::vcovHC's types).")));
}

[[noreturn]] void robust_options_differ() {
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("the model, type or skip_nulls differs between rows of one group")));
}

// --- crm.logreg: its rows, each x followed by y as 0 or 1; the fit needs
// two more doubles and a bool per row.
struct LogregOptions {
    int32 intercept;
    int32 skip_nulls;
    double tolerance;
    int64 skipped;
};

const RowsKind logreg_kind = {StateKind::logreg, sizeof(LogregOptions), 2 * sizeof(double) + 1, true};

LogregOptions* logreg_options(const RowsState* s) { return static_cast<LogregOptions*>(s->options); }

bool same_options(const LogregOptions* s, const LogregOptions& o) {
    return s->intercept == o.intercept && s->skip_nulls == o.skip_nulls && s->tolerance == o.tolerance;
}

// --- crm.ttest and crm.prop_test: two mergeable samples, four counts.
struct TTestState {
    StateHeader header;
    int32 equal_var;
    int32 padding;
    rg::Sample treatment, control;
};

struct PropState {
    StateHeader header;
    int64 converted[2], total[2];  // [control, treatment]
};

template <typename T>
Size sizeof_state(const void*) {
    return sizeof(T);
}

const FixedKind ttest_kind = {StateKind::ttest, sizeof(TTestState), sizeof_state<TTestState>};
const FixedKind prop_kind = {StateKind::prop_test, sizeof(PropState), sizeof_state<PropState>};

// --- crm.ttest_one and crm.ttest_paired: one sample (of the differences when paired).
struct TTestOneState {
    StateHeader header;
    double mu;
    rg::Sample sample;
};

const FixedKind ttest_one_kind = {StateKind::ttest_one, sizeof(TTestOneState), sizeof_state<TTestOneState>};

// --- crm.chisq_test: a contingency table that grows a row or a column with
// each new label: counts (rows × cols, row-major), then the row labels and
// the column labels, each ending in a NUL.
constexpr int max_labels = 1000;

struct ChisqState {
    StateHeader header;
    int32 rows, cols;
    int32 correct;
    int32 label_bytes;
    int64 counts[FLEXIBLE_ARRAY_MEMBER];
};

Size chisq_size(int rows, int cols, int label_bytes) {
    return offsetof(ChisqState, counts) + sizeof(int64) * rows * cols + label_bytes;
}

Size chisq_expected_size(const void* state) {
    const auto* s = static_cast<const ChisqState*>(state);
    const bool valid = s->rows >= 0 && s->rows <= max_labels && s->cols >= 0 && s->cols <= max_labels &&
                       s->label_bytes >= s->rows + s->cols && static_cast<Size>(s->label_bytes) < MaxAllocSize / 2;
    return valid ? chisq_size(s->rows, s->cols, s->label_bytes) : 0;
}

const FixedKind chisq_kind = {StateKind::chisq_test, offsetof(ChisqState, counts), chisq_expected_size};

char* chisq_labels(const ChisqState* s) {
    return reinterpret_cast<char*>(const_cast<int64*>(s->counts) + s->rows * s->cols);
}

// The index of `label` among `count` NUL-terminated strings at `labels`, or -1.
int label_index(const char* labels, int count, const char* label) {
    for (int i = 0; i < count; ++i, labels += strlen(labels) + 1)
        if (strcmp(labels, label) == 0) return i;
    return -1;
}

// The cell of (row, col), adding either label as a new row or column: the
// state is then a bigger new one, and *state points to it.
int64* chisq_cell(FunctionCallInfo fcinfo, ChisqState** state, const char* row, const char* col) {
    ChisqState* s = *state;
    const char* row_labels = chisq_labels(s);
    const char* col_labels = row_labels;
    for (int i = 0; i < s->rows; ++i) col_labels += strlen(col_labels) + 1;
    int r = label_index(row_labels, s->rows, row), c = label_index(col_labels, s->cols, col);
    if (r < 0 || c < 0) {
        const int rows = s->rows + (r < 0), cols = s->cols + (c < 0);
        if (rows > max_labels || cols > max_labels)
            ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                            errmsg("the contingency table has more than %d %s labels", max_labels,
                                   rows > max_labels ? "row" : "column"),
                            errhint("Group rare values into one label first.")));
        const int row_bytes = static_cast<int>(col_labels - row_labels);
        const int col_bytes = s->label_bytes - row_bytes;
        const int added_row = r < 0 ? static_cast<int>(strlen(row)) + 1 : 0;
        const int added_col = c < 0 ? static_cast<int>(strlen(col)) + 1 : 0;
        auto* t = static_cast<ChisqState*>(pgcrm::pg::new_fixed_state(
            fcinfo, chisq_kind, chisq_size(rows, cols, s->label_bytes + added_row + added_col)));
        t->rows = rows;
        t->cols = cols;
        t->correct = s->correct;
        t->label_bytes = s->label_bytes + added_row + added_col;
        for (int i = 0; i < s->rows; ++i)
            std::memcpy(t->counts + i * cols, s->counts + i * s->cols, sizeof(int64) * s->cols);
        char* labels = chisq_labels(t);
        std::memcpy(labels, row_labels, row_bytes);
        std::memcpy(labels + row_bytes, row, added_row);
        std::memcpy(labels + row_bytes + added_row, col_labels, col_bytes);
        std::memcpy(labels + row_bytes + added_row + col_bytes, col, added_col);
        if (r < 0) r = s->rows;
        if (c < 0) c = s->cols;
        *state = s = t;
    }
    return s->counts + r * s->cols + c;
}

// --- crm.mann_whitney and the classification metrics: their rows, two values
// each (a value and its group as 0 or 1; a score and the outcome); sorting
// takes about three more doubles a row.
const RowsKind mann_whitney_kind = {StateKind::mann_whitney, 0, 3 * sizeof(double), false};

struct ClassificationOptions {
    double threshold;
};

const RowsKind classification_kind = {StateKind::classification, sizeof(ClassificationOptions), 2 * sizeof(double),
                                      false};

// The rows of a two-value rows state, each pushed after a finiteness check.
void push_pair(RowsState* s, double value, bool flag, const char* what) {
    require_finite(value, what, s->rows->n + 1);
    const double row[2] = {value, flag ? 1.0 : 0.0};
    pgcrm::pg::training_push(s->rows, 2, row);
}

RowsState* rows_combined(FunctionCallInfo fcinfo, const RowsKind& kind) {
    RowsState* into = pgcrm::pg::own_rows_state(fcinfo, 0, kind);
    const RowsState* from = pgcrm::pg::read_rows_state(fcinfo, 1, kind);
    if (!from) return into;
    if (!into) into = pgcrm::pg::new_rows_state(fcinfo, kind, from->options, false);
    pgcrm::pg::training_append(into->rows, from->rows);
    return into;
}

// A combine function of fixed states: merge(into, from) folds the second
// input into the first and returns it, or the bigger state that replaces it.
// A group without a state yet takes a copy of the second.
template <typename State, typename Merge>
Datum combine_fixed(FunctionCallInfo fcinfo, const FixedKind& kind, Merge merge) {
    auto* into = static_cast<State*>(pgcrm::pg::own_fixed_state(fcinfo, 0, kind));
    if (PG_ARGISNULL(1)) return pgcrm::pg::fixed_state_datum(fcinfo, into);
    const auto* from = static_cast<const State*>(pgcrm::pg::read_fixed_state(fcinfo, 1, kind));
    if (into) return pgcrm::pg::fixed_state_datum(fcinfo, merge(into, from));
    into = static_cast<State*>(pgcrm::pg::new_fixed_state(fcinfo, kind, VARSIZE(from)));
    std::memcpy(into, from, VARSIZE(from));
    return pgcrm::pg::fixed_state_datum(fcinfo, into);
}

// A total × total covariance matrix as a two-dimensional float8 array.
Datum matrix_datum(const rg::Covariance& c, int total) {
    const int dims[2] = {total, total};
    return pgcrm::pg::float8_array(c.data(), 2, dims);
}

// A model's coefficients as prediction needs them: aliased (NULL) ones as 0,
// as in R's predict.
struct Coefficients {
    int count;
    bool intercept;
    double* b;
};

void* parse_coefficients(HeapTupleHeader model, MemoryContext context) {
    bool isnull;
    const Datum coefficients = GetAttributeByName(model, "coefficients", &isnull);
    if (isnull) ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("the model has no coefficients")));
    const Datum with_intercept = GetAttributeByName(model, "intercept", &isnull);
    auto* c = static_cast<Coefficients*>(MemoryContextAlloc(context, sizeof(Coefficients)));
    c->intercept = !isnull && DatumGetBool(with_intercept);
    Datum* elems;
    bool* nulls;
    deconstruct_array(DatumGetArrayTypeP(coefficients), FLOAT8OID, sizeof(double), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
                      &elems, &nulls, &c->count);
    c->b = static_cast<double*>(MemoryContextAlloc(context, sizeof(double) * (c->count ? c->count : 1)));
    for (int i = 0; i < c->count; ++i) c->b[i] = nulls[i] ? 0 : DatumGetFloat8(elems[i]);
    return c;
}

// b₀ + Σ bⱼ xⱼ for crm.linreg_predict(model, x) and crm.logreg_predict.
double linear_predictor(FunctionCallInfo fcinfo) {
    const auto& c =
        *static_cast<Coefficients*>(pgcrm::pg::cached_model(fcinfo, PG_GETARG_DATUM(0), parse_coefficients));
    int length;
    double values[rg::max_features];
    const double* x = read_x(PG_GETARG_DATUM(1), false, false, &length, 0, values);
    const int offset = c.intercept ? 1 : 0;
    if (length + offset != c.count)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("x has %d values, the model has %d coefficients%s", length, c.count,
                               c.intercept ? " including the intercept" : "")));
    double eta = c.intercept ? c.b[0] : 0;
    for (int j = 0; j < length; ++j) eta += c.b[j + offset] * x[j];
    return eta;
}

}  // namespace

// linreg step (state, y, x [, intercept [, skip_nulls [, tolerance]]]): a row
// with a NULL y is skipped and counted; one with a NULL in x too with skip_nulls.
PGCRM_FUNCTION(pgcrm_linreg_step) {
    auto* s = static_cast<LinregState*>(pgcrm::pg::own_fixed_state(fcinfo, 0, linreg_kind));
    const Options o = options_from(fcinfo, 3, rg::linreg_tolerance);
    if (!s) {
        s = static_cast<LinregState*>(pgcrm::pg::new_fixed_state(fcinfo, linreg_kind, linreg_size(0)));
        s->intercept = o.intercept;
        s->skip_nulls = o.skip_nulls;
        s->tolerance = o.tolerance;
    } else if (!same_options(s, o)) {
        options_differ();
    }
    const long long row = 1 + s->skipped + (s->p ? static_cast<long long>(rows_of(s).n()) : 0);
    double v[rg::max_columns];
    int p;
    if (PG_ARGISNULL(1) || !read_x(PG_GETARG_DATUM(2), PG_ARGISNULL(2), o.skip_nulls, &p, row, v)) {
        ++s->skipped;
        return pgcrm::pg::fixed_state_datum(fcinfo, s);
    }
    v[p] = PG_GETARG_FLOAT8(1);
    require_finite(v[p], "y", row);
    if (s->p == 0)
        s = resized(fcinfo, s, p);
    else if (s->p != p)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("x of row %lld has %d values, earlier rows have %d", row, p, s->p)));
    rows_of(s).add(v);
    return pgcrm::pg::fixed_state_datum(fcinfo, s);
}

PGCRM_FUNCTION(pgcrm_linreg_combine) {
    return combine_fixed<LinregState>(fcinfo, linreg_kind, [&](LinregState* into, const LinregState* from) {
        if (!same_options(into,
                          {static_cast<bool>(from->intercept), static_cast<bool>(from->skip_nulls), from->tolerance}))
            options_differ();
        const int64 skipped = into->skipped + from->skipped;
        if (from->p && !into->p) {
            into = resized(fcinfo, from, from->p);
        } else if (from->p) {
            if (into->p != from->p)
                ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                                errmsg("x arrays of %d and %d values in one group", into->p, from->p)));
            rows_of(into).merge(rows_of(from));
        }
        into->skipped = skipped;
        return into;
    });
}

PGCRM_FUNCTION(pgcrm_linreg_final) {
    const auto* s = static_cast<const LinregState*>(pgcrm::pg::read_fixed_state(fcinfo, 0, linreg_kind));
    if (!s || s->p == 0) PG_RETURN_NULL();
    ResultRow row(fcinfo);
    guard([&] {
        const rg::Fit f = rg::linreg(rows_of(s), s->intercept, s->tolerance);
        pgcrm::pg::pg_call([&] {
            row.array("coefficients", f.coefficients);
            row.array("std_errors", f.std_errors);
            row.array("t_values", f.t_values);
            row.array("p_values", f.p_values);
            row.datum("covariance", matrix_datum(f.covariance, static_cast<int>(f.coefficients.size())));
        });
        row.number("r_squared", f.r_squared);
        row.number("adj_r_squared", f.adj_r_squared);
        row.number("f_statistic", f.f_statistic);
        row.number("f_p_value", f.f_p_value);
        row.number("sigma", f.sigma);
        row.datum("n", Int64GetDatum(f.n));
        row.datum("rank", Int32GetDatum(f.rank));
        row.datum("df_residual", Int32GetDatum(f.df_residual));
    });
    row.datum("intercept", BoolGetDatum(s->intercept));
    row.datum("skipped", Int64GetDatum(s->skipped));
    return row.build();
}

PGCRM_FUNCTION(pgcrm_linreg_predict) { PG_RETURN_FLOAT8(linear_predictor(fcinfo)); }

// linreg_robust step (state, model, y, x [, type [, skip_nulls]]): a second
// pass over the data the model was fitted on. A NULL model is no model.
PGCRM_FUNCTION(pgcrm_linreg_robust_step) {
    auto* s = static_cast<RobustState*>(pgcrm::pg::own_fixed_state(fcinfo, 0, robust_kind));
    if (PG_ARGISNULL(1)) return pgcrm::pg::fixed_state_datum(fcinfo, s);
    const auto* m =
        static_cast<const LinearModel*>(pgcrm::pg::cached_model(fcinfo, PG_GETARG_DATUM(1), parse_linear_model));
    const rg::HcType type = hc_type(fcinfo, 4);
    if (PG_NARGS() > 5) pgcrm::pg::require_arg(fcinfo, 5, "skip_nulls");
    const bool skip_nulls = PG_NARGS() > 5 && PG_GETARG_BOOL(5);
    if (!s) {
        int k = 0;
        for (int j = 0; j < m->total; ++j) k += !std::isnan(m->coefficients[j]);
        if (k == 0) ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("the model has no coefficients")));
        s = static_cast<RobustState*>(pgcrm::pg::new_fixed_state(fcinfo, robust_kind, robust_size(k)));
        s->k = k;
        s->total = m->total;
        s->intercept = m->intercept;
        s->type = static_cast<int32>(type);
        s->skip_nulls = skip_nulls;
        sandwich_of(s).start(m->coefficients, m->total, m->covariance, m->sigma);
    } else if (!sandwich_of(s).uses(m->coefficients, m->total) || s->type != static_cast<int32>(type) ||
               static_cast<bool>(s->skip_nulls) != skip_nulls) {
        robust_options_differ();
    }
    const rg::Sandwich sandwich = sandwich_of(s);
    const long long row = 1 + s->skipped + static_cast<long long>(sandwich.n());
    double x[rg::max_features];
    int p;
    if (PG_ARGISNULL(2) || !read_x(PG_GETARG_DATUM(3), PG_ARGISNULL(3), skip_nulls, &p, row, x)) {
        ++s->skipped;
        return pgcrm::pg::fixed_state_datum(fcinfo, s);
    }
    const double y = PG_GETARG_FLOAT8(2);
    require_finite(y, "y", row);
    if (p + s->intercept != s->total)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("x of row %lld has %d values, the model has %d coefficients%s", row, p, s->total,
                               s->intercept ? " including the intercept" : "")));
    sandwich.add(x, y);
    return pgcrm::pg::fixed_state_datum(fcinfo, s);
}

PGCRM_FUNCTION(pgcrm_linreg_robust_combine) {
    return combine_fixed<RobustState>(fcinfo, robust_kind, [&](RobustState* into, const RobustState* from) {
        if (!sandwich_of(into).same_model(sandwich_of(from)) || into->total != from->total ||
            into->skip_nulls != from->skip_nulls)
            robust_options_differ();
        sandwich_of(into).merge(sandwich_of(from));
        into->skipped += from->skipped;
        return into;
    });
}

PGCRM_FUNCTION(pgcrm_linreg_robust_final) {
    const auto* s = static_cast<const RobustState*>(pgcrm::pg::read_fixed_state(fcinfo, 0, robust_kind));
    if (!s || sandwich_of(s).n() == 0) PG_RETURN_NULL();
    ResultRow row(fcinfo);
    guard([&] {
        const rg::RobustFit r = rg::robust(sandwich_of(s), s->total);
        pgcrm::pg::pg_call([&] {
            row.array("std_errors", r.std_errors);
            row.array("t_values", r.t_values);
            row.array("p_values", r.p_values);
            row.datum("covariance", matrix_datum(r.covariance, s->total));
        });
    });
    const char* names[] = {"HC0", "HC1", "HC2", "HC3"};
    row.datum("type", CStringGetTextDatum(names[s->type]));
    row.datum("n", Int64GetDatum(static_cast<int64>(sandwich_of(s).n())));
    row.datum("skipped", Int64GetDatum(s->skipped));
    return row.build();
}

// logreg step (state, y, x [, intercept [, skip_nulls [, tolerance]]])
PGCRM_FUNCTION(pgcrm_logreg_step) {
    RowsState* s = pgcrm::pg::own_rows_state(fcinfo, 0, logreg_kind);
    const Options o = options_from(fcinfo, 3, rg::logreg_tolerance);
    const LogregOptions options{o.intercept, o.skip_nulls, o.tolerance, 0};
    if (!s)
        s = pgcrm::pg::new_rows_state(fcinfo, logreg_kind, &options, false);
    else if (!same_options(logreg_options(s), options))
        options_differ();
    if (PG_ARGISNULL(1) || (o.skip_nulls && (PG_ARGISNULL(2) || ARR_HASNULL(DatumGetArrayTypeP(PG_GETARG_DATUM(2)))))) {
        ++logreg_options(s)->skipped;
        return pgcrm::pg::rows_state_datum(fcinfo, s);
    }
    pgcrm::pg::training_add(s->rows, PG_GETARG_DATUM(2), PG_ARGISNULL(2), 1, PG_GETARG_BOOL(1) ? 1 : 0);
    return pgcrm::pg::rows_state_datum(fcinfo, s);
}

PGCRM_FUNCTION(pgcrm_logreg_combine) {
    RowsState* into = pgcrm::pg::own_rows_state(fcinfo, 0, logreg_kind);
    const RowsState* from = pgcrm::pg::read_rows_state(fcinfo, 1, logreg_kind);
    if (!from) return pgcrm::pg::rows_state_datum(fcinfo, into);
    if (!into) {
        LogregOptions options = *logreg_options(from);
        options.skipped = 0;
        into = pgcrm::pg::new_rows_state(fcinfo, logreg_kind, &options, false);
    } else if (!same_options(logreg_options(into), *logreg_options(from))) {
        options_differ();
    }
    logreg_options(into)->skipped += logreg_options(from)->skipped;
    pgcrm::pg::training_append(into->rows, from->rows);
    return pgcrm::pg::rows_state_datum(fcinfo, into);
}

PGCRM_FUNCTION(pgcrm_logreg_final) {
    RowsState* s = pgcrm::pg::read_rows_state(fcinfo, 0, logreg_kind);
    if (!s || s->rows->n == 0) PG_RETURN_NULL();
    TrainingSet* set = s->rows;
    const LogregOptions options = *logreg_options(s);
    const int p = set->d - 1;
    if (p < 1)
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), errmsg("not a logreg state: no features")));
    // Split [x, y] rows into x (compacted in place) and y.
    bool* y = static_cast<bool*>(palloc(set->n));
    for (int64 i = 0; i < set->n; ++i) {
        y[i] = set->x[i * set->d + p] != 0;
        std::memmove(set->x + i * p, set->x + i * set->d, sizeof(double) * p);
    }
    set->d = p;  // the state is consumed (FINALFUNC_MODIFY = READ_WRITE)
    ResultRow row(fcinfo);
    guard([&] {
        const rg::LogisticFit f = rg::logreg(set->x, y, set->n, p, options.intercept, options.tolerance);
        pgcrm::pg::pg_call([&] {
            row.array("coefficients", f.coefficients);
            row.array("std_errors", f.std_errors);
            row.array("z_values", f.z_values);
            row.array("p_values", f.p_values);
            row.datum("covariance", matrix_datum(f.covariance, static_cast<int>(f.coefficients.size())));
            row.array("odds_ratios", f.odds_ratios);
            row.array("odds_ratio_low", f.odds_ratio_low);
            row.array("odds_ratio_high", f.odds_ratio_high);
        });
        row.number("log_likelihood", f.log_likelihood);
        row.number("aic", f.aic);
        row.number("deviance", f.deviance);
        row.number("null_deviance", f.null_deviance);
        row.datum("n", Int64GetDatum(f.n));
        row.datum("rank", Int32GetDatum(f.rank));
        row.datum("iterations", Int32GetDatum(f.iterations));
        row.datum("converged", BoolGetDatum(f.converged));
        row.datum("separation", BoolGetDatum(f.separation));
    });
    row.datum("intercept", BoolGetDatum(options.intercept));
    row.datum("skipped", Int64GetDatum(options.skipped));
    return row.build();
}

PGCRM_FUNCTION(pgcrm_logreg_predict) {
    const double eta = linear_predictor(fcinfo);
    PG_RETURN_FLOAT8(1 / (1 + std::exp(-eta)));
}

// ttest step (state, value, treatment [, equal_var]): NULL value or group skipped.
PGCRM_FUNCTION(pgcrm_ttest_step) {
    auto* s = static_cast<TTestState*>(pgcrm::pg::own_fixed_state(fcinfo, 0, ttest_kind));
    const bool equal_var = PG_NARGS() > 3 && !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
    if (!s) {
        s = static_cast<TTestState*>(pgcrm::pg::new_fixed_state(fcinfo, ttest_kind, sizeof(TTestState)));
        s->equal_var = equal_var;
    } else if (static_cast<bool>(s->equal_var) != equal_var) {
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("equal_var differs between rows of one group")));
    }
    if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) return pgcrm::pg::fixed_state_datum(fcinfo, s);
    const double v = PG_GETARG_FLOAT8(1);
    require_finite(v, "the value", static_cast<long long>(s->treatment.n + s->control.n + 1));
    (PG_GETARG_BOOL(2) ? s->treatment : s->control).add(v);
    return pgcrm::pg::fixed_state_datum(fcinfo, s);
}

PGCRM_FUNCTION(pgcrm_ttest_combine) {
    return combine_fixed<TTestState>(fcinfo, ttest_kind, [&](TTestState* into, const TTestState* from) {
        into->treatment.merge(from->treatment);
        into->control.merge(from->control);
        return into;
    });
}

PGCRM_FUNCTION(pgcrm_ttest_final) {
    const auto* s = static_cast<const TTestState*>(pgcrm::pg::read_fixed_state(fcinfo, 0, ttest_kind));
    if (!s) PG_RETURN_NULL();
    ResultRow row(fcinfo);
    const rg::TTest t = guard([&] { return rg::ttest(s->treatment, s->control, s->equal_var); });
    row.number("t", t.t);
    row.number("df", t.df);
    row.number("p_value", t.p_value);
    row.number("mean_treatment", t.mean_treatment);
    row.number("mean_control", t.mean_control);
    row.number("difference", t.difference);
    row.number("ci_low", t.ci_low);
    row.number("ci_high", t.ci_high);
    row.datum("n_treatment", Int64GetDatum(static_cast<int64>(s->treatment.n)));
    row.datum("n_control", Int64GetDatum(static_cast<int64>(s->control.n)));
    return row.build();
}

// prop_test step (state, converted, treatment): NULLs skipped.
PGCRM_FUNCTION(pgcrm_prop_test_step) {
    auto* s = static_cast<PropState*>(pgcrm::pg::own_fixed_state(fcinfo, 0, prop_kind));
    if (!s) s = static_cast<PropState*>(pgcrm::pg::new_fixed_state(fcinfo, prop_kind, sizeof(PropState)));
    if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) return pgcrm::pg::fixed_state_datum(fcinfo, s);
    const int group = PG_GETARG_BOOL(2) ? 1 : 0;
    s->total[group] += 1;
    s->converted[group] += PG_GETARG_BOOL(1) ? 1 : 0;
    return pgcrm::pg::fixed_state_datum(fcinfo, s);
}

PGCRM_FUNCTION(pgcrm_prop_test_combine) {
    return combine_fixed<PropState>(fcinfo, prop_kind, [&](PropState* into, const PropState* from) {
        for (int g = 0; g < 2; ++g) {
            into->total[g] += from->total[g];
            into->converted[g] += from->converted[g];
        }
        return into;
    });
}

PGCRM_FUNCTION(pgcrm_prop_test_final) {
    const auto* s = static_cast<const PropState*>(pgcrm::pg::read_fixed_state(fcinfo, 0, prop_kind));
    if (!s) PG_RETURN_NULL();
    ResultRow row(fcinfo);
    const rg::PropTest r =
        guard([&] { return rg::prop_test(s->converted[1], s->total[1], s->converted[0], s->total[0]); });
    row.number("p_treatment", r.p_treatment);
    row.number("p_control", r.p_control);
    row.number("difference", r.difference);
    row.number("ci_low", r.ci_low);
    row.number("ci_high", r.ci_high);
    row.number("z", r.z);
    row.number("p_value", r.p_value);
    row.number("lift", r.lift);
    row.number("lift_ci_low", r.lift_ci_low);
    row.number("lift_ci_high", r.lift_ci_high);
    row.datum("n_treatment", Int64GetDatum(s->total[1]));
    row.datum("n_control", Int64GetDatum(s->total[0]));
    return row.build();
}

// ttest_one step (state, value [, mu]) and ttest_paired step (state,
// treatment, control): NULL values skipped.
PGCRM_FUNCTION(pgcrm_ttest_one_step) {
    auto* s = static_cast<TTestOneState*>(pgcrm::pg::own_fixed_state(fcinfo, 0, ttest_one_kind));
    if (PG_NARGS() > 2) pgcrm::pg::require_arg(fcinfo, 2, "mu");
    const double mu = PG_NARGS() > 2 ? PG_GETARG_FLOAT8(2) : 0;
    require_finite(mu, "mu", 0);
    if (!s) {
        s = static_cast<TTestOneState*>(pgcrm::pg::new_fixed_state(fcinfo, ttest_one_kind, sizeof(TTestOneState)));
        s->mu = mu;
    } else if (s->mu != mu) {
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("mu differs between rows of one group")));
    }
    if (PG_ARGISNULL(1)) return pgcrm::pg::fixed_state_datum(fcinfo, s);
    const double v = PG_GETARG_FLOAT8(1);
    require_finite(v, "the value", static_cast<long long>(s->sample.n + 1));
    s->sample.add(v);
    return pgcrm::pg::fixed_state_datum(fcinfo, s);
}

PGCRM_FUNCTION(pgcrm_ttest_paired_step) {
    auto* s = static_cast<TTestOneState*>(pgcrm::pg::own_fixed_state(fcinfo, 0, ttest_one_kind));
    if (!s) s = static_cast<TTestOneState*>(pgcrm::pg::new_fixed_state(fcinfo, ttest_one_kind, sizeof(TTestOneState)));
    if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) return pgcrm::pg::fixed_state_datum(fcinfo, s);
    const long long row = static_cast<long long>(s->sample.n + 1);
    const double a = PG_GETARG_FLOAT8(1), b = PG_GETARG_FLOAT8(2);
    require_finite(a, "the treatment value", row);
    require_finite(b, "the control value", row);
    s->sample.add(a - b);
    return pgcrm::pg::fixed_state_datum(fcinfo, s);
}

PGCRM_FUNCTION(pgcrm_ttest_one_combine) {
    return combine_fixed<TTestOneState>(fcinfo, ttest_one_kind, [&](TTestOneState* into, const TTestOneState* from) {
        if (into->mu != from->mu)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("mu differs between rows of one group")));
        into->sample.merge(from->sample);
        return into;
    });
}

PGCRM_FUNCTION(pgcrm_ttest_one_final) {
    const auto* s = static_cast<const TTestOneState*>(pgcrm::pg::read_fixed_state(fcinfo, 0, ttest_one_kind));
    if (!s) PG_RETURN_NULL();
    ResultRow row(fcinfo);
    const rg::OneSampleTTest t = guard([&] { return rg::ttest_one(s->sample, s->mu); });
    row.number("t", t.t);
    row.number("df", t.df);
    row.number("p_value", t.p_value);
    row.number("mean", t.mean);
    row.number("ci_low", t.ci_low);
    row.number("ci_high", t.ci_high);
    row.number("mu", s->mu);
    row.datum("n", Int64GetDatum(static_cast<int64>(s->sample.n)));
    return row.build();
}

// chisq_test step (state, row_label, col_label [, correct]): NULL labels skipped.
PGCRM_FUNCTION(pgcrm_chisq_test_step) {
    auto* s = static_cast<ChisqState*>(pgcrm::pg::own_fixed_state(fcinfo, 0, chisq_kind));
    if (PG_NARGS() > 3) pgcrm::pg::require_arg(fcinfo, 3, "correct");
    const bool correct = PG_NARGS() <= 3 || PG_GETARG_BOOL(3);
    if (!s) {
        s = static_cast<ChisqState*>(pgcrm::pg::new_fixed_state(fcinfo, chisq_kind, chisq_size(0, 0, 0)));
        s->correct = correct;
    } else if (static_cast<bool>(s->correct) != correct) {
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("correct differs between rows of one group")));
    }
    if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) return pgcrm::pg::fixed_state_datum(fcinfo, s);
    *chisq_cell(fcinfo, &s, text_to_cstring(PG_GETARG_TEXT_PP(1)), text_to_cstring(PG_GETARG_TEXT_PP(2))) += 1;
    return pgcrm::pg::fixed_state_datum(fcinfo, s);
}

PGCRM_FUNCTION(pgcrm_chisq_test_combine) {
    return combine_fixed<ChisqState>(fcinfo, chisq_kind, [&](ChisqState* into, const ChisqState* from) {
        if (into->correct != from->correct)
            ereport(ERROR,
                    (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("correct differs between rows of one group")));
        const char* row = chisq_labels(from);
        const char* cols = row;
        for (int i = 0; i < from->rows; ++i) cols += strlen(cols) + 1;
        for (int i = 0; i < from->rows; ++i, row += strlen(row) + 1) {
            const char* col = cols;
            for (int j = 0; j < from->cols; ++j, col += strlen(col) + 1)
                if (from->counts[i * from->cols + j])
                    *chisq_cell(fcinfo, &into, row, col) += from->counts[i * from->cols + j];
        }
        return into;
    });
}

namespace {

// Labels in the order ORDER BY gives them under the aggregate's collation.
struct LabelOrder {
    const char** labels;
    Oid collation;
};

int compare_labels(const void* a, const void* b, void* arg) {
    const auto* order = static_cast<const LabelOrder*>(arg);
    const char* x = order->labels[*static_cast<const int*>(a)];
    const char* y = order->labels[*static_cast<const int*>(b)];
    return varstr_cmp(x, static_cast<int>(strlen(x)), y, static_cast<int>(strlen(y)), order->collation);
}

// The permutation that sorts `count` labels starting at *cursor, which moves past them.
int* sorted_labels(const char** cursor, int count, const char*** labels, Oid collation) {
    *labels = static_cast<const char**>(palloc(sizeof(char*) * (count ? count : 1)));
    int* order = static_cast<int*>(palloc(sizeof(int) * (count ? count : 1)));
    for (int i = 0; i < count; ++i, *cursor += strlen(*cursor) + 1) {
        (*labels)[i] = *cursor;
        order[i] = i;
    }
    LabelOrder o{*labels, OidIsValid(collation) ? collation : DEFAULT_COLLATION_OID};
    qsort_arg(order, count, sizeof(int), compare_labels, &o);
    return order;
}

Datum text_array(const char** labels, const int* order, int count) {
    Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * (count ? count : 1)));
    for (int i = 0; i < count; ++i) elems[i] = CStringGetTextDatum(labels[order[i]]);
    return PointerGetDatum(construct_array(elems, count, TEXTOID, -1, false, TYPALIGN_INT));
}

}  // namespace

PGCRM_FUNCTION(pgcrm_chisq_test_final) {
    const auto* s = static_cast<const ChisqState*>(pgcrm::pg::read_fixed_state(fcinfo, 0, chisq_kind));
    if (!s || s->rows == 0) PG_RETURN_NULL();
    const char* cursor = chisq_labels(s);
    const char **row_labels, **col_labels;
    const int* row_order = sorted_labels(&cursor, s->rows, &row_labels, PG_GET_COLLATION());
    const int* col_order = sorted_labels(&cursor, s->cols, &col_labels, PG_GET_COLLATION());
    const int rows = s->rows, cols = s->cols;
    int64* counts = static_cast<int64*>(palloc(sizeof(int64) * rows * cols));
    Datum* observed = static_cast<Datum*>(palloc(sizeof(Datum) * rows * cols));
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) {
            counts[i * cols + j] = s->counts[row_order[i] * cols + col_order[j]];
            observed[i * cols + j] = Int64GetDatum(counts[i * cols + j]);
        }
    int dims[2] = {rows, cols}, lbs[2] = {1, 1};
    ResultRow row(fcinfo);
    row.datum("row_labels", text_array(row_labels, row_order, rows));
    row.datum("column_labels", text_array(col_labels, col_order, cols));
    row.datum("observed", PointerGetDatum(construct_md_array(observed, nullptr, 2, dims, lbs, INT8OID, sizeof(int64),
                                                             FLOAT8PASSBYVAL, TYPALIGN_DOUBLE)));
    guard([&] {
        const rg::ChiSquareTest t =
            rg::chisq_test(std::vector<int64_t>(counts, counts + rows * cols), rows, cols, s->correct);
        row.number("statistic", t.statistic);
        row.number("df", t.df);
        row.number("p_value", t.p_value);
        pgcrm::pg::pg_call([&] {
            row.datum("expected", pgcrm::pg::float8_array(t.expected.data(), 2, dims));
            row.datum("warning", t.warning.empty() ? Datum(0) : CStringGetTextDatum(t.warning.c_str()),
                      t.warning.empty());
        });
    });
    int64 n = 0;
    for (int i = 0; i < rows * cols; ++i) n += counts[i];
    row.datum("n", Int64GetDatum(n));
    return row.build();
}

// mann_whitney step (state, value, treatment): NULL value or group skipped.
PGCRM_FUNCTION(pgcrm_mann_whitney_step) {
    RowsState* s = pgcrm::pg::own_rows_state(fcinfo, 0, mann_whitney_kind);
    if (!s) s = pgcrm::pg::new_rows_state(fcinfo, mann_whitney_kind, nullptr, false);
    if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2)) push_pair(s, PG_GETARG_FLOAT8(1), PG_GETARG_BOOL(2), "the value");
    return pgcrm::pg::rows_state_datum(fcinfo, s);
}

PGCRM_FUNCTION(pgcrm_mann_whitney_combine) {
    return pgcrm::pg::rows_state_datum(fcinfo, rows_combined(fcinfo, mann_whitney_kind));
}

PGCRM_FUNCTION(pgcrm_mann_whitney_final) {
    RowsState* s = pgcrm::pg::read_rows_state(fcinfo, 0, mann_whitney_kind);
    if (!s) PG_RETURN_NULL();
    const TrainingSet* set = s->rows;
    if (set->n > 0 && set->d != 2)
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), errmsg("not a mann_whitney state")));
    ResultRow row(fcinfo);
    int64 treated = 0;
    guard([&] {
        std::vector<double> x, y;
        for (int64 i = 0; i < set->n; ++i) (set->x[2 * i + 1] != 0 ? x : y).push_back(set->x[2 * i]);
        treated = static_cast<int64>(x.size());
        const rg::MannWhitney r = rg::mann_whitney(x, y);
        row.number("w", r.w);
        row.number("p_value", r.p_value);
        row.number("z", r.z);
        row.datum("exact", BoolGetDatum(r.exact), std::isnan(r.p_value));
    });
    row.datum("n_treatment", Int64GetDatum(treated));
    row.datum("n_control", Int64GetDatum(set->n - treated));
    return row.build();
}

// classification step (state, score, actual [, threshold]): NULL score or
// outcome skipped. Shared by crm.classification_metrics and crm.roc_points.
PGCRM_FUNCTION(pgcrm_classification_step) {
    RowsState* s = pgcrm::pg::own_rows_state(fcinfo, 0, classification_kind);
    if (PG_NARGS() > 3) pgcrm::pg::require_arg(fcinfo, 3, "threshold");
    const ClassificationOptions options{PG_NARGS() > 3 ? PG_GETARG_FLOAT8(3) : 0.5};
    if (std::isnan(options.threshold))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("the threshold is NaN")));
    if (!s)
        s = pgcrm::pg::new_rows_state(fcinfo, classification_kind, &options, false);
    else if (static_cast<const ClassificationOptions*>(s->options)->threshold != options.threshold)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("threshold differs between rows of one group")));
    if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2)) push_pair(s, PG_GETARG_FLOAT8(1), PG_GETARG_BOOL(2), "the score");
    return pgcrm::pg::rows_state_datum(fcinfo, s);
}

PGCRM_FUNCTION(pgcrm_classification_combine) {
    return pgcrm::pg::rows_state_datum(fcinfo, rows_combined(fcinfo, classification_kind));
}

namespace {

// A classification state's rows as the core takes them; NULL when it has none.
const TrainingSet* scored_rows(FunctionCallInfo fcinfo, double* threshold) {
    RowsState* s = pgcrm::pg::read_rows_state(fcinfo, 0, classification_kind);
    if (!s || s->rows->n == 0) return nullptr;
    if (s->rows->d != 2)
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), errmsg("not a classification state")));
    *threshold = static_cast<const ClassificationOptions*>(s->options)->threshold;
    return s->rows;
}

std::vector<rg::Scored> scored(const TrainingSet* set) {
    std::vector<rg::Scored> rows(set->n);
    for (int64 i = 0; i < set->n; ++i) rows[i] = {set->x[2 * i], set->x[2 * i + 1] != 0};
    return rows;
}

}  // namespace

PGCRM_FUNCTION(pgcrm_classification_metrics_final) {
    double threshold;
    const TrainingSet* set = scored_rows(fcinfo, &threshold);
    if (!set) PG_RETURN_NULL();
    ResultRow row(fcinfo);
    guard([&] {
        std::vector<rg::Scored> rows = scored(set);
        const rg::Classification c = rg::classify(rows, threshold);
        row.datum("n", Int64GetDatum(c.n));
        row.datum("positives", Int64GetDatum(c.positives));
        row.number("auc", c.auc);
        row.number("brier", c.brier);
        row.number("log_loss", c.log_loss);
        row.number("threshold", threshold);
        row.datum("true_positives", Int64GetDatum(c.true_positives));
        row.datum("false_positives", Int64GetDatum(c.false_positives));
        row.datum("true_negatives", Int64GetDatum(c.true_negatives));
        row.datum("false_negatives", Int64GetDatum(c.false_negatives));
        row.number("accuracy", c.accuracy);
        row.number("precision", c.precision);
        row.number("recall", c.recall);
        row.number("specificity", c.specificity);
    });
    return row.build();
}

// roc_points final: crm.roc_point[], one per distinct score after (+∞, 0, 0).
PGCRM_FUNCTION(pgcrm_roc_points_final) {
    double threshold;
    const TrainingSet* set = scored_rows(fcinfo, &threshold);
    if (!set) PG_RETURN_NULL();
    // The declared type, not the call's: Citus's coordinator calls the final
    // function without a call expression.
    const Oid point_type = get_element_type(get_func_rettype(fcinfo->flinfo->fn_oid));
    if (!OidIsValid(point_type)) elog(ERROR, "pgcrm: crm.roc_points must return an array of crm.roc_point");
    TupleDesc desc = lookup_rowtype_tupdesc_copy(point_type, -1);
    BlessTupleDesc(desc);
    Datum* points = nullptr;
    int count = 0;
    guard([&] {
        std::vector<rg::Scored> rows = scored(set);
        const std::vector<rg::RocPoint> curve = rg::roc_points(rows);
        count = static_cast<int>(curve.size());
        pgcrm::pg::pg_call([&] {
            points = static_cast<Datum*>(palloc(sizeof(Datum) * (count ? count : 1)));
            for (int i = 0; i < count; ++i) {
                Datum values[3] = {Float8GetDatum(curve[i].threshold), Float8GetDatum(curve[i].false_positive_rate),
                                   Float8GetDatum(curve[i].true_positive_rate)};
                bool nulls[3] = {false, false, false};
                points[i] = HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
            }
        });
    });
    int16 typlen;
    bool typbyval;
    char typalign;
    get_typlenbyvalalign(point_type, &typlen, &typbyval, &typalign);
    PG_RETURN_ARRAYTYPE_P(construct_array(points, count, point_type, typlen, typbyval, typalign));
}
