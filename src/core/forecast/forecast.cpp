#include "forecast.hpp"

#include <algorithm>
#include <cstdio>
#include <boost/math/distributions/students_t.hpp>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "ets.hpp"
#include "intermittent.hpp"
#include "prediction.hpp"
#include "theta.hpp"

namespace pgcrm::forecast {

namespace {

constexpr int max_horizon = 10000;

bool alias(const std::string& method, ets::Spec& spec) {
    const char* code = method == "ses"                 ? "ANN"
                       : method == "holt"              ? "AAN"
                       : method == "damped"            ? "AAdN"
                       : method == "hw_additive"       ? "AAA"
                       : method == "hw_multiplicative" ? "MAM"
                                                       : nullptr;
    return code ? ets::parse_spec(code, spec) : ets::parse_spec(method, spec);
}

void take(Result& r, Prediction&& p) {
    r.point = std::move(p.point);
    r.lower = std::move(p.lower);
    r.upper = std::move(p.upper);
}

// Intervals point ± z·se[h] for every level.
void normal_intervals(Result& r, const std::vector<double>& levels, const std::vector<double>& se) {
    Prediction p{std::move(r.point), {}, {}};
    normal_bands(p, levels, se);
    take(r, std::move(p));
}

// Naive (lag 1) and seasonal naive (lag m), as R's forecast::naive/snaive:
// σ² is the mean squared lag difference, se_h = σ √(⌊(h−1)/lag⌋ + 1).
Result lag_walk(const std::vector<double>& y, const Options& o, int lag) {
    const int n = static_cast<int>(y.size());
    Result r;
    r.model = lag == 1 ? "naive" : "seasonal naive";
    r.point.resize(o.horizon);
    for (int h = 0; h < o.horizon; ++h) r.point[h] = y[n - lag + h % lag];
    double sum = 0;
    for (int i = lag; i < n; ++i) sum += (y[i] - y[i - lag]) * (y[i] - y[i - lag]);
    r.sigma2 = n > lag ? sum / (n - lag) : NAN;
    std::vector<double> se(o.horizon);
    for (int h = 1; h <= o.horizon; ++h) se[h - 1] = std::sqrt(r.sigma2 * ((h - 1) / lag + 1));
    normal_intervals(r, o.levels, se);
    return r;
}

// y = intercept + slope·t by least squares; prediction intervals of the
// regression with Student's t, as R's predict(lm, interval = "prediction").
Result linear_trend(const std::vector<double>& y, const Options& o) {
    const int n = static_cast<int>(y.size());
    if (n < 3)
        throw Error(sqlstate::insufficient_data,
                    "the linear trend needs at least 3 values; the series has " + std::to_string(n));
    const timeseries::Line line = timeseries::fit_line(y.data(), n);
    double sse = 0, stt = 0;
    const double t_mean = (n + 1) / 2.0;
    for (int i = 0; i < n; ++i) {
        const double e = y[i] - line.intercept - line.slope * (i + 1);
        sse += e * e;
        stt += (i + 1 - t_mean) * (i + 1 - t_mean);
    }
    Result r;
    r.model = "linear trend";
    r.sigma2 = sse / (n - 2);
    r.point.resize(o.horizon);
    const boost::math::students_t t_dist(n - 2);
    for (double level : o.levels) {
        const double q = boost::math::quantile(t_dist, 0.5 + level / 200);
        std::vector<double> lo(o.horizon), hi(o.horizon);
        for (int h = 0; h < o.horizon; ++h) {
            const double t = n + h + 1;
            r.point[h] = line.intercept + line.slope * t;
            const double half = q * std::sqrt(r.sigma2 * (1 + 1.0 / n + (t - t_mean) * (t - t_mean) / stt));
            lo[h] = r.point[h] - half;
            hi[h] = r.point[h] + half;
        }
        r.lower.push_back(std::move(lo));
        r.upper.push_back(std::move(hi));
    }
    return r;
}

Result from_model(const ets::Model& model, const Options& o) {
    Result r;
    r.model = model.spec.name();
    r.alpha = model.params.alpha;
    if (model.spec.trend != ets::Trend::none) r.beta = model.params.beta;
    if (model.spec.season != ets::Season::none) r.gamma = model.params.gamma;
    if (model.spec.trend == ets::Trend::damped) r.phi = model.params.phi;
    r.loglik = model.loglik;
    r.aic = model.aic;
    r.aicc = model.aicc;
    r.bic = model.bic;
    r.sigma2 = model.sigma2;
    r.point = ets::point_forecast(model, o.horizon);
    ets::Intervals iv = ets::intervals(model, o.horizon, o.levels);
    r.lower = std::move(iv.lower);
    r.upper = std::move(iv.upper);
    r.fitted = model.fitted;
    return r;
}

Result theta_method(const std::vector<double>& y, const Options& o) {
    const int n = static_cast<int>(y.size());
    const int needed = ets::Spec{}.min_points(1);
    if (n < needed)
        throw Error(sqlstate::insufficient_data,
                    "the Theta method needs at least " + std::to_string(needed) + " values; the series has " +
                        std::to_string(n),
                    "Use method 'auto', which falls back to the models the data can support.");
    const theta::Model model = theta::fit(y, o.season_length);
    Result r;
    r.model = model.seasonal ? "Theta (deseasonalised)" : "Theta";
    r.alpha = model.ses.params.alpha;
    r.sigma2 = model.ses.sigma2;
    take(r, theta::predict(model, o.horizon, o.levels));
    r.fitted = model.fitted;
    return r;
}

Result intermittent_method(const std::vector<double>& y, const Options& o, intermittent::Method method) {
    const intermittent::Model model = intermittent::fit(y, method);
    Result r;
    r.model = intermittent::name(method);
    r.alpha = model.alpha;
    if (method == intermittent::Method::tsb) r.beta = model.beta;
    take(r, intermittent::predict(model, y, o.horizon, o.levels));
    r.fitted = model.fitted;
    return r;
}

// 'auto' on demand with many zeros (docs/forecast.md): SBA or TSB, saying why.
bool intermittent_auto(const std::vector<double>& y, const Options& o, Result& r) {
    if (std::any_of(y.begin(), y.end(), [](double v) { return v < 0; })) return false;
    const intermittent::Profile p = intermittent::profile(y);
    if (p.demands < 2 || !p.intermittent()) return false;
    const intermittent::Method method = intermittent::choose(p);
    r = intermittent_method(y, o, method);
    char buf[200];
    std::snprintf(buf, sizeof buf, "intermittent demand (%d of %zu periods with demand, ADI %.2f > 1.32, CV² %.2f: %s)",
                  p.demands, y.size(), p.adi, p.cv2, p.lumpy() ? "lumpy" : "intermittent");
    r.note = buf;
    if (method == intermittent::Method::tsb)
        r.note += "; no demand for " + std::to_string(p.trailing_zeros) + " periods, more than twice the ADI: TSB";
    return true;
}

Result unknown_spread(const std::vector<double>& y, const Options& o, const char* model, std::string note,
                      double sigma2) {
    Result r;
    r.model = model;
    r.note = std::move(note);
    r.sigma2 = sigma2;
    r.point.assign(o.horizon, y.back());
    const double width = sigma2 == 0 ? 0.0 : NAN;
    r.lower.assign(o.levels.size(), std::vector<double>(o.horizon, y.back() - width));
    r.upper.assign(o.levels.size(), std::vector<double>(o.horizon, y.back() + width));
    return r;
}

Result automatic(const std::vector<double>& y, const Options& o) {
    const int n = static_cast<int>(y.size());
    if (n == 1)
        return unknown_spread(y, o, "naive", "a single value: the forecast repeats it and its spread is unknown", NAN);
    if (std::all_of(y.begin(), y.end(), [&](double v) { return v == y[0]; }))
        return unknown_spread(y, o, "constant", "the series is constant", 0.0);
    if (Result sparse; intermittent_auto(y, o, sparse)) return sparse;
    const int m = o.season_length;
    const bool positive = std::all_of(y.begin(), y.end(), [](double v) { return v > 0; });
    std::string note;
    bool seasons = m > 1;
    const ets::Spec smallest_seasonal{false, ets::Trend::none, ets::Season::additive};
    if (m > 24) {
        note = "season length " + std::to_string(m) + " is above the 24 ETS supports; chose among non-seasonal models";
        seasons = false;
    } else if (m > 1 && n < smallest_seasonal.min_points(m)) {
        note = std::to_string(n) + " values are too few for seasonal models with season length " + std::to_string(m) +
               " (at least " + std::to_string(smallest_seasonal.min_points(m)) + "); chose among non-seasonal models";
        seasons = false;
    }
    if (!positive) {
        const std::string more = "multiplicative models left out: the series has values <= 0";
        note = note.empty() ? more : note + "; " + more;
    }

    const ets::Spec smallest{false, ets::Trend::none, ets::Season::none};
    if (n < smallest.min_points(1)) {
        Result r = lag_walk(y, o, 1);
        r.note = std::to_string(n) + " values are too few for any ETS model (at least " +
                 std::to_string(smallest.min_points(1)) + "); the forecast is the naive one";
        return r;
    }
    ets::Model best;
    bool found = false;
    for (bool mult_error : {false, true}) {
        if (mult_error && !positive) continue;
        for (ets::Trend trend : {ets::Trend::none, ets::Trend::additive, ets::Trend::damped})
            for (ets::Season season : {ets::Season::none, ets::Season::additive, ets::Season::multiplicative}) {
                if (season != ets::Season::none && !seasons) continue;
                if (season == ets::Season::multiplicative && !mult_error) continue;
                const ets::Spec spec{mult_error, trend, season};
                if (n < spec.min_points(m)) continue;
                try {
                    ets::Model model = ets::fit(y, m, spec, ets::Effort::screening);
                    if (std::isfinite(model.aicc) && (!found || model.aicc < best.aicc)) {
                        best = std::move(model);
                        found = true;
                    }
                } catch (const Error& e) {
                    // A model the series cannot support (a zero divisor, no
                    // forecastable parameters) is simply not a candidate.
                    if (std::string(e.sqlstate()) == sqlstate::internal_error) throw;
                }
            }
    }
    if (!found) {
        Result r = lag_walk(y, o, 1);
        r.note = "no ETS model could be fitted; the forecast is the naive one";
        return r;
    }
    Result r = from_model(ets::refine(y, best), o);
    r.note = note;
    return r;
}

}  // namespace

void validate(const Options& o) {
    if (o.horizon < 1 || o.horizon > max_horizon)
        throw Error(sqlstate::invalid_parameter_value,
                    "horizon must be between 1 and " + std::to_string(max_horizon) + "; it is " +
                        std::to_string(o.horizon));
    timeseries::check_season_length(o.season_length);
    if (o.levels.size() > max_levels)
        throw Error(sqlstate::invalid_parameter_value, "at most " + std::to_string(max_levels) + " levels are supported");
    for (double level : o.levels)
        if (!(level > 0 && level < 100))
            throw Error(sqlstate::invalid_parameter_value,
                        "interval levels are percentages between 0 and 100 exclusive; got " + std::to_string(level),
                        "Pass e.g. '{80,95}'.");
    ets::Spec spec;
    intermittent::Method sparse;
    if (o.method != "auto" && o.method != "naive" && o.method != "snaive" && o.method != "linear" &&
        o.method != "theta" && !intermittent::parse_method(o.method, sparse) && !alias(o.method, spec))
        throw Error(sqlstate::invalid_parameter_value, "unknown forecasting method \"" + o.method + "\"",
                    "Use 'auto', 'naive', 'snaive', 'linear', 'theta', 'croston', 'sba', 'tsb', 'ses', 'holt', 'damped', 'hw_additive', "
                    "'hw_multiplicative' or an ETS code such as 'MAdM'.");
}

Result forecast(const std::vector<double>& y, const Options& o) {
    validate(o);
    const int n = static_cast<int>(y.size());
    if (n == 0) throw Error(sqlstate::insufficient_data, "the series is empty");
    for (int i = 0; i < n; ++i)
        if (!std::isfinite(y[i]))
            throw Error(sqlstate::invalid_parameter_value, "value " + std::to_string(i + 1) + " is not a finite number");
    if (o.method == "auto") return automatic(y, o);
    if (o.method == "naive" || o.method == "snaive") {
        const int lag = o.method == "naive" ? 1 : o.season_length;
        if (o.method == "snaive" && lag < 2)
            throw Error(sqlstate::invalid_parameter_value, "the seasonal naive method needs a season length of at least 2");
        if (n < lag + 1)
            throw Error(sqlstate::insufficient_data,
                        "the " + std::string(lag == 1 ? "naive" : "seasonal naive") + " method needs at least " +
                            std::to_string(lag + 1) + " values; the series has " + std::to_string(n));
        return lag_walk(y, o, lag);
    }
    if (o.method == "linear") return linear_trend(y, o);
    if (o.method == "theta") return theta_method(y, o);
    intermittent::Method sparse;
    if (intermittent::parse_method(o.method, sparse)) return intermittent_method(y, o, sparse);
    ets::Spec spec;
    alias(o.method, spec);
    return from_model(ets::fit(y, o.season_length, spec), o);
}

std::vector<BacktestOrigin> backtest(const std::vector<double>& y, const Options& o, int origins) {
    validate(o);
    const int n = static_cast<int>(y.size());
    if (origins < 1)
        throw Error(sqlstate::invalid_parameter_value, "origins must be at least 1; it is " + std::to_string(origins));
    const int first_train = n - o.horizon - (origins - 1);
    if (first_train < 1)
        throw Error(sqlstate::insufficient_data,
                    std::to_string(origins) + " origins with horizon " + std::to_string(o.horizon) +
                        " need at least " + std::to_string(o.horizon + origins) + " values; the series has " +
                        std::to_string(n));
    std::vector<BacktestOrigin> out;
    for (int train = first_train; train + o.horizon <= n; ++train) {
        check_interrupts();
        const std::vector<double> history(y.begin(), y.begin() + train);
        const std::vector<double> actual(y.begin() + train, y.begin() + train + o.horizon);
        const Result r = forecast(history, o);
        out.push_back({train, r.model, timeseries::accuracy(actual, r.point, timeseries::mase_scale(history, o.season_length))});
    }
    return out;
}

}  // namespace pgcrm::forecast
