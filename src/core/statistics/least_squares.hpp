// Least squares with QR-grade accuracy that still merges across parallel
// workers and nodes. The state is the cross-products Σ v vᵀ and sums Σ v of
// the rows v, each product formed exactly and each sum compensated, in
// double-double (about 32 digits); the solve factors them in double-double
// too. Squaring the condition number, which makes normal equations in double
// lose half the digits, then costs nothing that a double result can show:
// on the NIST StRD problems this is as accurate as the data, as doubles,
// allow (docs/statistics.md), where Householder QR in double (R's lm) gets as
// few as 5.5 digits. Merging adds the sums, so a parallel fit equals a serial
// one to about 30 digits.
#pragma once

#include <cstdint>
#include <vector>

#include "core/eigen.hpp"
#include "double_double.hpp"

namespace pgcrm::statistics {

// The most x values a row may have (the state holds about (p + 1)² doubles:
// 1000 features is 8 MB a group).
inline constexpr int max_features = 1000;
// The most values a row of cross-products may have: the features, a column of
// ones and the response.
inline constexpr int max_columns = max_features + 2;

// The cross-products of rows of q values in one flat array of doubles, which
// the glue keeps as an aggregate state: [n, Σv (hi q, lo q), Σ vⱼvₖ for j ≤ k
// (hi T, lo T)], T = q(q + 1)/2, the pairs packed row by row.
struct CrossProducts {
    static int64_t size(int q) { return 1 + 2 * static_cast<int64_t>(q) + static_cast<int64_t>(q) * (q + 1); }
    double* data;
    int q;
    double& n() const { return data[0]; }
    void add(const double* v) const noexcept;
    void merge(const CrossProducts& from) const noexcept;
    DoubleDouble sum(int j) const;
    DoubleDouble product(int j, int k) const;  // either order
};

// The solution of min ‖y − Xb‖ from the Gram matrix of [X y].
struct Solution {
    std::vector<int> kept;     // the columns of X used, in order; the others are aliased
    std::vector<double> beta;  // one per kept column
    Eigen::MatrixXd unscaled;  // (XᵀX)⁻¹ over the kept columns
    DoubleDouble rss;          // the residual sum of squares
};

// `gram` is the (m + 1) × (m + 1) symmetric matrix [X y]ᵀ[X y], row-major,
// the response last. Columns are taken in order and one is aliased, as in R's
// dqrdc2, when its norm after projecting out the kept columns before it is
// below `tolerance` times its own norm.
Solution solve(const std::vector<DoubleDouble>& gram, int m, double tolerance);

}  // namespace pgcrm::statistics
