#include "timeseries.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include <boost/math/distributions/chi_squared.hpp>

#include "core/error.hpp"

namespace pgcrm::timeseries {

namespace {

constexpr int64_t usec_per_day = 86400LL * 1000000;
constexpr int64_t days_1970_to_2000 = 10957;

struct Civil {
    int64_t year;
    int month, day;
};

// Howard Hinnant's days↔civil algorithms (proleptic Gregorian), counted from
// 1970-01-01.
Civil civil_from_days(int64_t z) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    return {yoe + era * 400 + (month <= 2), month, day};
}

int64_t days_from_civil(int64_t year, int month, int day) {
    year -= month <= 2;
    const int64_t era = (year >= 0 ? year : year - 399) / 400;
    const int64_t yoe = year - era * 400;
    const int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct WallClock {
    Civil date;
    int64_t time_of_day;  // microseconds
};

WallClock wall_clock(int64_t t) {
    const int64_t days = floor_div(t, usec_per_day);
    return {civil_from_days(days + days_1970_to_2000), t - days * usec_per_day};
}

int64_t month_index(const Civil& c) { return c.year * 12 + (c.month - 1); }

// The time `months` calendar months after t, the day clamped to the month's
// end as PostgreSQL's interval arithmetic does.
int64_t add_months(int64_t t, int64_t months) {
    const WallClock w = wall_clock(t);
    const int64_t index = month_index(w.date) + months;
    const int64_t year = floor_div(index, 12);
    const int month = static_cast<int>(index - year * 12) + 1;
    const int64_t first = days_from_civil(year, month, 1);
    const int64_t next = month == 12 ? days_from_civil(year + 1, 1, 1) : days_from_civil(year, month + 1, 1);
    const int day = std::min<int64_t>(w.date.day, next - first);
    return (days_from_civil(year, month, day) - days_1970_to_2000) * usec_per_day + w.time_of_day;
}

std::string format_time(int64_t t) {
    const WallClock w = wall_clock(t);
    char buf[64];
    if (w.time_of_day == 0)
        std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(w.date.year), w.date.month,
                      w.date.day);
    else {
        const int64_t s = w.time_of_day / 1000000;
        std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d %02lld:%02lld:%02lld", static_cast<long long>(w.date.year),
                      w.date.month, w.date.day, static_cast<long long>(s / 3600), static_cast<long long>(s / 60 % 60),
                      static_cast<long long>(s % 60));
    }
    return buf;
}

// The step a season length asks for, when it divides the observed spacing.
int64_t hinted_months(int season_length) {
    switch (season_length) {
        case 12: return 1;
        case 4: return 3;
        case 2: return 6;
        case 1: return 12;
        default: return 0;
    }
}

int64_t hinted_micros(int season_length) {
    switch (season_length) {
        case 7: return usec_per_day;
        case 52: return 7 * usec_per_day;
        case 24: return usec_per_day / 24;
        default: return 0;
    }
}

// A regular grid may leave gaps, but not ten times more slots than points:
// beyond that the timestamps are events, not a series.
bool too_sparse(int64_t slots, size_t points) { return slots > 10 * static_cast<int64_t>(points) + 100; }

}  // namespace

bool parse_fill(const std::string& text, Fill& fill) {
    if (text == "error") fill = Fill::error;
    else if (text == "zero") fill = Fill::zero;
    else if (text == "linear") fill = Fill::linear;
    else return false;
    return true;
}

std::string Step::label() const {
    auto plural = [](int64_t k, const char* unit) {
        return std::to_string(k) + " " + unit + (k == 1 ? "" : "s");
    };
    if (months > 0) return plural(months, "month");
    if (micros % usec_per_day == 0) return plural(micros / usec_per_day, "day");
    if (micros % 3600000000LL == 0) return plural(micros / 3600000000LL, "hour");
    if (micros % 1000000 == 0) return plural(micros / 1000000, "second");
    return plural(micros, "microsecond");
}

int Step::season_length() const {
    if (months == 1) return 12;
    if (months == 3) return 4;
    if (months == 6) return 2;
    if (micros == usec_per_day) return 7;
    if (micros == 7 * usec_per_day) return 52;
    if (micros == usec_per_day / 24) return 24;
    return 1;
}

int64_t Grid::time_at(int64_t index) const {
    if (step.months > 0) return add_months(first, index * step.months);
    return first + index * step.micros;
}

Grid regularize(std::vector<int64_t> times, std::vector<double> values, int season_length, Fill fill) {
    const size_t n = times.size();
    if (n == 0 || values.size() != n) throw Error(sqlstate::insufficient_data, "the series is empty");
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return times[a] < times[b]; });
    std::vector<int64_t> t(n);
    std::vector<double> v(n);
    for (size_t i = 0; i < n; ++i) {
        t[i] = times[order[i]];
        v[i] = values[order[i]];
        if (!std::isfinite(v[i]))
            throw Error(sqlstate::invalid_parameter_value,
                        "the value at " + format_time(t[i]) + " is " + (std::isnan(v[i]) ? "NaN" : "infinite"),
                        "Exclude the row or impute the value.");
        if (i > 0 && t[i] == t[i - 1])
            throw Error(sqlstate::invalid_parameter_value, "the series has two values at " + format_time(t[i]),
                        "Aggregate to one value per period first, e.g. sum() … GROUP BY date_trunc('month', ts).");
    }

    Grid grid;
    grid.first = t[0];
    if (n == 1) {
        grid.values = v;
        return grid;
    }
    bool calendar = true;
    const WallClock w0 = wall_clock(t[0]);
    for (size_t i = 1; i < n && calendar; ++i) {
        const WallClock w = wall_clock(t[i]);
        calendar = w.date.day == w0.date.day && w.time_of_day == w0.time_of_day;
    }
    std::vector<int64_t> position(n);  // in months or microseconds from t[0]
    for (size_t i = 0; i < n; ++i)
        position[i] = calendar ? month_index(wall_clock(t[i]).date) - month_index(w0.date) : t[i] - t[0];
    int64_t g = 0;
    for (size_t i = 1; i < n; ++i) g = std::gcd(g, position[i] - position[i - 1]);
    const int64_t hint = calendar ? hinted_months(season_length) : hinted_micros(season_length);
    if (hint > 0 && g % hint == 0) g = hint;
    if (calendar) grid.step.months = static_cast<int>(g);
    else grid.step.micros = g;

    const int64_t slots = position[n - 1] / g + 1;
    if (too_sparse(slots, n))
        throw Error(sqlstate::invalid_parameter_value,
                    "the timestamps are not evenly spaced: their common step of " + grid.step.label() + " gives " +
                        std::to_string(slots) + " periods for " + std::to_string(n) + " values",
                    "Aggregate the values per period first, e.g. GROUP BY date_trunc('month', ts).");
    grid.values.assign(static_cast<size_t>(slots), 0.0);
    for (size_t i = 0; i < n; ++i) {
        const int64_t k = position[i] / g;
        if (i > 0 && k > position[i - 1] / g + 1) {
            const int64_t previous = position[i - 1] / g;
            if (fill == Fill::error)
                throw Error(sqlstate::invalid_parameter_value,
                            "the series has no value at " + format_time(grid.time_at(previous + 1)) + " (step " +
                                grid.step.label() + ")",
                            "Pass fill 'zero' (no sale is zero demand) or 'linear', or supply every period.");
            for (int64_t j = previous + 1; j < k; ++j) {
                grid.values[j] = fill == Fill::zero ? 0.0
                                                    : v[i - 1] + (v[i] - v[i - 1]) * static_cast<double>(j - previous) /
                                                                     static_cast<double>(k - previous);
                ++grid.filled;
            }
        }
        grid.values[k] = v[i];
    }
    return grid;
}

void check_season_length(int m) {
    if (m < 1 || m > max_season_length)
        throw Error(sqlstate::invalid_parameter_value,
                    "season_length must be between 1 and " + std::to_string(max_season_length) + "; it is " +
                        std::to_string(m),
                    "Pass NULL to infer it from the spacing of the timestamps.");
}

Decomposition decompose(const std::vector<double>& y, int m, bool multiplicative) {
    const int n = static_cast<int>(y.size());
    if (m < 2 || m > max_season_length)
        throw Error(sqlstate::invalid_parameter_value, "decomposition needs a season length between 2 and " +
                                                           std::to_string(max_season_length) + "; it is " +
                                                           std::to_string(m));
    if (n < 2 * m)
        throw Error(sqlstate::insufficient_data, "decomposition with season length " + std::to_string(m) +
                                                     " needs at least " + std::to_string(2 * m) + " values; the series has " +
                                                     std::to_string(n));
    if (multiplicative)
        for (double v : y)
            if (!(v > 0))
                throw Error(sqlstate::invalid_parameter_value,
                            "multiplicative decomposition needs positive values; the series has " + std::to_string(v),
                            "Use the additive decomposition.");
    Decomposition d;
    d.trend.assign(n, NAN);
    const int half = m / 2;
    for (int i = half; i + half < n; ++i) {
        double sum = 0;
        if (m % 2 == 0) {
            sum = 0.5 * (y[i - half] + y[i + half]);
            for (int k = -half + 1; k < half; ++k) sum += y[i + k];
        } else
            for (int k = -half; k <= half; ++k) sum += y[i + k];
        d.trend[i] = sum / m;
    }
    d.figure.assign(m, 0.0);
    std::vector<int> count(m, 0);
    for (int i = 0; i < n; ++i)
        if (!std::isnan(d.trend[i])) {
            d.figure[i % m] += multiplicative ? y[i] / d.trend[i] : y[i] - d.trend[i];
            ++count[i % m];
        }
    double mean = 0;
    for (int j = 0; j < m; ++j) mean += (d.figure[j] /= count[j]) / m;
    for (double& f : d.figure) f = multiplicative ? f / mean : f - mean;
    d.seasonal.resize(n);
    d.remainder.resize(n);
    for (int i = 0; i < n; ++i) {
        d.seasonal[i] = d.figure[i % m];
        d.remainder[i] = multiplicative ? y[i] / (d.trend[i] * d.seasonal[i]) : y[i] - d.trend[i] - d.seasonal[i];
    }
    return d;
}

double mase_scale(const std::vector<double>& history, int m) {
    const int n = static_cast<int>(history.size());
    const int lag = m > 1 && n > m ? m : 1;
    if (n <= lag) return NAN;
    double sum = 0;
    for (int i = lag; i < n; ++i) sum += std::fabs(history[i] - history[i - lag]);
    return sum / (n - lag);
}

Accuracy accuracy(const std::vector<double>& actual, const std::vector<double>& forecast, double scale) {
    if (actual.size() != forecast.size())
        throw Error(sqlstate::invalid_parameter_value, "there are " + std::to_string(actual.size()) + " actuals but " +
                                                           std::to_string(forecast.size()) + " forecasts");
    if (actual.empty()) throw Error(sqlstate::insufficient_data, "there are no actuals to compare with");
    Accuracy a;
    a.n = static_cast<int>(actual.size());
    double abs_sum = 0, sq_sum = 0, ape_sum = 0, sape_sum = 0, error_sum = 0;
    bool zero_actual = false;
    for (int i = 0; i < a.n; ++i) {
        const double y = actual[i], f = forecast[i];
        if (!std::isfinite(y) || !std::isfinite(f))
            throw Error(sqlstate::invalid_parameter_value,
                        "the " + std::string(std::isfinite(y) ? "forecast" : "actual") + " at position " +
                            std::to_string(i + 1) + " is not a finite number");
        const double e = std::fabs(y - f);
        error_sum += f - y;
        abs_sum += e;
        sq_sum += e * e;
        if (y == 0) zero_actual = true;
        else ape_sum += e / std::fabs(y);
        const double denominator = std::fabs(y) + std::fabs(f);
        sape_sum += denominator > 0 ? e / denominator : 0.0;
    }
    a.mae = abs_sum / a.n;
    a.rmse = std::sqrt(sq_sum / a.n);
    a.mape = zero_actual ? NAN : 100 * ape_sum / a.n;
    a.smape = 200 * sape_sum / a.n;
    a.mase = scale > 0 ? a.mae / scale : NAN;
    a.bias = error_sum / a.n;
    return a;
}

void interval_accuracy(Accuracy& a, const std::vector<double>& actual, const std::vector<double>& lower,
                       const std::vector<double>& upper, double level, double scale) {
    if (lower.size() != actual.size() || upper.size() != actual.size())
        throw Error(sqlstate::invalid_parameter_value, "there are " + std::to_string(actual.size()) +
                                                           " actuals but " + std::to_string(lower.size()) +
                                                           " lower and " + std::to_string(upper.size()) +
                                                           " upper bounds");
    if (!(level > 0 && level < 100))
        throw Error(sqlstate::invalid_parameter_value,
                    "the interval level is a percentage between 0 and 100 exclusive; got " + std::to_string(level));
    const double alpha = 1 - level / 100;
    double inside = 0, score = 0;
    for (size_t i = 0; i < actual.size(); ++i) {
        const double y = actual[i], l = lower[i], u = upper[i];
        if (!std::isfinite(l) || !std::isfinite(u) || l > u)
            throw Error(sqlstate::invalid_parameter_value,
                        "the interval at position " + std::to_string(i + 1) + " is not a finite lower <= upper");
        inside += y >= l && y <= u;
        score += (u - l) + (y < l ? 2 / alpha * (l - y) : 0.0) + (y > u ? 2 / alpha * (y - u) : 0.0);
    }
    a.coverage = inside / actual.size();
    a.winkler = score / actual.size();
    a.msis = scale > 0 ? a.winkler / scale : NAN;
}

std::vector<double> acf(const std::vector<double>& y, int max_lag) {
    const int n = static_cast<int>(y.size());
    double mean = 0;
    for (double v : y) mean += v / n;
    double c0 = 0;
    for (double v : y) c0 += (v - mean) * (v - mean);
    std::vector<double> r(max_lag, 0.0);
    for (int k = 1; k <= max_lag && k < n; ++k) {
        double c = 0;
        for (int t = 0; t + k < n; ++t) c += (y[t] - mean) * (y[t + k] - mean);
        r[k - 1] = c / c0;
    }
    return r;
}

LjungBox ljung_box(const std::vector<double>& x, int lag, int fitdf) {
    const double n = static_cast<double>(x.size());
    const std::vector<double> r = acf(x, lag);
    double q = 0;
    for (int k = 1; k <= lag; ++k) q += r[k - 1] * r[k - 1] / (n - k);
    q *= n * (n + 2);
    const int df = lag - fitdf;
    const double p = df > 0 ? boost::math::cdf(boost::math::complement(boost::math::chi_squared(df), q)) : NAN;
    return {q, p};
}

double quantile(const std::vector<double>& v, double prob) {
    const double h = (v.size() - 1) * prob;
    const size_t lo = static_cast<size_t>(std::floor(h));
    const size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (h - lo) * (v[hi] - v[lo]);
}

Line fit_line(const double* y, int n) {
    double t_mean = (n + 1) / 2.0, y_mean = 0;
    for (int i = 0; i < n; ++i) y_mean += y[i] / n;
    double sty = 0, stt = 0;
    for (int i = 0; i < n; ++i) {
        const double dt = i + 1 - t_mean;
        sty += dt * (y[i] - y_mean);
        stt += dt * dt;
    }
    const double slope = stt > 0 ? sty / stt : 0.0;
    return {y_mean - slope * t_mean, slope};
}

}  // namespace pgcrm::timeseries
