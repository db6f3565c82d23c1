#include "regression.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "core/eigen.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"

namespace pgcrm::statistics {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double alias_tolerance = 1e-7;  // lm's qr(tol = 1e-7)

// Two-sided p-value of a t (df > 0) or, with df = ∞, a z statistic.
double two_sided(double statistic, double df) {
    if (std::isnan(statistic) || !(df > 0)) return nan;
    if (std::isinf(statistic)) return 0;
    const double a = std::fabs(statistic);
    if (std::isinf(df)) return 2 * boost::math::cdf(boost::math::complement(boost::math::normal(), a));
    return 2 * boost::math::cdf(boost::math::complement(boost::math::students_t(df), a));
}

// The Cholesky factor of a Gram matrix over the columns that are not aliased,
// chosen in column order as R's dqrdc2 does: a column is aliased when its
// squared norm, after projecting out the kept columns before it, is at most
// tol² times its original squared norm.
struct Factor {
    std::vector<int> kept;
    Eigen::MatrixXd lower;  // kept.size() × kept.size()
};

Factor factor(const Eigen::MatrixXd& gram, const Eigen::VectorXd& norm2) {
    const int p = static_cast<int>(gram.rows());
    Factor f;
    Eigen::MatrixXd l = Eigen::MatrixXd::Zero(p, p);
    for (int j = 0; j < p; ++j) {
        const int s = static_cast<int>(f.kept.size());
        Eigen::VectorXd row(s);
        for (int a = 0; a < s; ++a) {
            double v = gram(j, f.kept[a]);
            for (int b = 0; b < a; ++b) v -= row[b] * l(a, b);
            row[a] = v / l(a, a);
        }
        const double residual = gram(j, j) - row.squaredNorm();
        if (!(residual > alias_tolerance * alias_tolerance * norm2[j])) continue;
        l.row(s).head(s) = row.transpose();
        l(s, s) = std::sqrt(residual);
        f.kept.push_back(j);
    }
    const int s = static_cast<int>(f.kept.size());
    f.lower = l.topLeftCorner(s, s);
    return f;
}

Eigen::VectorXd subset(const Eigen::VectorXd& v, const std::vector<int>& idx) {
    Eigen::VectorXd out(idx.size());
    for (size_t i = 0; i < idx.size(); ++i) out[i] = v[idx[i]];
    return out;
}

// (L Lᵀ)⁻¹ from the factor.
Eigen::MatrixXd inverse(const Eigen::MatrixXd& lower) {
    const Eigen::MatrixXd linv =
        lower.triangularView<Eigen::Lower>().solve(Eigen::MatrixXd::Identity(lower.rows(), lower.cols()));
    return linv.transpose() * linv;
}

}  // namespace

void add(const Moments& m, const double* x, double y) noexcept {
    const int q = m.p + 1;
    double* mean = m.mean();
    double* c = m.comoment();
    const double n = m.n() += 1;
    const double shrink = (n - 1) / n;  // (v − mean_new) = (v − mean_old)·(n − 1)/n
    auto value = [&](int j) { return j < m.p ? x[j] : y; };
    for (int j = 0; j < q; ++j) {
        const double dj = (value(j) - mean[j]) * shrink;
        for (int k = j; k < q; ++k) c[j * q + k] += dj * (value(k) - mean[k]);
    }
    for (int j = 0; j < q; ++j) mean[j] += (value(j) - mean[j]) / n;
}

void merge(const Moments& into, const Moments& from) noexcept {
    const int q = into.p + 1;
    const double na = into.n(), nb = from.n(), n = na + nb;
    if (nb == 0) return;
    const double scale = na * nb / n;
    double* c = into.comoment();
    double* mean = into.mean();
    for (int j = 0; j < q; ++j)
        for (int k = j; k < q; ++k)
            c[j * q + k] += from.comoment()[j * q + k] + (from.mean()[j] - mean[j]) * (from.mean()[k] - mean[k]) * scale;
    for (int j = 0; j < q; ++j) mean[j] += (from.mean()[j] - mean[j]) * nb / n;
    into.n() = n;
}

Fit linreg(const Moments& m, bool intercept) {
    const int p = m.p, q = p + 1;
    const double n = m.n();
    if (n < 1) throw Error(sqlstate::insufficient_data, "linear regression needs at least one row");
    Eigen::MatrixXd gram(p, p);
    Eigen::VectorXd xy(p), mean_x(p), norm2(p);
    const double* c = m.comoment();
    const double* mean = m.mean();
    for (int j = 0; j < p; ++j) {
        mean_x[j] = mean[j];
        for (int k = j; k < p; ++k) gram(j, k) = gram(k, j) = c[j * q + k];
        xy[j] = c[j * q + p];
    }
    double yy = c[p * q + p];
    for (int j = 0; j < p; ++j) norm2[j] = gram(j, j) + n * mean_x[j] * mean_x[j];
    if (!intercept) {  // back to uncentred cross-products
        gram += n * mean_x * mean_x.transpose();
        xy += n * mean[p] * mean_x;
        yy += n * mean[p] * mean[p];
    }
    const Factor f = factor(gram, norm2);
    const int kept = static_cast<int>(f.kept.size());
    const Eigen::VectorXd w = f.lower.triangularView<Eigen::Lower>().solve(subset(xy, f.kept));
    const Eigen::VectorXd beta = f.lower.transpose().triangularView<Eigen::Upper>().solve(w);
    const Eigen::MatrixXd unscaled = inverse(f.lower);

    Fit fit;
    fit.n = static_cast<int64_t>(n);
    fit.rank = kept + (intercept ? 1 : 0);
    fit.df_residual = std::max<int>(0, static_cast<int>(n) - fit.rank);
    const double rss = std::max(0.0, yy - w.squaredNorm());
    const double sigma2 = fit.df_residual > 0 ? rss / fit.df_residual : nan;
    fit.sigma = std::sqrt(sigma2);

    const int offset = intercept ? 1 : 0;
    const int total = p + offset;
    fit.coefficients.assign(total, nan);
    fit.std_errors.assign(total, nan);
    for (int a = 0; a < kept; ++a) {
        fit.coefficients[f.kept[a] + offset] = beta[a];
        fit.std_errors[f.kept[a] + offset] = std::sqrt(sigma2 * unscaled(a, a));
    }
    if (intercept) {
        const Eigen::VectorXd mean_kept = subset(mean_x, f.kept);
        fit.coefficients[0] = mean[p] - mean_kept.dot(beta);
        fit.std_errors[0] = std::sqrt(sigma2 * (1 / n + mean_kept.dot(unscaled * mean_kept)));
    }
    fit.t_values.resize(total);
    fit.p_values.resize(total);
    for (int j = 0; j < total; ++j) {
        fit.t_values[j] = fit.coefficients[j] / fit.std_errors[j];
        fit.p_values[j] = two_sided(fit.t_values[j], fit.df_residual);
    }

    fit.r_squared = yy > 0 ? 1 - rss / yy : nan;
    fit.adj_r_squared = fit.df_residual > 0 ? 1 - (1 - fit.r_squared) * (n - offset) / fit.df_residual : nan;
    const int df_model = fit.rank - offset;
    fit.f_statistic = df_model > 0 && fit.df_residual > 0 ? ((yy - rss) / df_model) / sigma2 : nan;
    fit.f_p_value = nan;
    if (std::isinf(fit.f_statistic))
        fit.f_p_value = 0;
    else if (!std::isnan(fit.f_statistic))
        fit.f_p_value = boost::math::cdf(
            boost::math::complement(boost::math::fisher_f(df_model, fit.df_residual), fit.f_statistic));
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

LogisticFit logreg(const double* x, const bool* y, int64_t n, int p, bool intercept, int max_iter) {
    if (n < 1) throw Error(sqlstate::insufficient_data, "logistic regression needs at least one row");
    const int offset = intercept ? 1 : 0, total = p + offset;
    auto design = [&](int64_t i, int j) { return j < offset ? 1.0 : x[i * p + j - offset]; };

    std::vector<double> eta(n), mu(n);
    for (int64_t i = 0; i < n; ++i) {
        const double start = (y[i] + 0.5) / 2;  // glm's binomial mustart
        eta[i] = std::log(start / (1 - start));
        mu[i] = inverse_logit(eta[i]);
    }
    Eigen::VectorXd norm2 = Eigen::VectorXd::Zero(total);
    for (int64_t i = 0; i < n; ++i)
        for (int j = 0; j < total; ++j) norm2[j] += design(i, j) * design(i, j);

    LogisticFit fit;
    fit.n = n;
    fit.converged = false;
    double dev_old = deviance_of(y, mu), dev = dev_old;
    Factor f;
    Eigen::VectorXd beta;
    for (fit.iterations = 1; fit.iterations <= max_iter; ++fit.iterations) {
        // One weighted least-squares step on the working response z.
        Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(total, total);
        Eigen::VectorXd rhs = Eigen::VectorXd::Zero(total);
        Eigen::VectorXd row(total);
        for (int64_t i = 0; i < n; ++i) {
            if ((i & 0xffff) == 0) check_interrupts();
            const double d = logit_derivative(eta[i]);
            const double weight = d * d / (mu[i] * (1 - mu[i]));
            const double z = eta[i] + (y[i] - mu[i]) / d;
            for (int j = 0; j < total; ++j) row[j] = design(i, j);
            gram.selfadjointView<Eigen::Upper>().rankUpdate(row, weight);
            rhs += weight * z * row;
        }
        gram.triangularView<Eigen::StrictlyLower>() = gram.transpose();
        f = factor(gram, norm2);
        beta = f.lower.transpose().triangularView<Eigen::Upper>().solve(
            f.lower.triangularView<Eigen::Lower>().solve(subset(rhs, f.kept)));
        for (int64_t i = 0; i < n; ++i) {
            double e = 0;
            for (size_t a = 0; a < f.kept.size(); ++a) e += design(i, f.kept[a]) * beta[a];
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
    const Eigen::MatrixXd unscaled = inverse(f.lower);
    fit.coefficients.assign(total, nan);
    fit.std_errors.assign(total, nan);
    fit.z_values.assign(total, nan);
    fit.p_values.assign(total, nan);
    for (size_t a = 0; a < f.kept.size(); ++a) {
        const int j = f.kept[a];
        fit.coefficients[j] = beta[a];
        fit.std_errors[j] = std::sqrt(unscaled(a, a));
        fit.z_values[j] = beta[a] / fit.std_errors[j];
        fit.p_values[j] = two_sided(fit.z_values[j], std::numeric_limits<double>::infinity());
    }
    fit.rank = static_cast<int>(f.kept.size());
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
    if (!(level > 0 && level < 1))
        throw Error(sqlstate::invalid_parameter_value, "the confidence level must be between 0 and 1");
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
    const double q = boost::math::quantile(boost::math::students_t(r.df), 1 - (1 - level) / 2);
    r.ci_low = r.difference - q * se;
    r.ci_high = r.difference + q * se;
    return r;
}

PropTest prop_test(int64_t xa, int64_t na, int64_t xb, int64_t nb, double level) {
    if (!(level > 0 && level < 1))
        throw Error(sqlstate::invalid_parameter_value, "the confidence level must be between 0 and 1");
    PropTest r{nan, nan, nan, nan, nan, nan, nan, nan, nan, nan};
    if (na < 1 || nb < 1) return r;
    r.p_treatment = static_cast<double>(xa) / na;
    r.p_control = static_cast<double>(xb) / nb;
    r.difference = r.p_treatment - r.p_control;
    const double q = boost::math::quantile(boost::math::normal(), 1 - (1 - level) / 2);
    const double width = q * std::sqrt(r.p_treatment * (1 - r.p_treatment) / na + r.p_control * (1 - r.p_control) / nb);
    r.ci_low = std::max(r.difference - width, -1.0);
    r.ci_high = std::min(r.difference + width, 1.0);
    const double pooled = static_cast<double>(xa + xb) / (na + nb);
    const double se0 = std::sqrt(pooled * (1 - pooled) * (1.0 / na + 1.0 / nb));
    if (se0 > 0) {
        r.z = r.difference / se0;
        r.p_value = two_sided(r.z, std::numeric_limits<double>::infinity());
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

}  // namespace pgcrm::statistics
