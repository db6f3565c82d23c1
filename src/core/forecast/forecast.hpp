// Forecasting methods over a regular series: automatic ETS selection by
// AICc, any single ETS model, and the baselines (naive, seasonal naive,
// linear trend), with prediction intervals and rolling-origin backtests.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "timeseries.hpp"

namespace pgcrm::forecast {

// The most interval levels one forecast asks for.
inline constexpr int max_levels = 20;

struct Options {
    int horizon = 1;
    int season_length = 1;  // 1 = non-seasonal
    std::string method = "auto";
    std::vector<double> levels{80, 95};  // percent, each in (0, 100)
    std::vector<int> extra_seasons;      // longer seasons STL also takes out (a year of a daily series)
};

// Checks the options; throws Error(invalid_parameter_value) naming the bad one.
void validate(const Options& options);

struct Result {
    std::string model;  // "ETS(M,A,M)", "ARIMA(0,1,1)(0,1,1)[12]", "Theta", "mean of …", "SBA", "naive", …
    std::string note;   // why 'auto' fell back or left models out; empty when nothing to say
    std::vector<std::string> members;  // the models a combination averaged; empty otherwise
    double alpha = NAN, beta = NAN, gamma = NAN, phi = NAN;
    double loglik = NAN, aic = NAN, aicc = NAN, bic = NAN;  // ETS and ARIMA models, R's conventions
    double sigma2 = NAN;  // one-step error variance (relative for multiplicative error)
    std::vector<double> point;
    std::vector<std::vector<double>> lower, upper;  // [level][step]; NaN when unknown
    std::vector<double> fitted;     // one-step in-sample forecasts, NaN where a method has none
    std::vector<double> residuals;  // y − fitted
    // Ljung–Box test of the residuals at lag min(2m or 10, n/5); NaN when too few.
    double ljung_box = NAN, ljung_box_p = NAN;
    int ljung_box_lag = 0;
};

// 'auto' fits every ETS model the data supports (error A/M, trend N/A/Ad,
// season N/A/M; multiplicative ones only for positive data; none with an
// additive error and a multiplicative season; seasonal ones only for season
// lengths 2..24 and more than parameters + 4 values) and keeps the lowest
// AICc. Fewer than 7 values: the naive method. A constant series: itself.
// Other methods: "naive", "snaive", "linear", an ETS code ("MAdM",
// "ETS(M,Ad,M)") or an alias: "ses" (ANN), "holt" (AAN), "damped" (AAdN),
// "hw_additive" (AAA), "hw_multiplicative" (MAM). An explicit method the data
// cannot support is an Error.
Result forecast(const std::vector<double>& y, const Options& options);

struct BacktestOrigin {
    int train = 0;  // values before the origin
    std::string model;
    timeseries::Accuracy accuracy;
};

// Rolling origin: `origins` forecasts of `horizon` steps, the last one ending
// at the series' end, each origin one step later than the one before; MASE
// and MSIS are scaled by each training part, and the interval scores are of
// the first level in the options (none when there is none).
std::vector<BacktestOrigin> backtest(const std::vector<double>& y, const Options& options, int origins);

}  // namespace pgcrm::forecast
