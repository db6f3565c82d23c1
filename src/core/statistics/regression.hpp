// Linear and logistic regression with R's conventions: aliased (linearly
// dependent) columns are found in column order, as lm's and glm's pivoted QR
// does, and get NaN, which the glue returns as NULL. Both solve their least
// squares from double-double cross-products (least_squares.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "least_squares.hpp"

namespace pgcrm::statistics {

// The default rank tolerances. lm's 1e-7 is set for arithmetic in double; it
// drops a column that is determined to 7 digits, such as x¹⁰ of NIST's Filip
// (its reduced norm is 5e-8 of its own). Double-double cross-products resolve
// far below that, while exactly aliased columns stay below 1e-13
// (test/unit/statistics_test.cpp), so linreg's default is 1e-10.
inline constexpr double linreg_tolerance = 1e-10;
// glm.fit's: min(1e-7, epsilon / 1000) with epsilon = 1e-8.
inline constexpr double logreg_tolerance = 1e-11;

// The estimates' covariance matrix, total × total row-major; NaN in the rows
// and columns of aliased terms.
using Covariance = std::vector<double>;

struct Fit {
    std::vector<double> coefficients, std_errors, t_values, p_values;  // NaN where aliased or undefined
    Covariance covariance;                                             // as R's vcov
    double r_squared, adj_r_squared, f_statistic, f_p_value, sigma;    // NaN where undefined
    int64_t n;
    int rank, df_residual;
};

// The least-squares fit of y on x from the cross-products of the rows
// (x₁…x_p, y); the intercept, if any, comes first.
Fit linreg(const CrossProducts& rows, bool intercept, double tolerance = linreg_tolerance);

struct LogisticFit {
    std::vector<double> coefficients, std_errors, z_values, p_values;
    Covariance covariance;
    // exp(b) and its 95% Wald interval exp(b ∓ z·se), as exp(confint.default(m)).
    std::vector<double> odds_ratios, odds_ratio_low, odds_ratio_high;
    double log_likelihood, aic, deviance, null_deviance;
    int64_t n;
    int rank, iterations;
    bool converged, separation;
};

// Maximum likelihood by iteratively reweighted least squares, as R's glm.fit
// does (same start, link thresholds, deviance convergence test 1e-8, at most
// max_iter iterations, rank tolerance). `x` is n × p row-major without the
// intercept column. Separation (fitted probabilities within 10 ε of 0 or 1)
// is reported, and the iterations stop instead of diverging.
LogisticFit logreg(const double* x, const bool* y, int64_t n, int p, bool intercept,
                   double tolerance = logreg_tolerance, int max_iter = 25);

// Heteroskedasticity-consistent covariance of a linear fit, as
// sandwich::vcovHC: (XᵀX)⁻¹ (Σ ωᵢ xᵢxᵢᵀ) (XᵀX)⁻¹ over the kept columns, with
// ωᵢ = eᵢ² (HC0), eᵢ²·n/(n − k) (HC1), eᵢ²/(1 − hᵢ) (HC2), eᵢ²/(1 − hᵢ)²
// (HC3), eᵢ the residual, hᵢ = xᵢᵀ(XᵀX)⁻¹xᵢ the leverage and k the rank.
// The leverages need the fitted model, so this is a second pass over the
// data, as mergeable as the first.
enum class HcType : int { hc0 = 0, hc1 = 1, hc2 = 2, hc3 = 3 };

// The second pass's state in one flat array of doubles, [n, the kept columns
// (k), their coefficients (k), (XᵀX)⁻¹ (k × k), Σ ωᵢ xᵢxᵢᵀ (k × k)]; the
// columns count the intercept as 0 when there is one.
struct Sandwich {
    static int64_t size(int k) { return 1 + 2 * static_cast<int64_t>(k) + 2 * static_cast<int64_t>(k) * k; }
    double* data;
    int k;
    bool intercept;
    HcType type;
    double& n() const { return data[0]; }
    // From a fitted model: its `total` coefficients (NaN where aliased) and
    // their covariance (total × total) with the residual standard error it was
    // scaled by.
    void start(const double* coefficients, int total, const double* covariance, double sigma) const;
    // Whether the state was started from these coefficients, or the same model as other's.
    bool uses(const double* coefficients, int total) const noexcept;
    bool same_model(const Sandwich& other) const noexcept;
    void add(const double* x, double y) const noexcept;  // x: the p values of one row
    void merge(const Sandwich& from) const noexcept;
};

struct RobustFit {
    std::vector<double> std_errors, t_values, p_values;  // t with the fit's residual degrees of freedom
    Covariance covariance;
};

// `total` is the number of terms of the model (p, plus 1 with an intercept).
RobustFit robust(const Sandwich& s, int total);

}  // namespace pgcrm::statistics
