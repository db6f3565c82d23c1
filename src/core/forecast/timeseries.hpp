// Regular time series: putting timestamped observations on a regular grid,
// classical decomposition, and forecast accuracy measures.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace pgcrm::timeseries {

// --- The grid. Times are wall-clock microseconds since 2000-01-01 00:00
// (PostgreSQL's timestamp without time zone), so a day is always 24 hours and
// months are calendar months.
enum class Fill { error, zero, linear };
bool parse_fill(const std::string& text, Fill& fill);

// The spacing of a series: a number of calendar months (same day of the
// month and time of day throughout) or a fixed number of microseconds.
struct Step {
    int months = 0;        // > 0 for a calendar step
    int64_t micros = 0;    // > 0 for a fixed step
    std::string label() const;  // "1 month", "3 months", "7 days", "3600 s"…
    // The season length the step implies: 1 month → 12, 3 months → 4,
    // 6 months → 2, 1 day → 7, 7 days → 52, 1 hour → 24, otherwise 1.
    int season_length() const;
};

// `times` and `values` in any order; `season_length` (0 = infer) picks the
// step of a sparse series, e.g. 12 makes points three months apart monthly.
// Throws Error: duplicate times, irregular spacing, gaps with Fill::error,
// non-finite values. A single point has no step (months = micros = 0).
struct Grid {
    Step step;
    int64_t first = 0;          // time of values[0]
    std::vector<double> values;  // one per step from first, gaps filled
    int filled = 0;              // how many were gaps
    int64_t time_at(int64_t index) const;  // index may run past the end
};
Grid regularize(std::vector<int64_t> times, std::vector<double> values, int season_length, Fill fill);

// The longest season accepted: keeps every k·m and m + k in int range
// (hourly data with a yearly season is 8,766).
constexpr int max_season_length = 100000;

// A season length given by the caller: 1..max_season_length, or an Error
// with the hint that NULL infers it.
void check_season_length(int m);

// --- Classical decomposition, as R's decompose(): a centred moving average
// of order m (2×m when m is even) as trend, NaN for the first and last ⌊m/2⌋;
// seasonal indices averaged per position, normalised to sum 0 (additive) or
// to mean 1 (multiplicative); remainder = y − T − S or y / (T·S).
struct Decomposition {
    std::vector<double> trend, seasonal, remainder, figure;
};
Decomposition decompose(const std::vector<double>& y, int m, bool multiplicative);

// --- Accuracy of forecasts f against actuals y: MAE, RMSE, MAPE (%), sMAPE
// (%, 200·|y−f|/(|y|+|f|) as in M4), and MASE (MAE over the in-sample mean
// absolute error of the seasonal naive forecast of `history` with lag m, or
// lag 1 when m = 1 or history is shorter than m + 1). Undefined measures are
// NaN: MAPE when an actual is 0, MASE without a history.
// Bias is the mean error forecast − actual (positive: forecasts too high).
// Given the bounds of a level-% interval: coverage (the share of actuals
// inside), the mean Winkler (1972) interval score (u − l) + (2/α)(l − y)⁺ +
// (2/α)(y − u)⁺ with α = 1 − level/100, and MSIS, the Winkler score over the
// MASE scale (the M4 competition's measure); NaN otherwise.
struct Accuracy {
    int n = 0;
    double mae = 0, rmse = 0, mape = 0, smape = 0, mase = 0, bias = 0;
    double coverage = NAN, winkler = NAN, msis = NAN;
};
double mase_scale(const std::vector<double>& history, int m);
Accuracy accuracy(const std::vector<double>& actual, const std::vector<double>& forecast, double scale);
void interval_accuracy(Accuracy& a, const std::vector<double>& actual, const std::vector<double>& lower,
                       const std::vector<double>& upper, double level, double scale);

// Sample autocorrelations r_1..r_max_lag, as R's acf(): deviations from the
// mean, both sums divided by n. A constant series has NaN.
std::vector<double> acf(const std::vector<double>& y, int max_lag);

// The Ljung–Box portmanteau test of residuals, as R's Box.test(x, lag,
// type = "Ljung-Box", fitdf): Q = n(n+2) Σ r_k²/(n−k), χ² with lag − fitdf
// degrees of freedom.
struct LjungBox {
    double statistic, p_value;
};
LjungBox ljung_box(const std::vector<double>& x, int lag, int fitdf = 0);

// The quantile of sorted values at probability prob, as R's quantile(type = 7).
double quantile(const std::vector<double>& sorted, double prob);

// Ordinary least squares of y on 1..n: y ≈ intercept + slope·t.
struct Line {
    double intercept, slope;
};
Line fit_line(const double* y, int n);

}  // namespace pgcrm::timeseries
