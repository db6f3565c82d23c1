// Statistics aggregates: crm.linreg (double-double cross-products) and its
// second pass crm.linreg_robust, crm.logreg (rows kept for IRLS), the A/B
// tests, with the combine functions that let parallel query (and Citus) split
// them, and the predict functions. States are kept as state.hpp describes;
// the math is core/statistics.
#include <cmath>
#include <cstring>
#include <vector>

#include "core/statistics/hypothesis.hpp"
#include "core/statistics/regression.hpp"
#include "datum.hpp"
#include "guard.hpp"
#include "state.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
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

// The first input of a combine function, or a copy of its second when the
// group has no state yet.
void* combine_into(FunctionCallInfo fcinfo, const FixedKind& kind) {
    void* into = pgcrm::pg::own_fixed_state(fcinfo, 0, kind);
    if (into || PG_ARGISNULL(1)) return into;
    const auto* from = static_cast<const StateHeader*>(pgcrm::pg::read_fixed_state(fcinfo, 1, kind));
    into = pgcrm::pg::new_fixed_state(fcinfo, kind, VARSIZE(from));
    std::memcpy(into, from, VARSIZE(from));
    return into;
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
    const bool copied = PG_ARGISNULL(0);
    auto* into = static_cast<LinregState*>(combine_into(fcinfo, linreg_kind));
    if (copied || PG_ARGISNULL(1)) return pgcrm::pg::fixed_state_datum(fcinfo, into);
    const auto* from = static_cast<const LinregState*>(pgcrm::pg::read_fixed_state(fcinfo, 1, linreg_kind));
    if (!same_options(into, {static_cast<bool>(from->intercept), static_cast<bool>(from->skip_nulls), from->tolerance}))
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
    return pgcrm::pg::fixed_state_datum(fcinfo, into);
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
    const bool copied = PG_ARGISNULL(0);
    auto* into = static_cast<TTestState*>(combine_into(fcinfo, ttest_kind));
    if (copied || PG_ARGISNULL(1)) return pgcrm::pg::fixed_state_datum(fcinfo, into);
    const auto* from = static_cast<const TTestState*>(pgcrm::pg::read_fixed_state(fcinfo, 1, ttest_kind));
    into->treatment.merge(from->treatment);
    into->control.merge(from->control);
    return pgcrm::pg::fixed_state_datum(fcinfo, into);
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
    const bool copied = PG_ARGISNULL(0);
    auto* into = static_cast<PropState*>(combine_into(fcinfo, prop_kind));
    if (copied || PG_ARGISNULL(1)) return pgcrm::pg::fixed_state_datum(fcinfo, into);
    const auto* from = static_cast<const PropState*>(pgcrm::pg::read_fixed_state(fcinfo, 1, prop_kind));
    for (int g = 0; g < 2; ++g) {
        into->total[g] += from->total[g];
        into->converted[g] += from->converted[g];
    }
    return pgcrm::pg::fixed_state_datum(fcinfo, into);
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
