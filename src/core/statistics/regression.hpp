// Linear and logistic regression and two-sample tests, with R's conventions:
// aliased (linearly dependent) columns are found in column order, as lm's
// pivoted QR does (tolerance 1e-7 on the column norm), and get NaN, which the
// glue returns as NULL.
#pragma once

#include <cstdint>
#include <vector>

namespace pgcrm::statistics {

// Streaming moments of (x₁…x_p, y): count, means and the co-moment matrix
// Σ(v − v̄)(v − v̄)ᵀ of v = (x, y), in one flat array that the glue keeps as an
// aggregate state. They are the sufficient statistics XᵀX, Xᵀy, yᵀy, n in
// centred form: updates are Welford's, merging is Chan et al.'s, both exact
// in real arithmetic and far better conditioned than raw cross-products.
struct Moments {
    static int64_t size(int p) { return 1 + (p + 1) + static_cast<int64_t>(p + 1) * (p + 1); }
    double* data;  // [n, mean(p + 1), C((p + 1) × (p + 1), upper triangle kept)]
    int p;
    double& n() const { return data[0]; }
    double* mean() const { return data + 1; }
    double* comoment() const { return data + 2 + p; }
};

void add(const Moments& m, const double* x, double y) noexcept;
void merge(const Moments& into, const Moments& from) noexcept;

struct Fit {
    std::vector<double> coefficients, std_errors, t_values, p_values;  // NaN where aliased or undefined
    double r_squared, adj_r_squared, f_statistic, f_p_value, sigma;    // NaN where undefined
    int64_t n;
    int rank, df_residual;
};

// The least-squares fit from the moments; the intercept, if any, comes first.
Fit linreg(const Moments& m, bool intercept);

struct LogisticFit {
    std::vector<double> coefficients, std_errors, z_values, p_values;
    double log_likelihood, aic, deviance, null_deviance;
    int64_t n;
    int rank, iterations;
    bool converged, separation;
};

// Maximum likelihood by iteratively reweighted least squares, as R's glm.fit
// does (same start, link thresholds, deviance convergence test 1e-8, at most
// max_iter iterations). `x` is n × p row-major without the intercept column.
// Separation (fitted probabilities within 10 ε of 0 or 1) is reported, and
// the iterations stop instead of diverging.
LogisticFit logreg(const double* x, const bool* y, int64_t n, int p, bool intercept, int max_iter = 25);

// Welford moments of one sample, mergeable.
struct Sample {
    double n = 0, mean = 0, m2 = 0;
    void add(double v) noexcept;
    void merge(const Sample& other) noexcept;
};

struct TTest {
    double t, df, p_value, mean_treatment, mean_control, difference, ci_low, ci_high;
};

// Two-sided two-sample t-test of treatment − control: Welch's, or Student's
// with equal_var; the confidence interval at `level` (0.95 = 95%).
TTest ttest(const Sample& treatment, const Sample& control, bool equal_var, double level = 0.95);

struct PropTest {
    double p_treatment, p_control, difference, ci_low, ci_high, z, p_value, lift, lift_ci_low, lift_ci_high;
};

// Two-proportion z-test (pooled variance; R's prop.test without continuity
// correction): the difference with its Wald interval, and the relative lift
// p_t / p_c − 1 with the Katz log interval.
PropTest prop_test(int64_t converted_treatment, int64_t n_treatment, int64_t converted_control, int64_t n_control,
                   double level = 0.95);

}  // namespace pgcrm::statistics
