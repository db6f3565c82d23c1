#include "stl.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "core/interrupt.hpp"

namespace pgcrm::stl {

namespace {

int next_odd(double x) {
    int k = static_cast<int>(std::nearbyint(x));
    return k % 2 == 0 ? k + 1 : k;
}

// The loess fit at position xs (1-based, as the Fortran) from y[left..right]
// (1-based, inclusive) with tricube weights, times the robustness weights
// when given; degree 0 or 1. False when every weight is 0.
bool estimate(const double* y, int n, int len, int degree, double xs, double& ys, int left, int right, double* w,
              const double* rw) {
    const double range = n - 1.0;
    double h = std::max(xs - left, right - xs);
    if (len > n) h += (len - n) / 2;
    const double h9 = 0.999 * h, h1 = 0.001 * h;
    double a = 0;
    for (int j = left; j <= right; ++j) {
        const double r = std::fabs(j - xs);
        double wj = 0;
        if (r <= h9) {
            wj = r <= h1 ? 1.0 : std::pow(1 - std::pow(r / h, 3), 3);
            if (rw) wj *= rw[j - 1];
        }
        w[j - 1] = wj;
        a += wj;
    }
    if (a <= 0) return false;
    for (int j = left; j <= right; ++j) w[j - 1] /= a;
    if (h > 0 && degree > 0) {
        double mean = 0;
        for (int j = left; j <= right; ++j) mean += w[j - 1] * j;
        double b = xs - mean, c = 0;
        for (int j = left; j <= right; ++j) c += w[j - 1] * (j - mean) * (j - mean);
        if (std::sqrt(c) > 0.001 * range) {
            b /= c;
            for (int j = left; j <= right; ++j) w[j - 1] *= b * (j - mean) + 1;
        }
    }
    ys = 0;
    for (int j = left; j <= right; ++j) ys += w[j - 1] * y[j - 1];
    return true;
}

// Loess smoothing of y[0..n) with span len, evaluated every `jump` points
// and linearly interpolated between them (the Fortran's stless).
void smooth(const double* y, int n, int len, int degree, int jump, const double* rw, double* ys, double* w) {
    if (n < 2) {
        ys[0] = y[0];
        return;
    }
    const int step = std::min(jump, n - 1);
    int left = 1, right = n;
    auto at = [&](int i) {
        if (!estimate(y, n, len, degree, i, ys[i - 1], left, right, w, rw)) ys[i - 1] = y[i - 1];
    };
    if (len >= n) {
        for (int i = 1; i <= n; i += step) at(i);
    } else if (step == 1) {
        const int half = (len + 1) / 2;
        right = len;
        for (int i = 1; i <= n; ++i) {
            if (i > half && right != n) ++left, ++right;
            at(i);
        }
    } else {
        const int half = (len + 1) / 2;
        for (int i = 1; i <= n; i += step) {
            if (i < half) left = 1, right = len;
            else if (i >= n - half + 1) left = n - len + 1, right = n;
            else left = i - half + 1, right = len + i - half;
            at(i);
        }
    }
    if (step == 1) return;
    for (int i = 1; i <= n - step; i += step) {
        const double slope = (ys[i + step - 1] - ys[i - 1]) / step;
        for (int j = i + 1; j < i + step; ++j) ys[j - 1] = ys[i - 1] + slope * (j - i);
    }
    const int k = ((n - 1) / step) * step + 1;
    if (k != n) {
        at(n);
        if (k != n - 1) {
            const double slope = (ys[n - 1] - ys[k - 1]) / (n - k);
            for (int j = k + 1; j < n; ++j) ys[j - 1] = ys[k - 1] + slope * (j - k);
        }
    }
}

// Running means of length len over x[0..n): n − len + 1 values.
void moving_average(const double* x, int n, int len, double* out) {
    double v = 0;
    for (int i = 0; i < len; ++i) v += x[i];
    out[0] = v / len;
    for (int j = 1; j < n - len + 1; ++j) {
        v += x[len + j - 1] - x[j - 1];
        out[j] = v / len;
    }
}

struct Spans {
    int np, ns, nt, nl, sdeg, tdeg, ldeg, sjump, tjump, ljump;
};

// One inner pass: detrend, smooth each cycle-subseries (extended by one
// period at both ends), low-pass filter it, and smooth the deseasonalised
// series for the trend.
void inner_pass(const std::vector<double>& y, const Spans& s, const double* rw, std::vector<double>& season,
                std::vector<double>& trend) {
    const int n = static_cast<int>(y.size()), np = s.np;
    std::vector<double> detrended(n), cycle(n + 2 * np), low(n + 2 * np), tmp(n + 2 * np), w(n + 2 * np);
    std::vector<double> sub(n), subw(n), subfit(n + 2), subwork(n);
    for (int i = 0; i < n; ++i) detrended[i] = y[i] - trend[i];
    for (int j = 0; j < np; ++j) {
        const int k = (n - j - 1) / np + 1;
        for (int i = 0; i < k; ++i) {
            sub[i] = detrended[i * np + j];
            if (rw) subw[i] = rw[i * np + j];
        }
        const double* sw = rw ? subw.data() : nullptr;
        smooth(sub.data(), k, s.ns, s.sdeg, s.sjump, sw, subfit.data() + 1, subwork.data());
        if (!estimate(sub.data(), k, s.ns, s.sdeg, 0, subfit[0], 1, std::min(s.ns, k), subwork.data(), sw))
            subfit[0] = subfit[1];
        if (!estimate(sub.data(), k, s.ns, s.sdeg, k + 1, subfit[k + 1], std::max(1, k - s.ns + 1), k, subwork.data(),
                      sw))
            subfit[k + 1] = subfit[k];
        for (int i = 0; i < k + 2; ++i) cycle[i * np + j] = subfit[i];
    }
    moving_average(cycle.data(), n + 2 * np, np, tmp.data());
    moving_average(tmp.data(), n + np + 1, np, low.data());
    moving_average(low.data(), n + 2, 3, tmp.data());
    smooth(tmp.data(), n, s.nl, s.ldeg, s.ljump, nullptr, low.data(), w.data());
    for (int i = 0; i < n; ++i) season[i] = cycle[np + i] - low[i];
    for (int i = 0; i < n; ++i) detrended[i] = y[i] - season[i];
    smooth(detrended.data(), n, s.nt, s.tdeg, s.tjump, rw, trend.data(), w.data());
}

// Tukey's bisquare of the residuals over six times their median absolute value.
void robustness_weights(const std::vector<double>& y, const std::vector<double>& fit, std::vector<double>& rw) {
    const int n = static_cast<int>(y.size());
    std::vector<double> r(n);
    for (int i = 0; i < n; ++i) r[i] = std::fabs(y[i] - fit[i]);
    std::vector<double> sorted = r;
    std::sort(sorted.begin(), sorted.end());
    const int mid1 = n / 2 + 1, mid2 = n - mid1 + 1;
    const double cmad = 3 * (sorted[mid1 - 1] + sorted[mid2 - 1]);
    for (int i = 0; i < n; ++i) {
        if (r[i] <= 0.001 * cmad) rw[i] = 1;
        else if (r[i] <= 0.999 * cmad) rw[i] = std::pow(1 - std::pow(r[i] / cmad, 2), 2);
        else rw[i] = 0;
    }
}

double variance(const std::vector<double>& v) {
    double mean = 0;
    for (double x : v) mean += x / v.size();
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    return ss / (v.size() - 1);
}

}  // namespace

Decomposition decompose(const std::vector<double>& y, int m, const Options& o) {
    const int n = static_cast<int>(y.size());
    if (m < 2 || n <= 2 * m)
        throw Error(sqlstate::insufficient_data, "STL with season length " + std::to_string(m) +
                                                     " needs more than " + std::to_string(2 * m) +
                                                     " values; the series has " + std::to_string(n));
    const bool periodic = o.season_window == 0;
    Spans s;
    s.np = m;
    s.ns = periodic ? 10 * n + 1 : o.season_window;
    s.sdeg = periodic ? 0 : o.season_degree;
    s.nt = o.trend_window > 0 ? o.trend_window : next_odd(std::ceil(1.5 * m / (1 - 1.5 / s.ns)));
    s.tdeg = o.trend_degree;
    s.nl = o.lowpass_window > 0 ? o.lowpass_window : next_odd(m);
    s.ldeg = o.trend_degree;
    s.sjump = static_cast<int>(std::ceil(s.ns / 10.0));
    s.tjump = static_cast<int>(std::ceil(s.nt / 10.0));
    s.ljump = static_cast<int>(std::ceil(s.nl / 10.0));
    // The spans are at least 3 and odd (the Fortran's own adjustment).
    for (int* span : {&s.ns, &s.nt, &s.nl}) {
        *span = std::max(3, *span);
        if (*span % 2 == 0) ++*span;
    }
    Decomposition d;
    d.trend.assign(n, 0.0);
    d.seasonal.assign(n, 0.0);
    std::vector<double> rw(n, 1.0), fit(n);
    for (int k = 0;; ++k) {
        check_interrupts();
        for (int i = 0; i < o.inner; ++i) inner_pass(y, s, k > 0 ? rw.data() : nullptr, d.seasonal, d.trend);
        if (k >= o.outer) break;
        for (int i = 0; i < n; ++i) fit[i] = d.trend[i] + d.seasonal[i];
        robustness_weights(y, fit, rw);
    }
    if (periodic) {
        std::vector<double> mean(m, 0.0);
        std::vector<int> count(m, 0);
        for (int i = 0; i < n; ++i) mean[i % m] += d.seasonal[i], ++count[i % m];
        for (int i = 0; i < n; ++i) d.seasonal[i] = mean[i % m] / count[i % m];
    }
    d.remainder.resize(n);
    for (int i = 0; i < n; ++i) d.remainder[i] = y[i] - d.seasonal[i] - d.trend[i];
    return d;
}

Multiple mstl(const std::vector<double>& y, std::vector<int> periods) {
    const int n = static_cast<int>(y.size());
    std::sort(periods.begin(), periods.end());
    periods.erase(std::unique(periods.begin(), periods.end()), periods.end());
    Multiple out;
    for (int p : periods)
        if (p > 1 && 2 * p < n) out.periods.push_back(p);
    const int k = static_cast<int>(out.periods.size());
    out.seasonal.assign(k, std::vector<double>(n, 0.0));
    std::vector<double> deseason = y;
    out.trend.assign(n, 0.0);
    const int passes = k > 1 ? 2 : 1;
    for (int pass = 0; pass < passes; ++pass)
        for (int i = 0; i < k; ++i) {
            for (int t = 0; t < n; ++t) deseason[t] += out.seasonal[i][t];
            Options o;
            o.season_window = 7 + 4 * (i + 1);
            const Decomposition d = decompose(deseason, out.periods[i], o);
            out.seasonal[i] = d.seasonal;
            out.trend = d.trend;
            for (int t = 0; t < n; ++t) deseason[t] -= out.seasonal[i][t];
        }
    if (k == 0) out.trend = y;  // no season to take out (R smooths it with supsmu)
    out.remainder.resize(n);
    for (int t = 0; t < n; ++t) out.remainder[t] = deseason[t] - out.trend[t];
    return out;
}

double seasonal_strength(const std::vector<double>& y, int m) {
    const Multiple d = mstl(y, {m});
    if (d.periods.empty()) return 0;
    std::vector<double> with_season(y.size());
    for (size_t t = 0; t < y.size(); ++t) with_season[t] = d.remainder[t] + d.seasonal[0][t];
    return std::max(0.0, std::min(1.0, 1 - variance(d.remainder) / variance(with_season)));
}

}  // namespace pgcrm::stl
