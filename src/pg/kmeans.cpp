// K-means in SQL: crm.kmeans over a query, the crm.kmeans_agg aggregate,
// crm.kmeans_assign, crm.silhouette and crm.kmeans_elbow. Rows are collected
// by training.cpp; the algorithm is core/kmeans.
#include <cmath>
#include <cstring>
#include <vector>

#include "core/kmeans.hpp"
#include "datum.hpp"
#include "core/error.hpp"
#include "guard.hpp"
#include "state.hpp"
#include "training.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"
}

namespace km = pgcrm::kmeans;
using pgcrm::pg::guard;
using pgcrm::pg::require_arg;
using pgcrm::pg::pg_call;
using pgcrm::pg::aggregate_context;
using pgcrm::pg::RowsState;
using pgcrm::pg::float8_array;
using pgcrm::pg::TrainingSet;


namespace {

// A model in palloc'd memory: what crm.kmeans_model holds.
struct ModelData {
    int k, d;
    int64 n;
    double* centroids;  // k × d, original units
    int64* sizes;
    double inertia, objective;
    int iterations;
    bool converged;
    double* mean;  // d, or NULL when not standardised
    double* scale;
};

template <typename T>
T* palloc_copy(const std::vector<T>& v) {
    T* out = pg_call([&] { return static_cast<T*>(palloc(sizeof(T) * (v.empty() ? 1 : v.size()))); });
    std::memcpy(out, v.data(), sizeof(T) * v.size());
    return out;
}

// Options from arguments k, n_init, max_iter, tol, seed, standardize at
// `first`…; a NULL one (or one not passed) takes core/kmeans' default.
km::Options options_from(FunctionCallInfo fcinfo, int first) {
    km::Options o;
    require_arg(fcinfo, first, "k");
    o.k = PG_GETARG_INT32(first);
    auto given = [&](int i) { return PG_NARGS() > first + i && !PG_ARGISNULL(first + i); };
    if (given(1)) o.n_init = PG_GETARG_INT32(first + 1);
    if (given(2)) o.max_iter = PG_GETARG_INT32(first + 2);
    if (given(3)) o.tol = PG_GETARG_FLOAT8(first + 3);
    if (given(4)) o.seed = static_cast<uint64>(static_cast<int64>(PG_GETARG_INT32(first + 4)));
    if (given(5)) o.standardize = PG_GETARG_BOOL(first + 5);
    return o;
}

TrainingSet* new_training_set(bool weighted) {
    const MemoryContext context =
        AllocSetContextCreate(CurrentMemoryContext, "pgcrm training data", ALLOCSET_DEFAULT_SIZES);
    return pgcrm::pg::training_create(context, weighted, km::working_bytes_per_point);
}

void require_rows(const TrainingSet* set) {
    if (set->n == 0)
        ereport(ERROR, (errcode(PGCRM_ERRCODE(pgcrm::sqlstate::insufficient_data)), errmsg("the source query returned no rows")));
}

km::Dataset dataset(TrainingSet* set) { return {set->x, set->n, set->d, set->w}; }

// A fitted model copied into palloc'd memory; inside guard.
ModelData model_data(const TrainingSet* set, const km::Model& m) {
    ModelData out{m.k, m.d, set->n, palloc_copy(m.centroids), palloc_copy(m.sizes), m.inertia,
                  m.objective, m.iterations, m.converged, nullptr, nullptr};
    if (!m.scaling.identity()) {
        out.mean = palloc_copy(m.scaling.mean);
        out.scale = palloc_copy(m.scaling.scale);
    }
    return out;
}

ModelData train(TrainingSet* set, const km::Options& options) {
    return guard([&] {
        km::Dataset data = dataset(set);
        const km::Scaling scaling = options.standardize ? km::standardize(data) : km::Scaling{};
        return model_data(set, km::fit(data, scaling, options));
    });
}

Datum model_datum(FunctionCallInfo fcinfo, const ModelData& m) {
    Datum* sizes = static_cast<Datum*>(palloc(sizeof(Datum) * m.k));
    for (int j = 0; j < m.k; ++j) sizes[j] = Int64GetDatum(m.sizes[j]);
    const int grid[2] = {m.k, m.d}, row[1] = {m.d};
    pgcrm::pg::ResultRow r(fcinfo);
    r.datum("k", Int32GetDatum(m.k));
    r.datum("n", Int64GetDatum(m.n));
    r.datum("centroids", float8_array(m.centroids, 2, grid));
    r.datum("sizes", PointerGetDatum(construct_array(sizes, m.k, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE)));
    r.number("inertia", m.inertia);
    r.number("objective", m.objective);
    r.datum("iterations", Int32GetDatum(m.iterations));
    r.datum("converged", BoolGetDatum(m.converged));
    r.datum("feature_mean", m.mean ? float8_array(m.mean, 1, row) : Datum(0), !m.mean);
    r.datum("feature_scale", m.scale ? float8_array(m.scale, 1, row) : Datum(0), !m.scale);
    return r.build();
}

[[noreturn]] void bad_model(const char* why) {
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("not a valid crm.kmeans_model: %s", why),
                    errhint("Pass a model made by crm.kmeans or crm.kmeans_agg.")));
}

// A float8 array field of the model with the expected shape, as a C array.
const double* model_array(HeapTupleHeader model, const char* field, int ndim, int* dims, bool* isnull) {
    const Datum value = GetAttributeByName(model, field, isnull);
    if (*isnull) return nullptr;
    ArrayType* array = DatumGetArrayTypeP(value);
    if (ARR_ELEMTYPE(array) != FLOAT8OID || ARR_NDIM(array) != ndim || ARR_HASNULL(array)) bad_model(field);
    for (int i = 0; i < ndim; ++i) dims[i] = ARR_DIMS(array)[i];
    const double* v = reinterpret_cast<const double*>(ARR_DATA_PTR(array));
    const int count = ndim == 1 ? dims[0] : dims[0] * dims[1];
    for (int i = 0; i < count; ++i)
        if (!std::isfinite(v[i])) bad_model(field);
    return v;
}

// What assignment needs: centroids in the fit space and the map into it.
struct Classifier {
    int k, d;
    double* centroids;
    double* mean;   // NULL for the identity
    double* scale;
    double* scratch;
};

Classifier classifier_of(HeapTupleHeader model, MemoryContext context) {
    int grid[2], mean_dims[1], scale_dims[1];
    bool no_centroids, no_mean, no_scale;
    const double* centroids = model_array(model, "centroids", 2, grid, &no_centroids);
    const double* mean = model_array(model, "feature_mean", 1, mean_dims, &no_mean);
    const double* scale = model_array(model, "feature_scale", 1, scale_dims, &no_scale);
    if (no_centroids || grid[0] < 1 || grid[1] < 1) bad_model("no centroids");
    if (no_mean != no_scale) bad_model("feature_mean and feature_scale must both be set or both be NULL");
    if (!no_mean && (mean_dims[0] != grid[1] || scale_dims[0] != grid[1]))
        bad_model("feature_mean and feature_scale must have one value per feature");
    Classifier c{grid[0], grid[1], nullptr, nullptr, nullptr, nullptr};
    const Size row_bytes = sizeof(double) * c.d;
    c.centroids = static_cast<double*>(MemoryContextAlloc(context, row_bytes * c.k));
    std::memcpy(c.centroids, centroids, row_bytes * c.k);
    c.scratch = static_cast<double*>(MemoryContextAlloc(context, row_bytes));
    if (no_mean) return c;
    for (int f = 0; f < c.d; ++f)
        if (!(scale[f] > 0)) bad_model("feature_scale must be positive");
    c.mean = static_cast<double*>(MemoryContextAlloc(context, row_bytes));
    c.scale = static_cast<double*>(MemoryContextAlloc(context, row_bytes));
    std::memcpy(c.mean, mean, row_bytes);
    std::memcpy(c.scale, scale, row_bytes);
    km::to_fit_space(c.centroids, c.k, c.d, mean, scale);
    return c;
}

// The model's scaling (the identity when it has none); inside guard, as it allocates.
km::Scaling scaling_of(const Classifier& c) {
    km::Scaling scaling;
    if (c.mean) {
        scaling.mean.assign(c.mean, c.mean + c.d);
        scaling.scale.assign(c.scale, c.scale + c.d);
    }
    return scaling;
}

// The rows of the query text in argument 0, to be read against a model.
TrainingSet* read_source_of(FunctionCallInfo fcinfo, const Classifier& c) {
    TrainingSet* set = new_training_set(false);
    pgcrm::pg::training_read_query(set, text_to_cstring(PG_GETARG_TEXT_PP(0)), nullptr);
    require_rows(set);
    if (set->d != c.d)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("the source has %d features, the model has %d", set->d, c.d)));
    return set;
}

void* parse_classifier(HeapTupleHeader model, MemoryContext context) {
    auto* c = static_cast<Classifier*>(MemoryContextAlloc(context, sizeof(Classifier)));
    *c = classifier_of(model, context);
    return c;
}

// The features of one row to classify, checked like a training row.
const double* point_of(Datum value, int d) {
    ArrayType* array = DatumGetArrayTypeP(value);
    if (ARR_ELEMTYPE(array) != FLOAT8OID || ARR_NDIM(array) != 1 || ARR_DIMS(array)[0] != d)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("the features have %d values, the model has %d",
                               ARR_NDIM(array) == 1 ? ARR_DIMS(array)[0] : 0, d)));
    if (ARR_HASNULL(array))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("the features contain a NULL")));
    const double* x = reinterpret_cast<const double*>(ARR_DATA_PTR(array));
    for (int f = 0; f < d; ++f)
        if (!std::isfinite(x[f]))
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("feature %d is %s", f + 1, std::isnan(x[f]) ? "NaN" : "infinite")));
    return x;
}

// The aggregate's state: the options of the group (compared as bytes: no
// padding), then its rows.
struct AggOptions {
    int32 k, n_init, max_iter, standardize;
    double tol;
    uint64 seed;
};

km::Options core_options(const AggOptions& o) {
    km::Options options;
    options.k = o.k;
    options.n_init = o.n_init;
    options.max_iter = o.max_iter;
    options.tol = o.tol;
    options.seed = o.seed;
    options.standardize = o.standardize;
    return options;
}

const pgcrm::pg::RowsKind kmeans_kind = {pgcrm::pg::StateKind::kmeans, sizeof(AggOptions), km::working_bytes_per_point,
                                         false};

const AggOptions& agg_options(const RowsState* s) { return *static_cast<const AggOptions*>(s->options); }

AggOptions agg_options_from(const km::Options& options) {
    return {options.k, options.n_init, options.max_iter, options.standardize, options.tol, options.seed};
}

void require_same_options(const RowsState* s, const AggOptions& o) {
    if (std::memcmp(s->options, &o, sizeof o) != 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("k-means options differ between rows of one group"),
                        errhint("Pass k and the other options as constants.")));
}

}  // namespace

// crm.kmeans(source, k, n_init, max_iter, tol, seed, standardize, weight)
PGCRM_FUNCTION(pgcrm_kmeans) {
    require_arg(fcinfo, 0, "source");
    const km::Options options = options_from(fcinfo, 1);
    guard([&] { km::validate(options); });
    const char* source = text_to_cstring(PG_GETARG_TEXT_PP(0));
    const char* weight = PG_ARGISNULL(7) ? nullptr : text_to_cstring(PG_GETARG_TEXT_PP(7));

    TrainingSet* set = new_training_set(weight != nullptr);
    pgcrm::pg::training_read_query(set, source, weight);
    require_rows(set);
    const ModelData model = train(set, options);
    MemoryContextDelete(set->context);
    PG_RETURN_DATUM(model_datum(fcinfo, model));
}

// crm.kmeans_assign(features, model): the 1-based segment of a point.
PGCRM_FUNCTION(pgcrm_kmeans_assign) {
    const auto& c = *static_cast<Classifier*>(pgcrm::pg::cached_model(fcinfo, PG_GETARG_DATUM(1), parse_classifier));
    const double* x = point_of(PG_GETARG_DATUM(0), c.d);
    PG_RETURN_INT32(km::classify(x, c.centroids, c.k, c.d, c.mean, c.scale, c.scratch) + 1);
}

// crm.silhouette(source, model, sample_size): in the model's fit space.
PGCRM_FUNCTION(pgcrm_silhouette) {
    require_arg(fcinfo, 0, "source");
    require_arg(fcinfo, 1, "model");
    const int64 sample = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2);
    if (!PG_ARGISNULL(2) && sample < 2)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("sample_size must be at least 2, not %lld", static_cast<long long>(sample))));
    const Classifier c = classifier_of(PG_GETARG_HEAPTUPLEHEADER(1), CurrentMemoryContext);
    TrainingSet* set = read_source_of(fcinfo, c);
    const double value = guard([&] {
        km::Dataset data = dataset(set);
        km::apply(scaling_of(c), data);
        return km::silhouette(data, km::assign(data, c.centroids, c.k), c.k, sample);
    });
    MemoryContextDelete(set->context);
    if (std::isnan(value)) PG_RETURN_NULL();
    PG_RETURN_FLOAT8(value);
}

// crm.kmeans_refine(source, model, max_iter, tol): Lloyd iterations over the
// source's rows from the model's centroids, in its fit space, so that the
// segments keep their numbers.
PGCRM_FUNCTION(pgcrm_kmeans_refine) {
    require_arg(fcinfo, 0, "source");
    require_arg(fcinfo, 1, "model");
    const km::Options defaults;
    const int max_iter = PG_ARGISNULL(2) ? defaults.max_iter : PG_GETARG_INT32(2);
    const double tol = PG_ARGISNULL(3) ? defaults.tol : PG_GETARG_FLOAT8(3);
    const Classifier c = classifier_of(PG_GETARG_HEAPTUPLEHEADER(1), CurrentMemoryContext);
    TrainingSet* set = read_source_of(fcinfo, c);
    const ModelData model = guard([&] {
        km::Dataset data = dataset(set);
        const km::Scaling scaling = scaling_of(c);
        km::apply(scaling, data);
        const km::Model m = km::refine(data, scaling, std::vector<double>(c.centroids, c.centroids + c.k * c.d), max_iter, tol);
        return model_data(set, m);
    });
    MemoryContextDelete(set->context);
    PG_RETURN_DATUM(model_datum(fcinfo, model));
}

// crm.kmeans_elbow(source, k_min, k_max, n_init, max_iter, tol, seed, standardize, sample_size)
PGCRM_FUNCTION(pgcrm_kmeans_elbow) {
    require_arg(fcinfo, 0, "source");
    require_arg(fcinfo, 1, "k_min");
    require_arg(fcinfo, 2, "k_max");
    km::Options options = options_from(fcinfo, 2);  // k_max stands in for k
    const int k_min = PG_GETARG_INT32(1), k_max = PG_GETARG_INT32(2);
    const int64 sample = PG_ARGISNULL(8) ? 0 : PG_GETARG_INT32(8);
    if (!PG_ARGISNULL(8) && sample < 2)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("sample_size must be at least 2, not %lld", static_cast<long long>(sample))));
    guard([&] {
        km::validate_range(k_min, k_max);
        km::validate(options);
    });
    TrainingSet* set = new_training_set(false);
    pgcrm::pg::training_read_query(set, text_to_cstring(PG_GETARG_TEXT_PP(0)), nullptr);
    require_rows(set);
    size_t count = 0;
    const km::ElbowPoint* curve = guard([&] {
        km::Dataset data = dataset(set);
        if (options.standardize) km::standardize(data);
        const auto points = km::elbow(data, k_min, k_max, options, sample);
        count = points.size();
        return palloc_copy(points);
    });
    MemoryContextDelete(set->context);

    InitMaterializedSRF(fcinfo, 0);
    auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    for (size_t i = 0; i < count; ++i) {
        const km::ElbowPoint& p = curve[i];
        Datum values[5] = {Int32GetDatum(p.k), Float8GetDatum(p.inertia), Float8GetDatum(p.silhouette),
                           Float8GetDatum(p.simplified_silhouette), BoolGetDatum(p.suggested)};
        bool nulls[5] = {false, false, std::isnan(p.silhouette), std::isnan(p.simplified_silhouette), false};
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return static_cast<Datum>(0);
}

// Aggregate step: (state, features, k [, n_init, max_iter, tol, seed, standardize]).
PGCRM_FUNCTION(pgcrm_kmeans_agg_step) {
    const km::Options options = options_from(fcinfo, 2);
    const AggOptions o = agg_options_from(options);
    RowsState* state = pgcrm::pg::own_rows_state(fcinfo, 0, kmeans_kind);
    if (!state) {
        guard([&] { km::validate(options); });
        state = pgcrm::pg::new_rows_state(fcinfo, kmeans_kind, &o, false);
    } else {
        require_same_options(state, o);
    }
    pgcrm::pg::training_add(state->rows, PG_GETARG_DATUM(1), PG_ARGISNULL(1), 1.0);
    return pgcrm::pg::rows_state_datum(fcinfo, state);
}

PGCRM_FUNCTION(pgcrm_kmeans_agg_combine) {
    RowsState* into = pgcrm::pg::own_rows_state(fcinfo, 0, kmeans_kind);
    const RowsState* from = pgcrm::pg::read_rows_state(fcinfo, 1, kmeans_kind);
    if (!from) return pgcrm::pg::rows_state_datum(fcinfo, into);
    if (!into)
        into = pgcrm::pg::new_rows_state(fcinfo, kmeans_kind, from->options, false);
    else
        require_same_options(into, agg_options(from));
    pgcrm::pg::training_append(into->rows, from->rows);
    return pgcrm::pg::rows_state_datum(fcinfo, into);
}

PGCRM_FUNCTION(pgcrm_kmeans_agg_final) {
    RowsState* s = pgcrm::pg::read_rows_state(fcinfo, 0, kmeans_kind);
    if (!s) PG_RETURN_NULL();
    const km::Options options = core_options(agg_options(s));
    guard([&] { km::validate(options); });
    const ModelData model = train(s->rows, options);
    PG_RETURN_DATUM(model_datum(fcinfo, model));
}
