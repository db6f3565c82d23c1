// Statistics aggregates: crm.linreg (streaming moments), crm.logreg (rows kept
// for IRLS), crm.ttest and crm.prop_test, their predict functions, and the
// combine/serialize/deserialize support that lets parallel query split them.
// The math is core/statistics.
#include <cmath>
#include <cstring>
#include <vector>

#include "core/statistics/regression.hpp"
#include "datum.hpp"
#include "guard.hpp"
#include "training.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

namespace rg = pgcrm::statistics;
using pgcrm::pg::aggregate_context;
using pgcrm::pg::state_arg;
using pgcrm::pg::state_result;
using pgcrm::pg::guard;
using pgcrm::pg::ResultRow;
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

// The moments state holds (p + 1)² doubles: 1000 features is 8 MB a group.
constexpr int max_features = 1000;

// The x array of one row (row 0: a single x to predict for): float8,
// one-dimensional, no NULLs, finite.
const double* checked_x(Datum value, int* length, long long row) {
    ArrayType* array = DatumGetArrayTypeP(value);
    if (ARR_NDIM(array) > 1)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("%s must be a one-dimensional array", at_row("x", row))));
    *length = ARR_NDIM(array) == 1 ? ARR_DIMS(array)[0] : 0;
    if (*length < 1 || *length > max_features)
        ereport(ERROR, (errcode(*length < 1 ? ERRCODE_ARRAY_SUBSCRIPT_ERROR : ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("%s has %d values; between 1 and %d are supported", at_row("x", row), *length,
                               max_features)));
    if (ARR_HASNULL(array))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s contains a NULL", at_row("x", row)),
                        errhint("Filter such rows out, or fill the gaps with coalesce().")));
    const double* x = reinterpret_cast<const double*>(ARR_DATA_PTR(array));
    for (int j = 0; j < *length; ++j) require_finite(x[j], "an x value", row);
    return x;
}

// --- crm.linreg: the state is the moments of (x, y), see core/statistics/regression.hpp.
struct LinregState {
    int32 p;
    bool intercept;
    double moments[FLEXIBLE_ARRAY_MEMBER];
};

Size linreg_state_size(int p) { return offsetof(LinregState, moments) + sizeof(double) * rg::Moments::size(p); }

LinregState* new_linreg_state(MemoryContext context, int p, bool intercept) {
    auto* s = static_cast<LinregState*>(MemoryContextAllocZero(context, linreg_state_size(p)));
    s->p = p;
    s->intercept = intercept;
    return s;
}

rg::Moments moments_of(LinregState* s) { return {s->moments, s->p}; }

// --- crm.logreg: the rows themselves, each x followed by y as 0 or 1.
struct LogregState {
    TrainingSet* set;
    bool intercept;
};

// Rows of x then y; the fit needs two more doubles and a bool per row.
LogregState* new_logreg_state(MemoryContext context, bool intercept) {
    auto* s = static_cast<LogregState*>(MemoryContextAllocZero(context, sizeof(LogregState)));
    s->set = pgcrm::pg::training_create(context, false, 2 * sizeof(double) + 1, true);
    s->intercept = intercept;
    return s;
}

// --- crm.ttest and crm.prop_test: two mergeable samples or four counts.
struct TTestState {
    rg::Sample treatment, control;
    bool equal_var;
};

struct PropState {
    int64 converted[2], total[2];  // [control, treatment]
};

template <typename T>
Datum serialize_pod(const T* state) {
    bytea* out = static_cast<bytea*>(palloc(VARHDRSZ + sizeof(T)));
    SET_VARSIZE(out, VARHDRSZ + sizeof(T));
    std::memcpy(VARDATA(out), state, sizeof(T));
    return PointerGetDatum(out);
}

template <typename T>
T* deserialize_pod(const bytea* in) {
    if (VARSIZE_ANY_EXHDR(in) != sizeof(T)) elog(ERROR, "pgcrm: malformed aggregate state");
    T* s = static_cast<T*>(palloc(sizeof(T)));
    std::memcpy(s, VARDATA_ANY(in), sizeof(T));
    return s;
}

bool intercept_arg(FunctionCallInfo fcinfo, int argno) {
    if (PG_NARGS() <= argno) return true;
    if (PG_ARGISNULL(argno))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("intercept must not be NULL")));
    return PG_GETARG_BOOL(argno);
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
    const auto& c = *static_cast<Coefficients*>(pgcrm::pg::cached_model(fcinfo, PG_GETARG_DATUM(0), parse_coefficients));
    int length;
    const double* x = checked_x(PG_GETARG_DATUM(1), &length, 0);
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

extern "C" {
PG_FUNCTION_INFO_V1(pgcrm_linreg_step);
PG_FUNCTION_INFO_V1(pgcrm_linreg_combine);
PG_FUNCTION_INFO_V1(pgcrm_linreg_serialize);
PG_FUNCTION_INFO_V1(pgcrm_linreg_deserialize);
PG_FUNCTION_INFO_V1(pgcrm_linreg_final);
PG_FUNCTION_INFO_V1(pgcrm_linreg_predict);
PG_FUNCTION_INFO_V1(pgcrm_logreg_step);
PG_FUNCTION_INFO_V1(pgcrm_logreg_combine);
PG_FUNCTION_INFO_V1(pgcrm_logreg_serialize);
PG_FUNCTION_INFO_V1(pgcrm_logreg_deserialize);
PG_FUNCTION_INFO_V1(pgcrm_logreg_final);
PG_FUNCTION_INFO_V1(pgcrm_logreg_predict);
PG_FUNCTION_INFO_V1(pgcrm_ttest_step);
PG_FUNCTION_INFO_V1(pgcrm_ttest_combine);
PG_FUNCTION_INFO_V1(pgcrm_ttest_serialize);
PG_FUNCTION_INFO_V1(pgcrm_ttest_deserialize);
PG_FUNCTION_INFO_V1(pgcrm_ttest_final);
PG_FUNCTION_INFO_V1(pgcrm_prop_test_step);
PG_FUNCTION_INFO_V1(pgcrm_prop_test_combine);
PG_FUNCTION_INFO_V1(pgcrm_prop_test_serialize);
PG_FUNCTION_INFO_V1(pgcrm_prop_test_deserialize);
PG_FUNCTION_INFO_V1(pgcrm_prop_test_final);
Datum pgcrm_linreg_step(PG_FUNCTION_ARGS);
Datum pgcrm_linreg_combine(PG_FUNCTION_ARGS);
Datum pgcrm_linreg_serialize(PG_FUNCTION_ARGS);
Datum pgcrm_linreg_deserialize(PG_FUNCTION_ARGS);
Datum pgcrm_linreg_final(PG_FUNCTION_ARGS);
Datum pgcrm_linreg_predict(PG_FUNCTION_ARGS);
Datum pgcrm_logreg_step(PG_FUNCTION_ARGS);
Datum pgcrm_logreg_combine(PG_FUNCTION_ARGS);
Datum pgcrm_logreg_serialize(PG_FUNCTION_ARGS);
Datum pgcrm_logreg_deserialize(PG_FUNCTION_ARGS);
Datum pgcrm_logreg_final(PG_FUNCTION_ARGS);
Datum pgcrm_logreg_predict(PG_FUNCTION_ARGS);
Datum pgcrm_ttest_step(PG_FUNCTION_ARGS);
Datum pgcrm_ttest_combine(PG_FUNCTION_ARGS);
Datum pgcrm_ttest_serialize(PG_FUNCTION_ARGS);
Datum pgcrm_ttest_deserialize(PG_FUNCTION_ARGS);
Datum pgcrm_ttest_final(PG_FUNCTION_ARGS);
Datum pgcrm_prop_test_step(PG_FUNCTION_ARGS);
Datum pgcrm_prop_test_combine(PG_FUNCTION_ARGS);
Datum pgcrm_prop_test_serialize(PG_FUNCTION_ARGS);
Datum pgcrm_prop_test_deserialize(PG_FUNCTION_ARGS);
Datum pgcrm_prop_test_final(PG_FUNCTION_ARGS);
}

// linreg step (state, y, x [, intercept]): rows with a NULL y are skipped.
Datum pgcrm_linreg_step(PG_FUNCTION_ARGS) {
    const MemoryContext context = aggregate_context(fcinfo);
    auto* s = state_arg<LinregState>(fcinfo, 0);
    if (PG_ARGISNULL(1)) return state_result(fcinfo, s);
    const long long row = 1 + (s ? static_cast<long long>(s->moments[0]) : 0);
    if (PG_ARGISNULL(2))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("x of row %lld is NULL", row)));
    const double y = PG_GETARG_FLOAT8(1);
    require_finite(y, "y", row);
    int p;
    const double* x = checked_x(PG_GETARG_DATUM(2), &p, row);
    const bool intercept = intercept_arg(fcinfo, 3);
    if (!s) {
        s = new_linreg_state(context, p, intercept);
    } else if (s->p != p) {
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("x of row %lld has %d values, earlier rows have %d", row, p, s->p)));
    } else if (s->intercept != intercept) {
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("intercept differs between rows of one group")));
    }
    rg::add(moments_of(s), x, y);
    return state_result(fcinfo, s);
}

Datum pgcrm_linreg_combine(PG_FUNCTION_ARGS) {
    const MemoryContext context = aggregate_context(fcinfo);
    auto* into = state_arg<LinregState>(fcinfo, 0);
    auto* from = state_arg<LinregState>(fcinfo, 1);
    if (!from) return state_result(fcinfo, into);
    if (!into) {
        into = new_linreg_state(context, from->p, from->intercept);
        std::memcpy(into, from, linreg_state_size(from->p));
        return state_result(fcinfo, into);
    }
    if (into->p != from->p)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("x arrays of %d and %d values in one group", into->p, from->p)));
    rg::merge(moments_of(into), moments_of(from));
    return state_result(fcinfo, into);
}

Datum pgcrm_linreg_serialize(PG_FUNCTION_ARGS) {
    const auto* s = reinterpret_cast<LinregState*>(PG_GETARG_POINTER(0));
    const Size size = linreg_state_size(s->p);
    bytea* out = static_cast<bytea*>(palloc(VARHDRSZ + size));
    SET_VARSIZE(out, VARHDRSZ + size);
    std::memcpy(VARDATA(out), s, size);
    PG_RETURN_BYTEA_P(out);
}

Datum pgcrm_linreg_deserialize(PG_FUNCTION_ARGS) {
    const bytea* in = PG_GETARG_BYTEA_PP(0);
    int32 p;
    if (VARSIZE_ANY_EXHDR(in) < sizeof p) elog(ERROR, "pgcrm: malformed linreg state");
    std::memcpy(&p, VARDATA_ANY(in), sizeof p);
    if (p < 0 || VARSIZE_ANY_EXHDR(in) != linreg_state_size(p)) elog(ERROR, "pgcrm: malformed linreg state");
    auto* s = static_cast<LinregState*>(palloc(linreg_state_size(p)));
    std::memcpy(s, VARDATA_ANY(in), linreg_state_size(p));
    return state_result(fcinfo, s);
}

Datum pgcrm_linreg_final(PG_FUNCTION_ARGS) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    auto* s = reinterpret_cast<LinregState*>(PG_GETARG_POINTER(0));
    ResultRow row;
    guard([&] {
        const rg::Fit f = rg::linreg(moments_of(s), s->intercept);
        pgcrm::pg::pg_call([&] {
            row.array(f.coefficients);
            row.array(f.std_errors);
            row.array(f.t_values);
            row.array(f.p_values);
        });
        for (double v : {f.r_squared, f.adj_r_squared, f.f_statistic, f.f_p_value, f.sigma}) row.number(v);
        row.datum(Int64GetDatum(f.n));
        row.datum(Int32GetDatum(f.rank));
        row.datum(Int32GetDatum(f.df_residual));
    });
    row.datum(BoolGetDatum(s->intercept));
    PG_RETURN_DATUM(row.build(fcinfo));
}

Datum pgcrm_linreg_predict(PG_FUNCTION_ARGS) { PG_RETURN_FLOAT8(linear_predictor(fcinfo)); }

// logreg step (state, y, x [, intercept])
Datum pgcrm_logreg_step(PG_FUNCTION_ARGS) {
    const MemoryContext context = aggregate_context(fcinfo);
    auto* s = state_arg<LogregState>(fcinfo, 0);
    if (PG_ARGISNULL(1)) return state_result(fcinfo, s);
    const bool intercept = intercept_arg(fcinfo, 3);
    if (!s) {
        s = new_logreg_state(context, intercept);
    } else if (s->intercept != intercept) {
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("intercept differs between rows of one group")));
    }
    pgcrm::pg::training_add(s->set, PG_GETARG_DATUM(2), PG_ARGISNULL(2), 1, PG_GETARG_BOOL(1) ? 1 : 0);
    return state_result(fcinfo, s);
}

Datum pgcrm_logreg_combine(PG_FUNCTION_ARGS) {
    const MemoryContext context = aggregate_context(fcinfo);
    auto* into = state_arg<LogregState>(fcinfo, 0);
    auto* from = state_arg<LogregState>(fcinfo, 1);
    if (!from) return state_result(fcinfo, into);
    if (!into) into = new_logreg_state(context, from->intercept);
    pgcrm::pg::training_append(into->set, from->set);
    return state_result(fcinfo, into);
}

Datum pgcrm_logreg_serialize(PG_FUNCTION_ARGS) {
    const auto* s = reinterpret_cast<LogregState*>(PG_GETARG_POINTER(0));
    PG_RETURN_BYTEA_P(pgcrm::pg::training_serialize(s->set, &s->intercept, sizeof s->intercept));
}

Datum pgcrm_logreg_deserialize(PG_FUNCTION_ARGS) {
    LogregState* s = new_logreg_state(CurrentMemoryContext, true);
    pgcrm::pg::training_deserialize(s->set, PG_GETARG_BYTEA_PP(0), &s->intercept, sizeof s->intercept);
    return state_result(fcinfo, s);
}

Datum pgcrm_logreg_final(PG_FUNCTION_ARGS) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    auto* s = reinterpret_cast<LogregState*>(PG_GETARG_POINTER(0));
    TrainingSet* set = s->set;
    const int p = set->d - 1;
    // Split [x, y] rows into x (compacted in place) and y.
    bool* y = static_cast<bool*>(palloc(set->n ? set->n : 1));
    for (int64 i = 0; i < set->n; ++i) {
        y[i] = set->x[i * set->d + p] != 0;
        std::memmove(set->x + i * p, set->x + i * set->d, sizeof(double) * p);
    }
    set->d = p;  // the state is consumed (FINALFUNC_MODIFY = READ_WRITE)
    ResultRow row;
    guard([&] {
        const rg::LogisticFit f = rg::logreg(set->x, y, set->n, p, s->intercept);
        pgcrm::pg::pg_call([&] {
            row.array(f.coefficients);
            row.array(f.std_errors);
            row.array(f.z_values);
            row.array(f.p_values);
        });
        for (double v : {f.log_likelihood, f.aic, f.deviance, f.null_deviance}) row.number(v);
        row.datum(Int64GetDatum(f.n));
        row.datum(Int32GetDatum(f.rank));
        row.datum(Int32GetDatum(f.iterations));
        row.datum(BoolGetDatum(f.converged));
        row.datum(BoolGetDatum(f.separation));
    });
    row.datum(BoolGetDatum(s->intercept));
    PG_RETURN_DATUM(row.build(fcinfo));
}

Datum pgcrm_logreg_predict(PG_FUNCTION_ARGS) {
    const double eta = linear_predictor(fcinfo);
    PG_RETURN_FLOAT8(1 / (1 + std::exp(-eta)));
}

// ttest step (state, value, treatment [, equal_var]): NULL value or group skipped.
Datum pgcrm_ttest_step(PG_FUNCTION_ARGS) {
    const MemoryContext context = aggregate_context(fcinfo);
    auto* s = state_arg<TTestState>(fcinfo, 0);
    const bool equal_var = PG_NARGS() > 3 && !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
    if (!s) {
        s = static_cast<TTestState*>(MemoryContextAllocZero(context, sizeof(TTestState)));
        s->equal_var = equal_var;
    } else if (s->equal_var != equal_var) {
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("equal_var differs between rows of one group")));
    }
    if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) return state_result(fcinfo, s);
    const double v = PG_GETARG_FLOAT8(1);
    require_finite(v, "the value", static_cast<long long>(s->treatment.n + s->control.n + 1));
    (PG_GETARG_BOOL(2) ? s->treatment : s->control).add(v);
    return state_result(fcinfo, s);
}

Datum pgcrm_ttest_combine(PG_FUNCTION_ARGS) {
    const MemoryContext context = aggregate_context(fcinfo);
    auto* into = state_arg<TTestState>(fcinfo, 0);
    auto* from = state_arg<TTestState>(fcinfo, 1);
    if (!from) return state_result(fcinfo, into);
    if (!into) {
        into = static_cast<TTestState*>(MemoryContextAlloc(context, sizeof(TTestState)));
        *into = *from;
        return state_result(fcinfo, into);
    }
    into->treatment.merge(from->treatment);
    into->control.merge(from->control);
    return state_result(fcinfo, into);
}

Datum pgcrm_ttest_serialize(PG_FUNCTION_ARGS) {
    PG_RETURN_DATUM(serialize_pod(reinterpret_cast<TTestState*>(PG_GETARG_POINTER(0))));
}

Datum pgcrm_ttest_deserialize(PG_FUNCTION_ARGS) {
    PG_RETURN_POINTER(deserialize_pod<TTestState>(PG_GETARG_BYTEA_PP(0)));
}

Datum pgcrm_ttest_final(PG_FUNCTION_ARGS) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    const auto* s = reinterpret_cast<TTestState*>(PG_GETARG_POINTER(0));
    const rg::TTest t = guard([&] { return rg::ttest(s->treatment, s->control, s->equal_var); });
    ResultRow row;
    for (double v : {t.t, t.df, t.p_value, t.mean_treatment, t.mean_control, t.difference, t.ci_low, t.ci_high})
        row.number(v);
    row.datum(Int64GetDatum(static_cast<int64>(s->treatment.n)));
    row.datum(Int64GetDatum(static_cast<int64>(s->control.n)));
    PG_RETURN_DATUM(row.build(fcinfo));
}

// prop_test step (state, converted, treatment): NULLs skipped.
Datum pgcrm_prop_test_step(PG_FUNCTION_ARGS) {
    const MemoryContext context = aggregate_context(fcinfo);
    auto* s = state_arg<PropState>(fcinfo, 0);
    if (!s) s = static_cast<PropState*>(MemoryContextAllocZero(context, sizeof(PropState)));
    if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) return state_result(fcinfo, s);
    const int group = PG_GETARG_BOOL(2) ? 1 : 0;
    s->total[group] += 1;
    s->converted[group] += PG_GETARG_BOOL(1) ? 1 : 0;
    return state_result(fcinfo, s);
}

Datum pgcrm_prop_test_combine(PG_FUNCTION_ARGS) {
    const MemoryContext context = aggregate_context(fcinfo);
    auto* into = state_arg<PropState>(fcinfo, 0);
    auto* from = state_arg<PropState>(fcinfo, 1);
    if (!from) return state_result(fcinfo, into);
    if (!into) into = static_cast<PropState*>(MemoryContextAllocZero(context, sizeof(PropState)));
    for (int g = 0; g < 2; ++g) {
        into->total[g] += from->total[g];
        into->converted[g] += from->converted[g];
    }
    return state_result(fcinfo, into);
}

Datum pgcrm_prop_test_serialize(PG_FUNCTION_ARGS) {
    PG_RETURN_DATUM(serialize_pod(reinterpret_cast<PropState*>(PG_GETARG_POINTER(0))));
}

Datum pgcrm_prop_test_deserialize(PG_FUNCTION_ARGS) {
    PG_RETURN_POINTER(deserialize_pod<PropState>(PG_GETARG_BYTEA_PP(0)));
}

Datum pgcrm_prop_test_final(PG_FUNCTION_ARGS) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    const auto* s = reinterpret_cast<PropState*>(PG_GETARG_POINTER(0));
    const rg::PropTest r =
        guard([&] { return rg::prop_test(s->converted[1], s->total[1], s->converted[0], s->total[0]); });
    ResultRow row;
    for (double v : {r.p_treatment, r.p_control, r.difference, r.ci_low, r.ci_high, r.z, r.p_value, r.lift,
                     r.lift_ci_low, r.lift_ci_high})
        row.number(v);
    row.datum(Int64GetDatum(s->total[1]));
    row.datum(Int64GetDatum(s->total[0]));
    PG_RETURN_DATUM(row.build(fcinfo));
}
