#include "forecast.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <boost/math/distributions/students_t.hpp>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "arima.hpp"
#include "ets.hpp"
#include "intermittent.hpp"
#include "prediction.hpp"
#include "stl.hpp"
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
    r.fitted.assign(n, NAN);
    for (int i = lag; i < n; ++i) r.fitted[i] = y[i - lag];
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
    r.fitted.resize(n);
    for (int i = 0; i < n; ++i) r.fitted[i] = line.intercept + line.slope * (i + 1);
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

Result theta_method(const std::vector<double>& y, const Options& o, bool seasonal = false) {
    const int n = static_cast<int>(y.size());
    const int needed = ets::Spec{}.min_points(1);
    if (n < needed)
        throw Error(sqlstate::insufficient_data,
                    "the Theta method needs at least " + std::to_string(needed) + " values; the series has " +
                        std::to_string(n),
                    "Use method 'auto', which falls back to the models the data can support.");
    const theta::Model model = theta::fit(y, o.season_length, seasonal);
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

// The trivial series every automatic method answers alike; false otherwise.
bool trivial(const std::vector<double>& y, const Options& o, Result& r) {
    if (y.size() == 1) {
        r = unknown_spread(y, o, "naive", "a single value: the forecast repeats it and its spread is unknown", NAN);
        return true;
    }
    if (std::all_of(y.begin(), y.end(), [&](double v) { return v == y[0]; })) {
        r = unknown_spread(y, o, "constant", "the series is constant", 0.0);
        return true;
    }
    return false;
}

void add_note(std::string& note, const std::string& more) {
    if (!more.empty()) note = note.empty() ? more : note + "; " + more;
}

// Automatic ETS: every model the data supports, the lowest AICc.
Result automatic_ets(const std::vector<double>& y, const Options& o) {
    const int n = static_cast<int>(y.size());
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
    if (!positive) add_note(note, "multiplicative models left out: the series has values <= 0");

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

Result from_arima(const arima::Model& model, const std::vector<double>& y, const Options& o) {
    Result r;
    r.model = arima::name(model.order);
    r.loglik = model.loglik;
    r.aic = model.aic;
    r.aicc = model.aicc;
    r.bic = model.bic;
    r.sigma2 = model.sigma2;
    take(r, arima::predict(model, y, o.horizon, o.levels));
    r.fitted = model.fitted;
    return r;
}

// The seasons STL takes out: the season length, and a year of days for a
// daily series with more than two years (forecast::mstl's msts(7, 365.25)).
std::vector<int> stl_seasons(const std::vector<double>& y, const Options& o) {
    std::vector<int> seasons{o.season_length};
    for (int s : o.extra_seasons)
        if (2 * s < static_cast<int>(y.size())) seasons.push_back(s);
    return seasons;
}

// STL + a non-seasonal method on the seasonally adjusted series, the seasons
// forecast by repeating their last cycle (R's stlf and stlm).
Result stl_method(const std::vector<double>& y, const Options& o, bool with_arima, bool approximate = false) {
    const int n = static_cast<int>(y.size());
    if (o.season_length < 2)
        throw Error(sqlstate::invalid_parameter_value, "STL needs a season length of at least 2");
    if (n <= 2 * o.season_length)
        throw Error(sqlstate::insufficient_data,
                    "STL with season length " + std::to_string(o.season_length) + " needs more than " +
                        std::to_string(2 * o.season_length) + " values; the series has " + std::to_string(n),
                    "Use method 'auto', which falls back to the models the data can support.");
    const stl::Multiple d = stl::mstl(y, stl_seasons(y, o));
    std::vector<double> adjusted = y, season_path(o.horizon, 0.0), season_fit(n, 0.0);
    for (size_t i = 0; i < d.periods.size(); ++i) {
        const int p = d.periods[i];
        for (int t = 0; t < n; ++t) {
            adjusted[t] -= d.seasonal[i][t];
            season_fit[t] += d.seasonal[i][t];
        }
        for (int h = 0; h < o.horizon; ++h) season_path[h] += d.seasonal[i][n - p + h % p];
    }
    Options plain = o;
    plain.season_length = 1;
    Result r;
    if (with_arima) r = from_arima(arima::automatic(adjusted, 1, false, approximate).best, adjusted, plain);
    else r = automatic_ets(adjusted, plain);
    std::string seasons;
    for (int p : d.periods) seasons += (seasons.empty() ? "" : ",") + std::to_string(p);
    r.model = "STL(" + seasons + ") + " + r.model;
    for (int h = 0; h < o.horizon; ++h) {
        r.point[h] += season_path[h];
        for (size_t l = 0; l < r.lower.size(); ++l) {
            r.lower[l][h] += season_path[h];
            r.upper[l][h] += season_path[h];
        }
    }
    for (int t = 0; t < n && t < static_cast<int>(r.fitted.size()); ++t) r.fitted[t] += season_fit[t];
    return r;
}

Result automatic_arima(const std::vector<double>& y, const Options& o, bool approximate = false) {
    if (o.season_length > 24) {
        Result r = stl_method(y, o, true, approximate);
        r.note = "season length " + std::to_string(o.season_length) +
                 " is above the 24 seasonal ARIMA is searched for; the seasons were taken out by STL";
        return r;
    }
    return from_arima(arima::automatic(y, o.season_length, true, approximate).best, y, o);
}

// Whether the members treat the series as seasonal: the STL seasonal
// strength above 0.64, the test auto.arima's nsdiffs uses for D.
bool seasonal_series(const std::vector<double>& y, int m) {
    return m > 1 && m <= 24 && static_cast<int>(y.size()) > 2 * m && stl::seasonal_strength(y, m) > 0.64;
}

// ETS for the combination: when the series is seasonal but AICc could not
// afford the seasonal states (a short series), STL + ETS instead.
Result ets_member(const std::vector<double>& y, const Options& o, bool seasonal) {
    Result r = automatic_ets(y, o);
    if (seasonal && r.model.size() > 2 && r.model.compare(r.model.size() - 2, 2, "N)") == 0) {
        Result decomposed = stl_method(y, o, false);
        decomposed.note = "the series is seasonal (STL strength > 0.64) but AICc chose " + r.model +
                          "; ETS on the seasonally adjusted series instead";
        return decomposed;
    }
    return r;
}

// The combination: the mean of the members' point forecasts and of their
// bounds, level by level. A member that cannot be fitted is left out and
// named. The ARIMA member searches with auto.arima's approximation, which
// keeps the combination within twice the time of ETS alone. All three agree
// on seasonality: ARIMA's seasonal difference, ETS's seasonal states (or
// STL) and Theta's deseasonalising follow the same seasonal-strength test.
Result combination(const std::vector<double>& y, const Options& o) {
    const int n = static_cast<int>(y.size());
    const bool long_season = o.season_length > 24 || !o.extra_seasons.empty();
    const bool stl_possible = n > 2 * o.season_length && o.season_length > 1;
    const bool seasonal = !long_season && seasonal_series(y, o.season_length);
    struct Member {
        const char* what;
        std::function<Result()> fit;
    };
    const std::vector<Member> members = {
        {"ETS", [&] { return long_season && stl_possible ? stl_method(y, o, false) : ets_member(y, o, seasonal); }},
        {"ARIMA", [&] { return long_season && stl_possible ? stl_method(y, o, true, true) : automatic_arima(y, o, true); }},
        {"Theta", [&] { return theta_method(y, o, seasonal); }},
    };
    std::vector<Result> fits;
    std::string note;
    for (const Member& m : members) {
        try {
            fits.push_back(m.fit());
        } catch (const Error& e) {
            if (std::string(e.sqlstate()) == sqlstate::internal_error) throw;
            add_note(note, std::string(m.what) + " left out: " + e.what());
        }
    }
    if (fits.empty()) {
        Result r = lag_walk(y, o, 1);
        add_note(note, "the forecast is the naive one");
        r.note = note;
        return r;
    }
    if (fits.size() == 1) {
        add_note(fits[0].note, note);
        return std::move(fits[0]);
    }
    Result r;
    const double k = static_cast<double>(fits.size());
    r.point.assign(o.horizon, 0.0);
    r.lower.assign(o.levels.size(), std::vector<double>(o.horizon, 0.0));
    r.upper = r.lower;
    r.fitted.assign(n, 0.0);
    for (const Result& f : fits) {
        r.members.push_back(f.model);
        add_note(note, f.note);
        for (int h = 0; h < o.horizon; ++h) {
            r.point[h] += f.point[h] / k;
            for (size_t l = 0; l < o.levels.size(); ++l) {
                r.lower[l][h] += f.lower[l][h] / k;
                r.upper[l][h] += f.upper[l][h] / k;
            }
        }
        for (int t = 0; t < n; ++t) r.fitted[t] += (t < static_cast<int>(f.fitted.size()) ? f.fitted[t] : NAN) / k;
    }
    r.model = "mean of ";
    for (size_t i = 0; i < r.members.size(); ++i) r.model += (i ? ", " : "") + r.members[i];
    r.note = note;
    return r;
}

// 'auto' (docs/forecast.md): trivial series answered directly, intermittent
// demand by SBA or TSB, everything else by the combination.
Result automatic(const std::vector<double>& y, const Options& o) {
    Result r;
    if (trivial(y, o, r) || intermittent_auto(y, o, r)) return r;
    if (static_cast<int>(y.size()) < ets::Spec{}.min_points(1)) return automatic_ets(y, o);
    return combination(y, o);
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
    arima::Order order;
    static const char* const named[] = {"auto", "comb", "ets", "arima", "theta", "stl",  "stl_ets",
                                        "stl_arima", "naive", "snaive", "linear"};
    const bool known = std::any_of(std::begin(named), std::end(named), [&](const char* m) { return o.method == m; });
    if (!known && !intermittent::parse_method(o.method, sparse) && !alias(o.method, spec) &&
        !arima::parse(o.method, order))
        throw Error(sqlstate::invalid_parameter_value, "unknown forecasting method \"" + o.method + "\"",
                    "Use 'auto', 'comb', 'ets', 'arima', 'theta', 'stl', 'stl_arima', 'croston', 'sba', 'tsb', "
                    "'naive', 'snaive', 'linear', 'ses', 'holt', 'damped', 'hw_additive', 'hw_multiplicative', "
                    "an ETS code such as 'MAdM' or ARIMA orders such as 'arima(0,1,1)(0,1,1)'.");
}

namespace {

Result dispatch(const std::vector<double>& y, const Options& o) {
    const int n = static_cast<int>(y.size());
    if (n == 0) throw Error(sqlstate::insufficient_data, "the series is empty");
    for (int i = 0; i < n; ++i)
        if (!std::isfinite(y[i]))
            throw Error(sqlstate::invalid_parameter_value, "value " + std::to_string(i + 1) + " is not a finite number");
    Result r;
    if (o.method == "auto") return automatic(y, o);
    if (o.method == "comb") return trivial(y, o, r) ? r : combination(y, o);
    if (o.method == "ets") return trivial(y, o, r) ? r : automatic_ets(y, o);
    if (o.method == "arima") return trivial(y, o, r) ? r : automatic_arima(y, o);
    if (o.method == "stl" || o.method == "stl_ets" || o.method == "stl_arima")
        return stl_method(y, o, o.method == "stl_arima");
    if (arima::Order order; arima::parse(o.method, order)) {
        order.m = o.season_length;
        return from_arima(arima::fit(y, order), y, o);
    }
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

}  // namespace

Result forecast(const std::vector<double>& y, const Options& o) {
    validate(o);
    Result r = dispatch(y, o);
    // Residuals y − fitted and their Ljung–Box test (Hyndman's lag rule:
    // 2m for seasonal data, else 10, at most n/5).
    const int n = static_cast<int>(y.size());
    if (static_cast<int>(r.fitted.size()) != n) r.fitted.assign(n, NAN);
    r.residuals.resize(n);
    std::vector<double> finite;
    for (int t = 0; t < n; ++t) {
        r.residuals[t] = y[t] - r.fitted[t];
        if (std::isfinite(r.residuals[t])) finite.push_back(r.residuals[t]);
    }
    const int lag = std::min(o.season_length > 1 ? 2 * o.season_length : 10, static_cast<int>(finite.size()) / 5);
    if (lag >= 1) {
        const timeseries::LjungBox lb = timeseries::ljung_box(finite, lag);
        r.ljung_box = lb.statistic;
        r.ljung_box_p = lb.p_value;
        r.ljung_box_lag = lag;
    }
    return r;
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
        const double scale = timeseries::mase_scale(history, o.season_length);
        timeseries::Accuracy a = timeseries::accuracy(actual, r.point, scale);
        const bool bounded = !r.lower.empty() && std::all_of(r.lower[0].begin(), r.lower[0].end(), [](double v) {
            return std::isfinite(v);
        }) && std::all_of(r.upper[0].begin(), r.upper[0].end(), [](double v) { return std::isfinite(v); });
        if (bounded) timeseries::interval_accuracy(a, actual, r.lower[0], r.upper[0], o.levels[0], scale);
        out.push_back({train, r.model, a});
    }
    return out;
}

}  // namespace pgcrm::forecast
