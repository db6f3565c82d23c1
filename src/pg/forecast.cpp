// Forecasting: the crm.forecast aggregate (rows collected per group, merged
// across parallel workers, fitted once in the final function), and the
// array-based crm.decompose, crm.forecast_accuracy and crm.backtest. Times
// cross the boundary as wall-clock microseconds in the session time zone, so
// that months are calendar months and days survive daylight-saving changes.
// The math is core/forecast.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/forecast/forecast.hpp"
#include "core/forecast/timeseries.hpp"
#include "datum.hpp"
#include "guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"
}

namespace fc = pgcrm::forecast;
namespace ts = pgcrm::timeseries;
using pgcrm::pg::aggregate_context;
using pgcrm::pg::state_arg;
using pgcrm::pg::state_result;
using pgcrm::pg::guard;
using pgcrm::pg::pg_call;
using pgcrm::pg::require_arg;
using pgcrm::pg::ResultRow;

namespace {

constexpr int max_levels = 20;
constexpr int max_method = 63;

// Session-time-zone timestamptz → wall-clock timestamp, and back.
int64 wall_clock(TimestampTz t) {
    if (TIMESTAMP_NOT_FINITE(t))
        ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamps must be finite")));
    pg_tm tm;
    fsec_t fsec;
    int tz;
    Timestamp local;
    if (timestamp2tm(t, &tz, &tm, &fsec, nullptr, nullptr) != 0 || tm2timestamp(&tm, fsec, nullptr, &local) != 0)
        ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamp out of range")));
    return local;
}

TimestampTz from_wall_clock(int64 local) {
    pg_tm tm;
    fsec_t fsec;
    TimestampTz t;
    if (timestamp2tm(local, nullptr, &tm, &fsec, nullptr, nullptr) != 0)
        ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("forecast timestamp out of range")));
    int tz = DetermineTimeZoneOffset(&tm, session_timezone);
    if (tm2timestamp(&tm, fsec, &tz, &t) != 0)
        ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("forecast timestamp out of range")));
    return t;
}

Datum interval_of(const ts::Step& step) {
    auto* iv = static_cast<Interval*>(palloc0(sizeof(Interval)));
    iv->month = step.months;
    if (step.micros % USECS_PER_DAY == 0) iv->day = static_cast<int32>(step.micros / USECS_PER_DAY);
    else iv->time = step.micros;
    return IntervalPGetDatum(iv);
}

ts::Fill fill_of(const char* text) {
    ts::Fill fill;
    if (!ts::parse_fill(text, fill))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown fill \"%s\"", text),
                        errhint("Use 'error', 'zero' or 'linear'.")));
    return fill;
}

const double* doubles_of(Datum value, int* count, const char* what) {
    return static_cast<const double*>(pgcrm::pg::array_of_8_bytes(value, count, what));
}

// --- The aggregate state: the options of the first row and every (time,
// value) pair, in arrays that double as they fill.
struct Options {
    int32 horizon, season_length;  // season_length 0: infer
    int32 fill;
    int32 level_count;
    double levels[max_levels];
    char method[max_method + 1];
};

struct ForecastState {
    Options options;
    int64 count, capacity;
    int64* times;
    double* values;
};

Options options_of(FunctionCallInfo fcinfo) {
    Options o;
    std::memset(&o, 0, sizeof o);
    require_arg(fcinfo, 3, "horizon");
    o.horizon = PG_GETARG_INT32(3);
    o.season_length = PG_NARGS() > 4 && !PG_ARGISNULL(4) ? PG_GETARG_INT32(4) : 0;
    if (PG_NARGS() > 4 && !PG_ARGISNULL(4) && o.season_length < 1)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("season_length must be at least 1; it is %d", o.season_length),
                        errhint("Pass NULL to infer it from the spacing of the timestamps.")));
    const char* method = PG_NARGS() > 5 && !PG_ARGISNULL(5) ? text_to_cstring(PG_GETARG_TEXT_PP(5)) : "auto";
    if (std::strlen(method) > max_method)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown forecasting method \"%.40s…\"", method)));
    std::strcpy(o.method, method);
    if (PG_NARGS() > 6 && !PG_ARGISNULL(6)) {
        int count;
        const double* levels = doubles_of(PG_GETARG_DATUM(6), &count, "levels");
        if (count > max_levels)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("at most %d levels are supported; got %d",
                                                                             max_levels, count)));
        o.level_count = count;
        std::memcpy(o.levels, levels, sizeof(double) * count);
    } else {
        o.level_count = 2;
        o.levels[0] = 80;
        o.levels[1] = 95;
    }
    o.fill = static_cast<int32>(PG_NARGS() > 7 && !PG_ARGISNULL(7) ? fill_of(text_to_cstring(PG_GETARG_TEXT_PP(7)))
                                                                   : ts::Fill::error);
    return o;
}

fc::Options core_options(const Options& o, int season_length) {
    fc::Options c;
    c.horizon = o.horizon;
    c.season_length = season_length;
    c.method = o.method;
    c.levels.assign(o.levels, o.levels + o.level_count);
    return c;
}

void append(ForecastState* s, MemoryContext context, int64 time, double value) {
    if (s->count == s->capacity) {
        const int64 capacity = s->capacity ? 2 * s->capacity : 64;
        if (static_cast<Size>(capacity) * sizeof(double) > MaxAllocSize)
            ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("a forecast series is limited to %lld values",
                                                                           static_cast<long long>(s->capacity))));
        s->times = static_cast<int64*>(s->times ? repalloc(s->times, sizeof(int64) * capacity)
                                                : MemoryContextAlloc(context, sizeof(int64) * capacity));
        s->values = static_cast<double*>(s->values ? repalloc(s->values, sizeof(double) * capacity)
                                                   : MemoryContextAlloc(context, sizeof(double) * capacity));
        s->capacity = capacity;
    }
    s->times[s->count] = time;
    s->values[s->count++] = value;
}

ForecastState* new_state(MemoryContext context, const Options& options) {
    auto* s = static_cast<ForecastState*>(MemoryContextAllocZero(context, sizeof(ForecastState)));
    s->options = options;
    return s;
}

// What the final function hands to the result builder, in palloc'd memory.
struct Outcome {
    fc::Result result;
    ts::Step step;
    int season_length, n, filled;
    std::vector<int64_t> future;  // empty for a single value: no step
    std::vector<double> lower, upper;  // levels × horizon, row-major
};

// Plain C++: throws, never calls PostgreSQL.
Outcome compute(const ForecastState* s) {
    Outcome out;
    const ts::Grid grid =
        ts::regularize(std::vector<int64_t>(s->times, s->times + s->count),
                       std::vector<double>(s->values, s->values + s->count), s->options.season_length,
                       static_cast<ts::Fill>(s->options.fill));
    out.step = grid.step;
    out.season_length = s->options.season_length > 0 ? s->options.season_length : grid.step.season_length();
    out.n = static_cast<int>(grid.values.size());
    out.filled = grid.filled;
    out.result = fc::forecast(grid.values, core_options(s->options, out.season_length));
    if (grid.values.size() > 1)
        for (int h = 1; h <= s->options.horizon; ++h) out.future.push_back(grid.time_at(out.n - 1 + h));
    for (size_t l = 0; l < out.result.lower.size(); ++l) {
        out.lower.insert(out.lower.end(), out.result.lower[l].begin(), out.result.lower[l].end());
        out.upper.insert(out.upper.end(), out.result.upper[l].begin(), out.result.upper[l].end());
    }
    return out;
}

// Session-time-zone timestamptz[] of wall-clock times.
Datum timestamps(const std::vector<int64_t>& local) {
    const int n = static_cast<int>(local.size());
    Datum* d = static_cast<Datum*>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
    for (int i = 0; i < n; ++i) d[i] = TimestampTzGetDatum(from_wall_clock(local[i]));
    return PointerGetDatum(construct_array(d, n, TIMESTAMPTZOID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

// Fills row from out; calls PostgreSQL only, creates no C++ object.
void fill_result(ResultRow& row, const ForecastState* s, const Outcome& out) {
    const fc::Result& r = out.result;
    const bool no_step = out.future.empty();  // a single value
    row.datum(CStringGetTextDatum(r.model.c_str()));
    row.datum(CStringGetTextDatum(s->options.method));
    row.datum(r.note.empty() ? Datum(0) : CStringGetTextDatum(r.note.c_str()), r.note.empty());
    row.datum(Int32GetDatum(out.season_length));
    row.datum(no_step ? Datum(0) : interval_of(out.step), no_step);
    row.datum(Int32GetDatum(out.n));
    row.datum(Int32GetDatum(out.filled));
    for (double v : {r.alpha, r.beta, r.gamma, r.phi, r.loglik, r.aicc, r.sigma2}) row.number(v);
    const int level_dims[1] = {s->options.level_count};
    row.datum(pgcrm::pg::float8_array(s->options.levels, 1, level_dims));
    row.datum(no_step ? Datum(0) : timestamps(out.future), no_step);
    row.array(r.point);
    const int grid[2] = {s->options.level_count, s->options.horizon};
    row.datum(pgcrm::pg::float8_array(out.lower.data(), 2, grid));
    row.datum(pgcrm::pg::float8_array(out.upper.data(), 2, grid));
}

// A series given as two arrays: checked sizes, on its grid.
struct ArraySeries {
    const int64* times;
    const double* values;
    int count;
};

ArraySeries array_series(FunctionCallInfo fcinfo) {
    require_arg(fcinfo, 0, "ts");
    require_arg(fcinfo, 1, "value");
    int n, count;
    const auto* raw = static_cast<const TimestampTz*>(pgcrm::pg::array_of_8_bytes(PG_GETARG_DATUM(0), &n, "ts"));
    const double* values = doubles_of(PG_GETARG_DATUM(1), &count, "value");
    if (count != n)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("ts has %d elements but value has %d", n, count)));
    if (n == 0) ereport(ERROR, (errcode(MAKE_SQLSTATE('P', 'C', '0', '2', '0')), errmsg("the series is empty")));
    int64* local = static_cast<int64*>(palloc(sizeof(int64) * n));
    for (int i = 0; i < n; ++i) local[i] = wall_clock(raw[i]);
    return {local, values, n};
}

int season_arg(FunctionCallInfo fcinfo, int argno) {
    if (PG_ARGISNULL(argno)) return 0;
    const int m = PG_GETARG_INT32(argno);
    if (m < 1)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("season_length must be at least 1; it is %d", m),
                        errhint("Pass NULL to infer it from the spacing of the timestamps.")));
    return m;
}

const char* text_arg(FunctionCallInfo fcinfo, int argno, const char* name) {
    require_arg(fcinfo, argno, name);
    return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}


}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(pgcrm_forecast_step);
PG_FUNCTION_INFO_V1(pgcrm_forecast_combine);
PG_FUNCTION_INFO_V1(pgcrm_forecast_serialize);
PG_FUNCTION_INFO_V1(pgcrm_forecast_deserialize);
PG_FUNCTION_INFO_V1(pgcrm_forecast_final);
PG_FUNCTION_INFO_V1(pgcrm_decompose_arrays);
PG_FUNCTION_INFO_V1(pgcrm_forecast_accuracy);
PG_FUNCTION_INFO_V1(pgcrm_backtest_arrays);
Datum pgcrm_forecast_step(PG_FUNCTION_ARGS);
Datum pgcrm_forecast_combine(PG_FUNCTION_ARGS);
Datum pgcrm_forecast_serialize(PG_FUNCTION_ARGS);
Datum pgcrm_forecast_deserialize(PG_FUNCTION_ARGS);
Datum pgcrm_forecast_final(PG_FUNCTION_ARGS);
Datum pgcrm_decompose_arrays(PG_FUNCTION_ARGS);
Datum pgcrm_forecast_accuracy(PG_FUNCTION_ARGS);
Datum pgcrm_backtest_arrays(PG_FUNCTION_ARGS);
}

// forecast step (state, ts, value, horizon [, season_length, method, levels,
// fill]): rows with a NULL time or value are skipped (a NULL value is a gap).
// The options are read from the first row and must not change in a group.
Datum pgcrm_forecast_step(PG_FUNCTION_ARGS) {
    const MemoryContext context = aggregate_context(fcinfo);
    auto* s = state_arg<ForecastState>(fcinfo, 0);
    const Options options = options_of(fcinfo);
    if (!s) {
        guard([&] { fc::validate(core_options(options, options.season_length > 0 ? options.season_length : 1)); });
        s = new_state(context, options);
    } else if (std::memcmp(&s->options, &options, sizeof options) != 0) {
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("horizon, season_length, method, levels and fill must be the same for every row of a "
                               "series"),
                        errhint("Pass constants, not columns.")));
    }
    if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) return state_result(fcinfo, s);
    append(s, context, wall_clock(PG_GETARG_TIMESTAMPTZ(1)), PG_GETARG_FLOAT8(2));
    return state_result(fcinfo, s);
}

Datum pgcrm_forecast_combine(PG_FUNCTION_ARGS) {
    const MemoryContext context = aggregate_context(fcinfo);
    auto* a = state_arg<ForecastState>(fcinfo, 0);
    auto* b = state_arg<ForecastState>(fcinfo, 1);
    if (!b) return state_result(fcinfo, a);
    if (!a) a = new_state(context, b->options);
    for (int64 i = 0; i < b->count; ++i) append(a, context, b->times[i], b->values[i]);
    return state_result(fcinfo, a);
}

Datum pgcrm_forecast_serialize(PG_FUNCTION_ARGS) {
    const auto* s = reinterpret_cast<ForecastState*>(PG_GETARG_POINTER(0));
    const Size size = sizeof(Options) + sizeof(int64) + s->count * (sizeof(int64) + sizeof(double));
    bytea* out = static_cast<bytea*>(palloc(VARHDRSZ + size));
    SET_VARSIZE(out, VARHDRSZ + size);
    char* p = VARDATA(out);
    std::memcpy(p, &s->options, sizeof(Options));
    p += sizeof(Options);
    std::memcpy(p, &s->count, sizeof(int64));
    p += sizeof(int64);
    std::memcpy(p, s->times, s->count * sizeof(int64));
    std::memcpy(p + s->count * sizeof(int64), s->values, s->count * sizeof(double));
    PG_RETURN_BYTEA_P(out);
}

Datum pgcrm_forecast_deserialize(PG_FUNCTION_ARGS) {
    const MemoryContext context = aggregate_context(fcinfo);
    const bytea* in = PG_GETARG_BYTEA_PP(0);
    const char* p = VARDATA_ANY(in);
    const Size size = VARSIZE_ANY_EXHDR(in);
    Options options;
    int64 count;
    if (size < sizeof(Options) + sizeof(int64)) elog(ERROR, "pgcrm: malformed forecast state");
    std::memcpy(&options, p, sizeof(Options));
    std::memcpy(&count, p + sizeof(Options), sizeof(int64));
    if (count < 0 || size != sizeof(Options) + sizeof(int64) + count * (sizeof(int64) + sizeof(double)))
        elog(ERROR, "pgcrm: malformed forecast state");
    ForecastState* s = new_state(context, options);
    p += sizeof(Options) + sizeof(int64);
    for (int64 i = 0; i < count; ++i) {
        int64 t;
        double v;
        std::memcpy(&t, p + i * sizeof(int64), sizeof t);
        std::memcpy(&v, p + count * sizeof(int64) + i * sizeof(double), sizeof v);
        append(s, context, t, v);
    }
    return state_result(fcinfo, s);
}

Datum pgcrm_forecast_final(PG_FUNCTION_ARGS) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    const auto* s = reinterpret_cast<ForecastState*>(PG_GETARG_POINTER(0));
    if (s->count == 0) PG_RETURN_NULL();  // every value NULL: nothing to forecast
    ResultRow row;
    guard([&] {
        const Outcome out = compute(s);
        pg_call([&] { fill_result(row, s, out); });
    });
    PG_RETURN_DATUM(row.build(fcinfo));
}

// crm.decompose_arrays(ts, value, season_length, type, fill) → (ts[],
// observed[], trend[], seasonal[], remainder[]), unnested by crm.decompose.
Datum pgcrm_decompose_arrays(PG_FUNCTION_ARGS) {
    const ArraySeries series = array_series(fcinfo);
    const int season = season_arg(fcinfo, 2);
    const char* type = text_arg(fcinfo, 3, "type");
    const ts::Fill fill = fill_of(text_arg(fcinfo, 4, "fill"));
    if (std::strcmp(type, "additive") != 0 && std::strcmp(type, "multiplicative") != 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown decomposition type \"%s\"", type),
                        errhint("Use 'additive' or 'multiplicative'.")));
    const bool multiplicative = type[0] == 'm';
    ResultRow row;
    guard([&] {
        const ts::Grid grid = ts::regularize(std::vector<int64_t>(series.times, series.times + series.count),
                                             std::vector<double>(series.values, series.values + series.count), season,
                                             fill);
        const ts::Decomposition d =
            ts::decompose(grid.values, season > 0 ? season : grid.step.season_length(), multiplicative);
        std::vector<int64_t> times(grid.values.size());
        for (size_t i = 0; i < times.size(); ++i) times[i] = grid.time_at(static_cast<int64_t>(i));
        pg_call([&] {
            row.datum(timestamps(times));
            row.array(grid.values);
            row.array(d.trend);
            row.array(d.seasonal);
            row.array(d.remainder);
        });
    });
    PG_RETURN_DATUM(row.build(fcinfo));
}

// crm.forecast_accuracy(actual, forecast, history, season_length)
Datum pgcrm_forecast_accuracy(PG_FUNCTION_ARGS) {
    require_arg(fcinfo, 0, "actual");
    require_arg(fcinfo, 1, "forecast");
    int n_actual, n_forecast, n_history = 0;
    const double* actual = doubles_of(PG_GETARG_DATUM(0), &n_actual, "actual");
    const double* forecast = doubles_of(PG_GETARG_DATUM(1), &n_forecast, "forecast");
    const double* history = PG_ARGISNULL(2) ? nullptr : doubles_of(PG_GETARG_DATUM(2), &n_history, "history");
    const int season = PG_ARGISNULL(3) ? 1 : season_arg(fcinfo, 3);
    ResultRow row;
    guard([&] {
        const double scale =
            history ? ts::mase_scale(std::vector<double>(history, history + n_history), season) : NAN;
        const ts::Accuracy a = ts::accuracy(std::vector<double>(actual, actual + n_actual),
                                            std::vector<double>(forecast, forecast + n_forecast), scale);
        row.datum(Int32GetDatum(a.n));
        for (double v : {a.mae, a.rmse, a.mape, a.smape, a.mase}) row.number(v);
    });
    PG_RETURN_DATUM(row.build(fcinfo));
}

// crm.backtest_arrays(ts, value, horizon, origins, season_length, method,
// fill) → per origin arrays, unnested by crm.backtest.
Datum pgcrm_backtest_arrays(PG_FUNCTION_ARGS) {
    const ArraySeries series = array_series(fcinfo);
    require_arg(fcinfo, 2, "horizon");
    require_arg(fcinfo, 3, "origins");
    const int horizon = PG_GETARG_INT32(2), origins = PG_GETARG_INT32(3);
    const int season = season_arg(fcinfo, 4);
    const char* method = text_arg(fcinfo, 5, "method");
    const ts::Fill fill = fill_of(text_arg(fcinfo, 6, "fill"));
    ResultRow row;
    guard([&] {
        const ts::Grid grid = ts::regularize(std::vector<int64_t>(series.times, series.times + series.count),
                                             std::vector<double>(series.values, series.values + series.count), season,
                                             fill);
        fc::Options o;
        o.horizon = horizon;
        o.season_length = season > 0 ? season : grid.step.season_length();
        o.method = method;
        o.levels = {};
        const std::vector<fc::BacktestOrigin> rows = fc::backtest(grid.values, o, origins);
        std::vector<int64_t> at;
        std::vector<double> train, mae, rmse, mape, smape, mase;
        for (const auto& r : rows) {
            at.push_back(grid.time_at(r.train - 1));
            train.push_back(r.train);
            mae.push_back(r.accuracy.mae);
            rmse.push_back(r.accuracy.rmse);
            mape.push_back(r.accuracy.mape);
            smape.push_back(r.accuracy.smape);
            mase.push_back(r.accuracy.mase);
        }
        pg_call([&] {
            row.datum(timestamps(at));
            row.array(train);
            Datum* models = static_cast<Datum*>(palloc(sizeof(Datum) * rows.size()));
            for (size_t i = 0; i < rows.size(); ++i) models[i] = CStringGetTextDatum(rows[i].model.c_str());
            row.datum(PointerGetDatum(construct_array(models, static_cast<int>(rows.size()), TEXTOID, -1, false,
                                                      TYPALIGN_INT)));
            for (const auto* v : {&mae, &rmse, &mape, &smape, &mase}) row.array(*v);
        });
    });
    PG_RETURN_DATUM(row.build(fcinfo));
}
