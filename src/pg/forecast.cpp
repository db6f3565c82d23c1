// Forecasting: the crm.forecast aggregate (rows collected per group, merged
// across parallel workers, fitted once in the final function), and the
// array-based crm.decompose, crm.forecast_accuracy and crm.backtest. Times
// cross the boundary as wall-clock microseconds in the session time zone, so
// that months are calendar months and days survive daylight-saving changes.
// The math is core/forecast.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/forecast/forecast.hpp"
#include "core/forecast/stl.hpp"
#include "core/forecast/timeseries.hpp"
#include "datum.hpp"
#include "core/error.hpp"
#include "guard.hpp"
#include "state.hpp"

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
using pgcrm::pg::RowsState;
using pgcrm::pg::TrainingSet;
using pgcrm::pg::guard;
using pgcrm::pg::pg_call;
using pgcrm::pg::require_arg;
using pgcrm::pg::ResultRow;

namespace {

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
    double levels[fc::max_levels];
    char method[max_method + 1];
};

// The state: the options of the first row, then one row per (time, value)
// pair, the wall-clock time's bits in the first double.
const pgcrm::pg::RowsKind forecast_kind = {pgcrm::pg::StateKind::forecast, sizeof(Options), 0, false};

const Options& options_of(const RowsState* s) { return *static_cast<const Options*>(s->options); }

// A season length argument; 0 (infer it) when NULL.
int season_arg(FunctionCallInfo fcinfo, int argno) {
    if (PG_ARGISNULL(argno)) return 0;
    const int m = PG_GETARG_INT32(argno);
    guard([&] { ts::check_season_length(m); });
    return m;
}

Options options_of(FunctionCallInfo fcinfo) {
    Options o;
    std::memset(&o, 0, sizeof o);
    require_arg(fcinfo, 3, "horizon");
    o.horizon = PG_GETARG_INT32(3);
    o.season_length = PG_NARGS() > 4 ? season_arg(fcinfo, 4) : 0;
    const char* method = PG_NARGS() > 5 && !PG_ARGISNULL(5) ? text_to_cstring(PG_GETARG_TEXT_PP(5)) : "auto";
    if (std::strlen(method) > max_method)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown forecasting method \"%.40s…\"", method)));
    std::strcpy(o.method, method);
    if (PG_NARGS() > 6 && !PG_ARGISNULL(6)) {
        int count;
        const double* levels = doubles_of(PG_GETARG_DATUM(6), &count, "levels");
        if (count > fc::max_levels)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("at most %d levels are supported; got %d",
                                                                             fc::max_levels, count)));
        o.level_count = count;
        std::memcpy(o.levels, levels, sizeof(double) * count);
    } else {
        const fc::Options defaults;
        o.level_count = static_cast<int32>(defaults.levels.size());
        std::copy(defaults.levels.begin(), defaults.levels.end(), o.levels);
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

// A daily series whose season length was inferred also has a yearly season,
// which STL takes out when there are more than two years.
constexpr int days_per_year = 365;

std::vector<int> extra_seasons(const ts::Grid& grid, int given_season_length) {
    if (given_season_length == 0 && grid.step.micros == USECS_PER_DAY) return {days_per_year};
    return {};
}

void append(RowsState* s, int64 time, double value) {
    double row[2];
    std::memcpy(&row[0], &time, sizeof time);
    row[1] = value;
    pgcrm::pg::training_push(s->rows, 2, row);
}

int64 time_at(const TrainingSet* rows, int64 i) {
    int64 t;
    std::memcpy(&t, rows->x + 2 * i, sizeof t);
    return t;
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
Outcome compute(const Options& options, const TrainingSet* rows) {
    Outcome out;
    std::vector<int64_t> times(rows->n);
    std::vector<double> values(rows->n);
    for (int64 i = 0; i < rows->n; ++i) {
        times[i] = time_at(rows, i);
        values[i] = rows->x[2 * i + 1];
    }
    const ts::Grid grid = ts::regularize(times, values, options.season_length, static_cast<ts::Fill>(options.fill));
    out.step = grid.step;
    out.season_length = options.season_length > 0 ? options.season_length : grid.step.season_length();
    out.n = static_cast<int>(grid.values.size());
    out.filled = grid.filled;
    fc::Options core = core_options(options, out.season_length);
    core.extra_seasons = extra_seasons(grid, options.season_length);
    out.result = fc::forecast(grid.values, core);
    if (grid.values.size() > 1)
        for (int h = 1; h <= options.horizon; ++h) out.future.push_back(grid.time_at(out.n - 1 + h));
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

Datum text_array(const std::vector<std::string>& v) {
    Datum* d = static_cast<Datum*>(palloc(sizeof(Datum) * (v.empty() ? 1 : v.size())));
    for (size_t i = 0; i < v.size(); ++i) d[i] = CStringGetTextDatum(v[i].c_str());
    return PointerGetDatum(construct_array(d, static_cast<int>(v.size()), TEXTOID, -1, false, TYPALIGN_INT));
}

// Fills row from out; calls PostgreSQL only, creates no C++ object.
void fill_result(ResultRow& row, const Options& options, const Outcome& out) {
    const fc::Result& r = out.result;
    const bool no_step = out.future.empty();  // a single value
    row.datum("model", CStringGetTextDatum(r.model.c_str()));
    row.datum("method", CStringGetTextDatum(options.method));
    row.datum("note", r.note.empty() ? Datum(0) : CStringGetTextDatum(r.note.c_str()), r.note.empty());
    row.datum("season_length", Int32GetDatum(out.season_length));
    row.datum("step", no_step ? Datum(0) : interval_of(out.step), no_step);
    row.datum("n", Int32GetDatum(out.n));
    row.datum("filled", Int32GetDatum(out.filled));
    row.number("alpha", r.alpha);
    row.number("beta", r.beta);
    row.number("gamma", r.gamma);
    row.number("phi", r.phi);
    row.number("loglik", r.loglik);
    row.number("aicc", r.aicc);
    row.number("sigma2", r.sigma2);
    const int level_dims[1] = {options.level_count};
    row.datum("levels", pgcrm::pg::float8_array(options.levels, 1, level_dims));
    row.datum("ts", no_step ? Datum(0) : timestamps(out.future), no_step);
    row.array("point", r.point);
    const int grid[2] = {options.level_count, options.horizon};
    row.datum("lower", pgcrm::pg::float8_array(out.lower.data(), 2, grid));
    row.datum("upper", pgcrm::pg::float8_array(out.upper.data(), 2, grid));
    row.datum("members", r.members.empty() ? Datum(0) : text_array(r.members), r.members.empty());
    row.array("fitted", r.fitted);
    row.array("residuals", r.residuals);
    row.number("ljung_box", r.ljung_box);
    row.number("ljung_box_p", r.ljung_box_p);
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
    if (n == 0) ereport(ERROR, (errcode(PGCRM_ERRCODE(pgcrm::sqlstate::insufficient_data)), errmsg("the series is empty")));
    int64* local = static_cast<int64*>(palloc(sizeof(int64) * n));
    for (int i = 0; i < n; ++i) local[i] = wall_clock(raw[i]);
    return {local, values, n};
}


const char* text_arg(FunctionCallInfo fcinfo, int argno, const char* name) {
    require_arg(fcinfo, argno, name);
    return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}


}  // namespace


// forecast step (state, ts, value, horizon [, season_length, method, levels,
// fill]): rows with a NULL time or value are skipped (a NULL value is a gap).
// The options are read from the first row and must not change in a group.
PGCRM_FUNCTION(pgcrm_forecast_step) {
    RowsState* s = pgcrm::pg::own_rows_state(fcinfo, 0, forecast_kind);
    const Options options = options_of(fcinfo);
    if (!s) {
        guard([&] { fc::validate(core_options(options, options.season_length > 0 ? options.season_length : 1)); });
        s = pgcrm::pg::new_rows_state(fcinfo, forecast_kind, &options, false);
    } else if (std::memcmp(s->options, &options, sizeof options) != 0) {
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("horizon, season_length, method, levels and fill must be the same for every row of a "
                               "series"),
                        errhint("Pass constants, not columns.")));
    }
    if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) return pgcrm::pg::rows_state_datum(fcinfo, s);
    append(s, wall_clock(PG_GETARG_TIMESTAMPTZ(1)), PG_GETARG_FLOAT8(2));
    return pgcrm::pg::rows_state_datum(fcinfo, s);
}

PGCRM_FUNCTION(pgcrm_forecast_combine) {
    RowsState* into = pgcrm::pg::own_rows_state(fcinfo, 0, forecast_kind);
    const RowsState* from = pgcrm::pg::read_rows_state(fcinfo, 1, forecast_kind);
    if (!from) return pgcrm::pg::rows_state_datum(fcinfo, into);
    if (!into) into = pgcrm::pg::new_rows_state(fcinfo, forecast_kind, from->options, false);
    pgcrm::pg::training_append(into->rows, from->rows);
    return pgcrm::pg::rows_state_datum(fcinfo, into);
}

PGCRM_FUNCTION(pgcrm_forecast_final) {
    const RowsState* s = pgcrm::pg::read_rows_state(fcinfo, 0, forecast_kind);
    if (!s || s->rows->n == 0) PG_RETURN_NULL();  // every value NULL: nothing to forecast
    if (s->rows->d != 2)
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), errmsg("not a forecast state: rows of %d values",
                                                                               s->rows->d)));
    ResultRow row(fcinfo);
    guard([&] {
        const Outcome out = compute(options_of(s), s->rows);
        pg_call([&] { fill_result(row, options_of(s), out); });
    });
    return row.build();
}

// crm.decompose_arrays(ts, value, season_length, type, fill) → (ts[],
// observed[], trend[], seasonal[], remainder[]), unnested by crm.decompose.
PGCRM_FUNCTION(pgcrm_decompose_arrays) {
    const ArraySeries series = array_series(fcinfo);
    const int season = season_arg(fcinfo, 2);
    const char* type = text_arg(fcinfo, 3, "type");
    const ts::Fill fill = fill_of(text_arg(fcinfo, 4, "fill"));
    if (std::strcmp(type, "additive") != 0 && std::strcmp(type, "multiplicative") != 0 && std::strcmp(type, "stl") != 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown decomposition type \"%s\"", type),
                        errhint("Use 'additive', 'multiplicative' or 'stl'.")));
    const bool multiplicative = type[0] == 'm', by_stl = type[0] == 's';
    ResultRow row(fcinfo);
    guard([&] {
        const ts::Grid grid = ts::regularize(std::vector<int64_t>(series.times, series.times + series.count),
                                             std::vector<double>(series.values, series.values + series.count), season,
                                             fill);
        const int m = season > 0 ? season : grid.step.season_length();
        ts::Decomposition d;
        if (by_stl) {
            // The seasons summed in one column; STL needs more than two of each.
            std::vector<int> seasons{m};
            for (int s : extra_seasons(grid, season)) seasons.push_back(s);
            const pgcrm::stl::Multiple parts = pgcrm::stl::mstl(grid.values, seasons);
            if (parts.periods.empty())
                throw pgcrm::Error(pgcrm::sqlstate::insufficient_data,
                                   "STL with season length " + std::to_string(m) + " needs more than " +
                                       std::to_string(2 * m) + " values; the series has " +
                                       std::to_string(grid.values.size()));
            d.trend = parts.trend;
            d.remainder = parts.remainder;
            d.seasonal.assign(grid.values.size(), 0.0);
            for (const auto& component : parts.seasonal)
                for (size_t i = 0; i < component.size(); ++i) d.seasonal[i] += component[i];
        } else {
            d = ts::decompose(grid.values, m, multiplicative);
        }
        std::vector<int64_t> times(grid.values.size());
        for (size_t i = 0; i < times.size(); ++i) times[i] = grid.time_at(static_cast<int64_t>(i));
        pg_call([&] {
            row.datum("ts", timestamps(times));
            row.array("observed", grid.values);
            row.array("trend", d.trend);
            row.array("seasonal", d.seasonal);
            row.array("remainder", d.remainder);
        });
    });
    return row.build();
}

// crm.forecast_accuracy(actual, forecast, history, season_length)
PGCRM_FUNCTION(pgcrm_forecast_accuracy) {
    require_arg(fcinfo, 0, "actual");
    require_arg(fcinfo, 1, "forecast");
    int n_actual, n_forecast, n_history = 0;
    const double* actual = doubles_of(PG_GETARG_DATUM(0), &n_actual, "actual");
    const double* forecast = doubles_of(PG_GETARG_DATUM(1), &n_forecast, "forecast");
    const double* history = PG_ARGISNULL(2) ? nullptr : doubles_of(PG_GETARG_DATUM(2), &n_history, "history");
    const int season = PG_ARGISNULL(3) ? 1 : season_arg(fcinfo, 3);
    int n_lower = 0, n_upper = 0;
    const double* lower = PG_NARGS() > 4 && !PG_ARGISNULL(4) ? doubles_of(PG_GETARG_DATUM(4), &n_lower, "lower") : nullptr;
    const double* upper = PG_NARGS() > 5 && !PG_ARGISNULL(5) ? doubles_of(PG_GETARG_DATUM(5), &n_upper, "upper") : nullptr;
    if ((lower == nullptr) != (upper == nullptr))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("lower and upper must be given together")));
    const double level = PG_NARGS() > 6 && !PG_ARGISNULL(6) ? PG_GETARG_FLOAT8(6) : 95;
    ResultRow row(fcinfo);
    guard([&] {
        const double scale =
            history ? ts::mase_scale(std::vector<double>(history, history + n_history), season) : NAN;
        const std::vector<double> actuals(actual, actual + n_actual);
        ts::Accuracy a = ts::accuracy(actuals, std::vector<double>(forecast, forecast + n_forecast), scale);
        if (lower)
            ts::interval_accuracy(a, actuals, std::vector<double>(lower, lower + n_lower),
                                  std::vector<double>(upper, upper + n_upper), level, scale);
        row.datum("n", Int32GetDatum(a.n));
        row.number("mae", a.mae);
        row.number("rmse", a.rmse);
        row.number("mape", a.mape);
        row.number("smape", a.smape);
        row.number("mase", a.mase);
        row.number("bias", a.bias);
        row.number("coverage", a.coverage);
        row.number("winkler", a.winkler);
        row.number("msis", a.msis);
    });
    return row.build();
}

// crm.backtest_arrays(ts, value, horizon, origins, season_length, method,
// fill, level) → per origin arrays, unnested by crm.backtest.
PGCRM_FUNCTION(pgcrm_backtest_arrays) {
    const ArraySeries series = array_series(fcinfo);
    require_arg(fcinfo, 2, "horizon");
    require_arg(fcinfo, 3, "origins");
    const int horizon = PG_GETARG_INT32(2), origins = PG_GETARG_INT32(3);
    const int season = season_arg(fcinfo, 4);
    const char* method = text_arg(fcinfo, 5, "method");
    const ts::Fill fill = fill_of(text_arg(fcinfo, 6, "fill"));
    require_arg(fcinfo, 7, "level");
    const double level = PG_GETARG_FLOAT8(7);
    ResultRow row(fcinfo);
    guard([&] {
        const ts::Grid grid = ts::regularize(std::vector<int64_t>(series.times, series.times + series.count),
                                             std::vector<double>(series.values, series.values + series.count), season,
                                             fill);
        fc::Options o;
        o.horizon = horizon;
        o.season_length = season > 0 ? season : grid.step.season_length();
        o.method = method;
        o.levels = {level};
        o.extra_seasons = extra_seasons(grid, season);
        const std::vector<fc::BacktestOrigin> rows = fc::backtest(grid.values, o, origins);
        std::vector<int64_t> at;
        std::vector<double> train, mae, rmse, mape, smape, mase, bias, coverage, winkler, msis;
        std::vector<std::string> models;
        for (const auto& r : rows) {
            at.push_back(grid.time_at(r.train - 1));
            train.push_back(r.train);
            mae.push_back(r.accuracy.mae);
            rmse.push_back(r.accuracy.rmse);
            mape.push_back(r.accuracy.mape);
            smape.push_back(r.accuracy.smape);
            mase.push_back(r.accuracy.mase);
            bias.push_back(r.accuracy.bias);
            coverage.push_back(r.accuracy.coverage);
            winkler.push_back(r.accuracy.winkler);
            msis.push_back(r.accuracy.msis);
            models.push_back(r.model);
        }
        pg_call([&] {
            row.datum("origin", timestamps(at));
            row.array("train_n", train);
            row.datum("model", text_array(models));
            row.array("mae", mae);
            row.array("rmse", rmse);
            row.array("mape", mape);
            row.array("smape", smape);
            row.array("mase", mase);
            row.array("bias", bias);
            row.array("coverage", coverage);
            row.array("winkler", winkler);
            row.array("msis", msis);
        });
    });
    return row.build();
}
