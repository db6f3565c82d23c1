#include "regression.hpp"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "distributions.hpp"

namespace pgcrm::statistics {

namespace {

void check_tolerance(double tolerance) {
    if (!(tolerance >= 0 && tolerance < 1))
        throw Error(sqlstate::invalid_parameter_value,
                    "the rank tolerance is " + std::to_string(tolerance) + "; it must be at least 0 and below 1");
}

// The estimates of the kept columns spread over all `total` terms, NaN elsewhere.
struct Spread {
    std::vector<double> coefficients, covariance;
    Spread(const Solution& s, int total, double scale) : coefficients(total, nan), covariance(total * total, nan) {
        const int k = static_cast<int>(s.kept.size());
        for (int a = 0; a < k; ++a) {
            coefficients[s.kept[a]] = s.beta[a];
            for (int b = 0; b < k; ++b) covariance[s.kept[a] * total + s.kept[b]] = scale * s.unscaled(a, b);
        }
    }
};

std::vector<double> diagonal_roots(const Covariance& c, int total) {
    std::vector<double> out(total);
    for (int j = 0; j < total; ++j) out[j] = std::sqrt(c[j * total + j]);
    return out;
}

// b / se and its two-sided p-value with df degrees of freedom (∞: normal).
void statistics_of(const std::vector<double>& b, const std::vector<double>& se, double df, std::vector<double>& t,
                   std::vector<double>& p) {
    t.resize(b.size());
    p.resize(b.size());
    for (size_t j = 0; j < b.size(); ++j) {
        t[j] = b[j] / se[j];
        p[j] = two_sided(t[j], df);
    }
}

}  // namespace

Fit linreg(const CrossProducts& rows, bool intercept, double tolerance) {
    check_tolerance(tolerance);
    const int p = rows.q - 1;
    const double n = rows.n();
    if (n < 1) throw Error(sqlstate::insufficient_data, "linear regression needs at least one row");
    // [1 x y]ᵀ[1 x y] (without the column of ones when there is no intercept).
    const int offset = intercept ? 1 : 0, m = p + offset, size = m + 1;
    std::vector<DoubleDouble> gram(static_cast<size_t>(size) * size);
    auto value = [&](int j, int k) -> DoubleDouble {
        if (j < offset) return k < offset ? DoubleDouble(n) : rows.sum(k - offset);
        if (k < offset) return rows.sum(j - offset);
        return rows.product(j - offset, k - offset);
    };
    for (int j = 0; j < size; ++j)
        for (int k = 0; k < size; ++k) gram[j * size + k] = value(j, k);
    const Solution s = solve(gram, m, tolerance);

    Fit fit;
    fit.n = static_cast<int64_t>(n);
    fit.rank = static_cast<int>(s.kept.size());
    fit.df_residual = std::max<int>(0, static_cast<int>(n) - fit.rank);
    const double sigma2 = fit.df_residual > 0 ? to_double(s.rss) / fit.df_residual : nan;
    fit.sigma = std::sqrt(sigma2);
    Spread spread(s, m, sigma2);
    fit.coefficients = std::move(spread.coefficients);
    fit.covariance = std::move(spread.covariance);
    fit.std_errors = diagonal_roots(fit.covariance, m);
    statistics_of(fit.coefficients, fit.std_errors, fit.df_residual, fit.t_values, fit.p_values);

    // Centred (uncentred without an intercept) total sum of squares, as summary.lm.
    const DoubleDouble yy = rows.product(p, p);
    const DoubleDouble tss = intercept ? yy - rows.sum(p) * rows.sum(p) / n : yy;
    fit.r_squared = tss.hi > 0 ? to_double(1.0 - s.rss / tss) : nan;
    fit.adj_r_squared = fit.df_residual > 0 ? 1 - (1 - fit.r_squared) * (n - offset) / fit.df_residual : nan;
    const int df_model = fit.rank - offset;
    fit.f_statistic = df_model > 0 && fit.df_residual > 0 ? to_double(tss - s.rss) / df_model / sigma2 : nan;
    fit.f_p_value = f_upper(fit.f_statistic, df_model, fit.df_residual);
    return fit;
}

namespace {

// R's binomial()$linkinv and $mu.eta, thresholds included, so that fitted
// probabilities never reach exactly 0 or 1.
double inverse_logit(double eta) {
    const double e = eta < -30 ? DBL_EPSILON : eta > 30 ? 1 / DBL_EPSILON : std::exp(eta);
    return e / (1 + e);
}

double logit_derivative(double eta) {
    if (eta > 30 || eta < -30) return DBL_EPSILON;
    const double e = std::exp(eta);
    return e / ((1 + e) * (1 + e));
}

double deviance_of(const bool* y, const std::vector<double>& mu) {
    double dev = 0;
    for (size_t i = 0; i < mu.size(); ++i) dev -= 2 * (y[i] ? std::log(mu[i]) : std::log1p(-mu[i]));
    return dev;
}

}  // namespace

LogisticFit logreg(const double* x, const bool* y, int64_t n, int p, bool intercept, double tolerance, int max_iter) {
    check_tolerance(tolerance);
    if (n < 1) throw Error(sqlstate::insufficient_data, "logistic regression needs at least one row");
    const int offset = intercept ? 1 : 0, total = p + offset;
    auto design = [&](int64_t i, int j) { return j < offset ? 1.0 : x[i * p + j - offset]; };

    std::vector<double> eta(n), mu(n);
    for (int64_t i = 0; i < n; ++i) {
        const double start = (y[i] + 0.5) / 2;  // glm's binomial mustart
        eta[i] = std::log(start / (1 - start));
        mu[i] = inverse_logit(eta[i]);
    }

    LogisticFit fit;
    fit.n = n;
    fit.converged = false;
    double dev_old = deviance_of(y, mu), dev = dev_old;
    Solution s;
    std::vector<double> state(CrossProducts::size(total + 1));
    const CrossProducts step{state.data(), total + 1};
    std::array<double, max_columns> row;
    std::vector<DoubleDouble> gram(static_cast<size_t>(total + 1) * (total + 1));
    for (fit.iterations = 1; fit.iterations <= max_iter; ++fit.iterations) {
        // One weighted least-squares step on the working response z: the rows
        // of [X z] scaled by the square roots of the weights, as glm.fit.
        std::fill(state.begin(), state.end(), 0.0);
        for (int64_t i = 0; i < n; ++i) {
            if ((i & 0xffff) == 0) check_interrupts();
            const double d = logit_derivative(eta[i]);
            const double w = std::sqrt(d * d / (mu[i] * (1 - mu[i])));
            for (int j = 0; j < total; ++j) row[j] = w * design(i, j);
            row[total] = w * (eta[i] + (y[i] - mu[i]) / d);
            step.add(row.data());
        }
        for (int j = 0; j <= total; ++j)
            for (int k = 0; k <= total; ++k) gram[j * (total + 1) + k] = step.product(j, k);
        s = solve(gram, total, tolerance);
        for (int64_t i = 0; i < n; ++i) {
            double e = 0;
            for (size_t a = 0; a < s.kept.size(); ++a) e += design(i, s.kept[a]) * s.beta[a];
            eta[i] = e;
            mu[i] = inverse_logit(e);
        }
        dev = deviance_of(y, mu);
        if (std::fabs(dev - dev_old) / (std::fabs(dev) + 0.1) < 1e-8) {
            fit.converged = true;
            break;
        }
        dev_old = dev;
    }
    fit.iterations = std::min(fit.iterations, max_iter);

    // Standard errors from the last step's weights, as summary.glm takes them.
    Spread spread(s, total, 1.0);
    fit.coefficients = std::move(spread.coefficients);
    fit.covariance = std::move(spread.covariance);
    fit.std_errors = diagonal_roots(fit.covariance, total);
    statistics_of(fit.coefficients, fit.std_errors, infinity, fit.z_values, fit.p_values);
    const double z = central_quantile(0.95);
    for (int j = 0; j < total; ++j) {
        const double b = fit.coefficients[j], se = fit.std_errors[j];
        fit.odds_ratios.push_back(std::exp(b));
        fit.odds_ratio_low.push_back(std::exp(b - z * se));
        fit.odds_ratio_high.push_back(std::exp(b + z * se));
    }
    fit.rank = static_cast<int>(s.kept.size());
    fit.deviance = dev;
    fit.log_likelihood = -dev / 2;
    fit.aic = dev + 2 * fit.rank;
    double positives = 0;
    for (int64_t i = 0; i < n; ++i) positives += y[i];
    const double null_mu = intercept ? positives / n : 0.5;
    fit.null_deviance = deviance_of(y, std::vector<double>(n, null_mu));
    const double eps = 10 * DBL_EPSILON;
    fit.separation = std::any_of(mu.begin(), mu.end(), [&](double m) { return m > 1 - eps || m < eps; });
    return fit;
}

namespace {

// The parts of a sandwich state.
struct SandwichParts {
    double *kept, *beta, *unscaled, *meat;
    explicit SandwichParts(const Sandwich& s)
        : kept(s.data + 1), beta(kept + s.k), unscaled(beta + s.k), meat(unscaled + s.k * s.k) {}
};

}  // namespace

void Sandwich::start(const double* coefficients, int total, const double* covariance, double sigma) const {
    const SandwichParts parts(*this);
    std::vector<int> kept;
    for (int j = 0; j < total; ++j)
        if (!std::isnan(coefficients[j])) kept.push_back(j);
    if (static_cast<int>(kept.size()) != k)
        throw Error(sqlstate::internal_error, "the sandwich state was sized for another model");
    // (XᵀX)⁻¹ is the covariance unscaled; without a residual variance (a perfect
    // fit) there is none to unscale, and every result is undefined.
    const double scale = sigma > 0 ? 1 / (sigma * sigma) : nan;
    n() = 0;
    for (int a = 0; a < k; ++a) {
        parts.kept[a] = kept[a];
        parts.beta[a] = coefficients[kept[a]];
        for (int b = 0; b < k; ++b) {
            parts.unscaled[a * k + b] = covariance[kept[a] * total + kept[b]] * scale;
            parts.meat[a * k + b] = 0;
        }
    }
}

bool Sandwich::uses(const double* coefficients, int total) const noexcept {
    const SandwichParts parts(*this);
    int a = 0;
    for (int j = 0; j < total; ++j) {
        if (std::isnan(coefficients[j])) continue;
        if (a == k || parts.kept[a] != j || parts.beta[a] != coefficients[j]) return false;
        ++a;
    }
    return a == k;
}

bool Sandwich::same_model(const Sandwich& other) const noexcept {
    return k == other.k && intercept == other.intercept && type == other.type &&
           std::memcmp(data + 1, other.data + 1, sizeof(double) * (2 * k + k * k)) == 0;  // bytes: NaN too
}

void Sandwich::add(const double* x, double y) const noexcept {
    const SandwichParts parts(*this);
    std::array<double, max_features + 1> row;
    double e = y;
    for (int a = 0; a < k; ++a) {
        const int j = static_cast<int>(parts.kept[a]);
        row[a] = intercept ? (j == 0 ? 1.0 : x[j - 1]) : x[j];
        e -= row[a] * parts.beta[a];
    }
    double omega = e * e;
    if (type == HcType::hc2 || type == HcType::hc3) {
        double h = 0;
        for (int a = 0; a < k; ++a) {
            double v = 0;
            for (int b = 0; b < k; ++b) v += parts.unscaled[a * k + b] * row[b];
            h += row[a] * v;
        }
        omega /= type == HcType::hc2 ? 1 - h : (1 - h) * (1 - h);
    }
    for (int a = 0; a < k; ++a)
        for (int b = a; b < k; ++b) parts.meat[a * k + b] += omega * row[a] * row[b];
    n() += 1;
}

void Sandwich::merge(const Sandwich& from) const noexcept {
    const SandwichParts into(*this), other(from);
    for (int i = 0; i < k * k; ++i) into.meat[i] += other.meat[i];
    n() += from.n();
}

RobustFit robust(const Sandwich& s, int total) {
    const SandwichParts parts(s);
    const int k = s.k;
    Eigen::MatrixXd meat(k, k), unscaled(k, k);
    for (int a = 0; a < k; ++a)
        for (int b = 0; b < k; ++b) {
            meat(a, b) = parts.meat[std::min(a, b) * k + std::max(a, b)];
            unscaled(a, b) = parts.unscaled[a * k + b];
        }
    const double n = s.n(), df = n - k;
    Eigen::MatrixXd v = unscaled * meat * unscaled;
    if (s.type == HcType::hc1) v *= df > 0 ? n / df : nan;
    RobustFit r;
    r.covariance.assign(static_cast<size_t>(total) * total, nan);
    std::vector<double> beta(total, nan);
    for (int a = 0; a < k; ++a) {
        const int j = static_cast<int>(parts.kept[a]);
        beta[j] = parts.beta[a];
        for (int b = 0; b < k; ++b) r.covariance[j * total + static_cast<int>(parts.kept[b])] = v(a, b);
    }
    r.std_errors = diagonal_roots(r.covariance, total);
    statistics_of(beta, r.std_errors, df, r.t_values, r.p_values);
    return r;
}

}  // namespace pgcrm::statistics
