#include "hypothesis.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "distributions.hpp"

namespace pgcrm::statistics {

namespace {

void check_level(double level) {
    if (!(level > 0 && level < 1))
        throw Error(sqlstate::invalid_parameter_value, "the confidence level must be between 0 and 1");
}

}  // namespace

void Sample::add(double v) noexcept {
    n += 1;
    const double delta = v - mean;
    mean += delta / n;
    m2 += delta * (v - mean);
}

void Sample::merge(const Sample& o) noexcept {
    if (o.n == 0) return;
    const double total = n + o.n, delta = o.mean - mean;
    m2 += o.m2 + delta * delta * n * o.n / total;
    mean += delta * o.n / total;
    n = total;
}

TTest ttest(const Sample& a, const Sample& b, bool equal_var, double level) {
    check_level(level);
    TTest r{nan, nan, nan, a.n > 0 ? a.mean : nan, b.n > 0 ? b.mean : nan, nan, nan, nan};
    r.difference = r.mean_treatment - r.mean_control;
    if (a.n < 2 || b.n < 2) return r;
    const double va = a.m2 / (a.n - 1), vb = b.m2 / (b.n - 1);
    double se;
    if (equal_var) {
        r.df = a.n + b.n - 2;
        se = std::sqrt(((a.n - 1) * va + (b.n - 1) * vb) / r.df * (1 / a.n + 1 / b.n));
    } else {
        const double ea = va / a.n, eb = vb / b.n;
        se = std::sqrt(ea + eb);
        r.df = (ea + eb) * (ea + eb) / (ea * ea / (a.n - 1) + eb * eb / (b.n - 1));
    }
    if (!(se > 0)) return r;
    r.t = r.difference / se;
    r.p_value = two_sided(r.t, r.df);
    const double q = central_quantile(level, r.df);
    r.ci_low = r.difference - q * se;
    r.ci_high = r.difference + q * se;
    return r;
}

OneSampleTTest ttest_one(const Sample& s, double mu, double level) {
    check_level(level);
    if (!std::isfinite(mu))
        throw Error(sqlstate::invalid_parameter_value, "the hypothesised mean must be a finite number");
    OneSampleTTest r{nan, nan, nan, s.n > 0 ? s.mean : nan, nan, nan};
    if (s.n < 2) return r;
    r.df = s.n - 1;
    const double se = std::sqrt(s.m2 / r.df / s.n);
    if (!(se > 0)) return r;
    r.t = (s.mean - mu) / se;
    r.p_value = two_sided(r.t, r.df);
    const double q = central_quantile(level, r.df);
    r.ci_low = s.mean - q * se;
    r.ci_high = s.mean + q * se;
    return r;
}

PropTest prop_test(int64_t xa, int64_t na, int64_t xb, int64_t nb, double level) {
    check_level(level);
    PropTest r{nan, nan, nan, nan, nan, nan, nan, nan, nan, nan};
    if (na < 1 || nb < 1) return r;
    r.p_treatment = static_cast<double>(xa) / na;
    r.p_control = static_cast<double>(xb) / nb;
    r.difference = r.p_treatment - r.p_control;
    const double q = central_quantile(level);
    const double width = q * std::sqrt(r.p_treatment * (1 - r.p_treatment) / na + r.p_control * (1 - r.p_control) / nb);
    r.ci_low = std::max(r.difference - width, -1.0);
    r.ci_high = std::min(r.difference + width, 1.0);
    const double pooled = static_cast<double>(xa + xb) / (na + nb);
    const double se0 = std::sqrt(pooled * (1 - pooled) * (1.0 / na + 1.0 / nb));
    if (se0 > 0) {
        r.z = r.difference / se0;
        r.p_value = two_sided(r.z, infinity);
    }
    if (xa > 0 && xb > 0) {
        const double ratio = r.p_treatment / r.p_control;
        const double se_log = std::sqrt(1.0 / xa - 1.0 / na + 1.0 / xb - 1.0 / nb);
        r.lift = ratio - 1;
        r.lift_ci_low = ratio * std::exp(-q * se_log) - 1;
        r.lift_ci_high = ratio * std::exp(q * se_log) - 1;
    }
    return r;
}

ChiSquareTest chisq_test(const std::vector<int64_t>& counts, int rows, int cols, bool correct) {
    ChiSquareTest r{nan, 0, nan, {}, {}};
    std::vector<double> row_sum(rows, 0), col_sum(cols, 0);
    double n = 0;
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) {
            const double c = static_cast<double>(counts[i * cols + j]);
            row_sum[i] += c;
            col_sum[j] += c;
            n += c;
        }
    r.expected.resize(static_cast<size_t>(rows) * cols);
    int low = 0;
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) {
            const double e = row_sum[i] * col_sum[j] / n;
            r.expected[i * cols + j] = e;
            low += e < 5;
        }
    if (rows < 2 || cols < 2) {
        r.warning = "a test of independence needs at least two row and two column labels";
        return r;
    }
    double yates = 0;
    if (correct && rows == 2 && cols == 2) {
        yates = 0.5;
        for (size_t c = 0; c < r.expected.size(); ++c)
            yates = std::min(yates, std::fabs(static_cast<double>(counts[c]) - r.expected[c]));
    }
    r.statistic = 0;
    for (size_t c = 0; c < r.expected.size(); ++c) {
        const double d = std::fabs(static_cast<double>(counts[c]) - r.expected[c]) - yates;
        r.statistic += d * d / r.expected[c];
    }
    r.df = static_cast<double>(rows - 1) * (cols - 1);
    r.p_value = chi_squared_upper(r.statistic, r.df);
    if (low > 0)
        r.warning = std::to_string(low) + " of " + std::to_string(r.expected.size()) +
                    " expected counts are below 5: the chi-square approximation may be incorrect";
    return r;
}

namespace {

// P(W ≤ w) and P(W ≥ w) under the null hypothesis without ties: W is the
// rank sum of an m-subset of 1…m + n, less m(m + 1)/2. Counts of subsets by
// size and rank sum, built one rank at a time; only additions, so the tails
// keep their relative precision.
struct RankSumTails {
    double lower, upper;
};

RankSumTails rank_sum_tails(int m, int n, double w) {
    const int total = m + n;
    const int max_sum = m * total;
    std::vector<std::vector<double>> ways(m + 1, std::vector<double>(max_sum + 1, 0.0));
    ways[0][0] = 1;
    for (int rank = 1; rank <= total; ++rank) {
        check_interrupts();
        for (int size = std::min(rank, m); size >= 1; --size)
            for (int s = max_sum; s >= rank; --s) ways[size][s] += ways[size - 1][s - rank];
    }
    const int shift = m * (m + 1) / 2;
    double lower = 0, upper = 0, all = 0;
    for (int s = shift; s <= max_sum; ++s) {
        const double c = ways[m][s], u = s - shift;
        all += c;
        if (u <= w) lower += c;
        if (u >= w) upper += c;
    }
    return {lower / all, upper / all};
}

}  // namespace

MannWhitney mann_whitney(const std::vector<double>& x, const std::vector<double>& y) {
    const double nx = static_cast<double>(x.size()), ny = static_cast<double>(y.size());
    MannWhitney r{nan, nan, nan, false};
    if (x.empty() || y.empty()) return r;
    // Average ranks of the pooled sample; ties are groups of equal values.
    struct Value {
        double v;
        bool in_x;
    };
    std::vector<Value> all;
    all.reserve(x.size() + y.size());
    for (double v : x) all.push_back({v, true});
    for (double v : y) all.push_back({v, false});
    std::sort(all.begin(), all.end(), [](const Value& a, const Value& b) { return a.v < b.v; });
    double rank_sum_x = 0, tie_term = 0;
    bool ties = false;
    for (size_t i = 0; i < all.size();) {
        size_t j = i;
        while (j < all.size() && all[j].v == all[i].v) ++j;
        const double t = static_cast<double>(j - i), rank = (i + 1 + j) / 2.0;
        for (size_t k = i; k < j; ++k)
            if (all[k].in_x) rank_sum_x += rank;
        tie_term += t * t * t - t;
        ties = ties || t > 1;
        i = j;
    }
    r.w = rank_sum_x - nx * (nx + 1) / 2;
    r.exact = nx < 50 && ny < 50 && !ties;
    if (r.exact) {
        const RankSumTails tails = rank_sum_tails(static_cast<int>(nx), static_cast<int>(ny), r.w);
        r.p_value = std::min(1.0, 2 * (r.w > nx * ny / 2 ? tails.upper : tails.lower));
        return r;
    }
    const double centred = r.w - nx * ny / 2;
    const double sigma = std::sqrt(nx * ny / 12 * ((nx + ny + 1) - tie_term / ((nx + ny) * (nx + ny - 1))));
    const double correction = centred > 0 ? 0.5 : centred < 0 ? -0.5 : 0;
    r.z = (centred - correction) / sigma;
    r.p_value = two_sided(r.z, infinity);
    return r;
}

}  // namespace pgcrm::statistics
