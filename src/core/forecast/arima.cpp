#include "arima.hpp"

#include "core/eigen.hpp"  // first: Eigen's assertions must throw

#include <unsupported/Eigen/NonLinearOptimization>
#include <unsupported/Eigen/NumericalDiff>
#include <unsupported/Eigen/Polynomials>

#include <algorithm>
#include <cmath>
#include <complex>
#include <functional>
#include <regex>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "stl.hpp"
#include "timeseries.hpp"

namespace pgcrm::arima {

namespace {

using Vector = Eigen::VectorXd;
using Matrix = Eigen::MatrixXd;

bool differenced_constant(const Order& o) { return o.constant && o.d + o.D == 1; }

// The regressor of the constant at time t (0-based): 1 for a mean, t + 1 for a drift.
double regressor(const Order& o, int t) { return differenced_constant(o) ? t + 1.0 : 1.0; }

// The full AR and MA polynomials (R's ARIMA_transPars without transforming):
// φ(B)Φ(B^m) and θ(B)Θ(B^m), coefficients of B^1 onwards; AR with R's signs
// (y_t = Σ φ_i y_{t−i} + …), MA with a plus.
struct Polynomials {
    std::vector<double> phi, theta;
};

Polynomials expand(const Order& o, const double* c) {
    const int m = o.m;
    Polynomials poly;
    poly.phi.assign(o.p + m * o.P, 0.0);
    poly.theta.assign(o.q + m * o.Q, 0.0);
    for (int i = 0; i < o.p; ++i) poly.phi[i] = c[i];
    for (int i = 0; i < o.q; ++i) poly.theta[i] = c[o.p + i];
    for (int j = 0; j < o.P; ++j) {
        const double s = c[o.p + o.q + j];
        poly.phi[(j + 1) * m - 1] += s;
        for (int i = 0; i < o.p; ++i) poly.phi[(j + 1) * m + i] -= c[i] * s;
    }
    for (int j = 0; j < o.Q; ++j) {
        const double s = c[o.p + o.q + o.P + j];
        poly.theta[(j + 1) * m - 1] += s;
        for (int i = 0; i < o.q; ++i) poly.theta[(j + 1) * m + i] += c[o.p + i] * s;
    }
    return poly;
}

// Partial autocorrelations in (−1, 1) ↔ stationary AR coefficients, by the
// Durbin–Levinson recursion (Jones 1980; R's partrans and invpartrans), the
// pacf written as tanh of the unconstrained parameter.
void to_ar(const double* raw, double* ar, int p) {
    std::vector<double> work(p);
    for (int j = 0; j < p; ++j) work[j] = ar[j] = std::tanh(raw[j]);
    for (int j = 1; j < p; ++j) {
        const double a = ar[j];
        for (int k = 0; k < j; ++k) work[k] -= a * ar[j - k - 1];
        for (int k = 0; k < j; ++k) ar[k] = work[k];
    }
}

void from_ar(const double* ar, double* raw, int p) {
    std::vector<double> work(ar, ar + p), cur(ar, ar + p);
    for (int j = p - 1; j > 0; --j) {
        const double a = cur[j];
        for (int k = 0; k < j; ++k) work[k] = (cur[k] + a * cur[j - k - 1]) / (1 - a * a);
        for (int k = 0; k < j; ++k) cur[k] = work[k];
    }
    for (int j = 0; j < p; ++j) raw[j] = std::atanh(cur[j]);
}

// Roots of 1 + c_1 z + … + c_k z^k (trailing zeros dropped); empty for k = 0.
std::vector<std::complex<double>> roots(std::vector<double> c) {
    while (!c.empty() && std::fabs(c.back()) < 1e-12) c.pop_back();
    if (c.empty()) return {};
    Eigen::VectorXd poly(c.size() + 1);
    poly[0] = 1;
    for (size_t i = 0; i < c.size(); ++i) poly[i + 1] = c[i];
    Eigen::PolynomialSolver<double, Eigen::Dynamic> solver(poly);
    const auto& r = solver.roots();
    return std::vector<std::complex<double>>(r.data(), r.data() + r.size());
}

double min_modulus(const std::vector<double>& c) {
    double least = INFINITY;
    for (const auto& z : roots(c)) least = std::min(least, std::abs(z));
    return least;
}

// 1 − Σ ar_i z^i has every root outside the unit circle (R's arCheck).
bool stationary(const double* ar, int p) {
    std::vector<double> c(p);
    for (int i = 0; i < p; ++i) c[i] = -ar[i];
    return min_modulus(c) > 1;
}

// The invertible MA polynomial with the same autocovariances: roots inside
// the unit circle replaced by their inverses (R's maInvert).
void invert_ma(double* ma, int q) {
    std::vector<double> c(ma, ma + q);
    auto r = roots(c);
    if (std::none_of(r.begin(), r.end(), [](auto z) { return std::abs(z) < 1; })) return;
    int q0 = q;
    while (q0 > 0 && ma[q0 - 1] == 0) --q0;
    if (q0 == 1) {
        ma[0] = 1 / ma[0];
        return;
    }
    std::vector<std::complex<double>> poly{1.0};
    for (auto z : r) {
        if (std::abs(z) < 1) z = 1.0 / z;
        std::vector<std::complex<double>> next(poly.size() + 1, 0.0);
        for (size_t i = 0; i < poly.size(); ++i) {
            next[i] += poly[i];
            next[i + 1] -= poly[i] / z;
        }
        poly = std::move(next);
    }
    for (int i = 0; i < q; ++i) ma[i] = i + 1 < static_cast<int>(poly.size()) ? poly[i + 1].real() : 0.0;
}

// The differencing polynomial (1 − B)^d (1 − B^m)^D as y_t = Σ δ_i y_{t−i} + w_t.
std::vector<double> delta(const Order& o) {
    std::vector<double> poly{1.0};
    auto times = [&](int lag) {
        std::vector<double> next(poly.size() + lag, 0.0);
        for (size_t i = 0; i < poly.size(); ++i) {
            next[i] += poly[i];
            next[i + lag] -= poly[i];
        }
        poly = std::move(next);
    };
    for (int i = 0; i < o.d; ++i) times(1);
    for (int i = 0; i < o.D; ++i) times(o.m);
    std::vector<double> out(poly.size() - 1);
    for (size_t i = 1; i < poly.size(); ++i) out[i - 1] = -poly[i];
    return out;
}

std::vector<double> difference(const std::vector<double>& z, const std::vector<double>& dlt) {
    const int k = static_cast<int>(dlt.size()), n = static_cast<int>(z.size());
    std::vector<double> w(std::max(n - k, 0));
    for (int t = k; t < n; ++t) {
        double v = z[t];
        for (int i = 0; i < k; ++i) v -= dlt[i] * z[t - 1 - i];
        w[t - k] = v;
    }
    return w;
}

// Harvey's state-space form of an ARMA(p', q') process w: r = max(p', q'+1)
// states, x_t = T x_{t−1} + R e_t, w_t = x_t[0], with T the companion matrix
// of φ (first column) and R = (1, θ_1, …, θ_{r−1}).
struct StateSpace {
    int r;
    std::vector<double> phi, R;  // both of length r
};

StateSpace state_space(const Polynomials& poly) {
    StateSpace ss;
    ss.r = std::max(static_cast<int>(poly.phi.size()), static_cast<int>(poly.theta.size()) + 1);
    ss.phi.assign(ss.r, 0.0);
    std::copy(poly.phi.begin(), poly.phi.end(), ss.phi.begin());
    ss.R.assign(ss.r, 0.0);
    ss.R[0] = 1;
    std::copy(poly.theta.begin(), poly.theta.end(), ss.R.begin() + 1);
    return ss;
}

// True when φ(B) is stationary: the Durbin–Levinson recursion run backwards
// gives partial autocorrelations all inside (−1, 1).
bool stationary_polynomial(const std::vector<double>& phi) {
    std::vector<double> cur = phi, work(phi.size());
    for (int j = static_cast<int>(phi.size()) - 1; j >= 0; --j) {
        const double a = cur[j];
        if (!(std::fabs(a) < 1)) return false;
        for (int k = 0; k < j; ++k) work[k] = (cur[k] + a * cur[j - k - 1]) / (1 - a * a);
        for (int k = 0; k < j; ++k) cur[k] = work[k];
    }
    return true;
}

// The stationary covariance of the state, P = T P T′ + R R′ (unit innovation
// variance), from the process's autocovariances γ and ψ weights
// (Brockwell & Davis 1991, §3.3): the first row is
// P[0][j] = Σ_{k≥j} φ_{k+1} γ(k−j+1) + θ_k ψ_{k−j}, and the equation itself
// gives P[i][j] from P[i+1][j+1]. False when the AR part is not stationary.
bool stationary_covariance(const StateSpace& ss, const Polynomials& poly, Matrix& P) {
    const int r = ss.r, p = static_cast<int>(poly.phi.size());
    if (!stationary_polynomial(poly.phi)) return false;
    std::vector<double> psi(r + 1, 0.0), c(r + 1, 0.0), gamma(r + 1, 0.0);
    for (int j = 0; j <= r; ++j) {
        double v = j < r ? ss.R[j] : 0.0;
        for (int i = 1; i <= std::min(j, p); ++i) v += poly.phi[i - 1] * psi[j - i];
        psi[j] = v;
    }
    for (int k = 0; k <= r; ++k)
        for (int j = k; j < r; ++j) c[k] += ss.R[j] * psi[j - k];
    if (p > 0) {
        Matrix A = Matrix::Identity(p + 1, p + 1);
        for (int k = 0; k <= p; ++k)
            for (int i = 1; i <= p; ++i) A(k, std::abs(k - i)) -= poly.phi[i - 1];
        const Vector g = A.partialPivLu().solve(Eigen::Map<const Vector>(c.data(), p + 1));
        for (int k = 0; k <= p && k <= r; ++k) gamma[k] = g[k];
    }
    for (int k = p + 1; k <= r; ++k) {
        double v = c[k];
        for (int i = 1; i <= p; ++i) v += poly.phi[i - 1] * gamma[k - i];
        gamma[k] = v;
    }
    P.resize(r, r);
    for (int j = 0; j < r; ++j) {
        double v = 0;
        for (int k = j; k < r; ++k) v += ss.phi[k] * gamma[k - j + 1] + ss.R[k] * psi[k - j];
        P(0, j) = P(j, 0) = v;
    }
    for (int i = r - 1; i >= 1; --i)
        for (int j = r - 1; j >= i; --j) {
            double v = ss.phi[i] * ss.phi[j] * P(0, 0) + ss.R[i] * ss.R[j];
            if (j + 1 < r) v += ss.phi[i] * P(0, j + 1);
            if (i + 1 < r) v += ss.phi[j] * P(i + 1, 0);
            if (i + 1 < r && j + 1 < r) v += P(i + 1, j + 1);
            P(i, j) = P(j, i) = v;
        }
    return P.allFinite();
}

struct Filtered {
    double ssq = 0, sumlog = 0;
    int nu = 0;
    std::vector<double> innovations;  // v_t / √F_t, one per observation filtered
    std::vector<bool> counted;        // whether each is in the likelihood
    Vector state;
    Matrix cov;
};

// The stationary covariance of the ARMA state; false when there is none.
bool initial_covariance(const StateSpace& ss, const Polynomials& poly, Matrix& P) {
    P.resize(ss.r, ss.r);
    if (ss.r == 1) {
        if (!poly.phi.empty() && !(std::fabs(poly.phi[0]) < 1)) return false;
        P(0, 0) = poly.phi.empty() ? 1.0 : 1 / (1 - poly.phi[0] * poly.phi[0]);
    } else if (!stationary_covariance(ss, poly, P)) return false;
    return P(0, 0) > 0 && std::isfinite(P(0, 0));
}

// The exact likelihood of the differenced series w, a stationary ARMA: the
// Kalman filter from the stationary distribution. Once the state covariance
// has vanished (the AR and MA parts are then known exactly), the filter is
// the plain ARMA recursion with F = 1. Used to rank models in the search.
bool kalman(const std::vector<double>& w, const Polynomials& poly, Filtered& f) {
    const StateSpace ss = state_space(poly);
    const int r = ss.r, n = static_cast<int>(w.size());
    Matrix P0;
    if (!initial_covariance(ss, poly, P0)) return false;
    // Plain arrays, column-major, symmetric: this loop is most of a search's time.
    std::vector<double> P(P0.data(), P0.data() + r * r), TP(r * r), a(r, 0.0), anew(r), M(r);
    const double* phi = ss.phi.data();
    const double* R = ss.R.data();
    f.ssq = f.sumlog = 0;
    f.nu = 0;
    f.innovations.resize(n);
    bool steady = false;
    for (int t = 0; t < n; ++t) {
        for (int i = 0; i < r; ++i) anew[i] = phi[i] * a[0] + (i + 1 < r ? a[i + 1] : 0.0);
        const double v = w[t] - anew[0];
        if (!std::isfinite(v)) return false;
        ++f.nu;
        if (steady) {
            f.ssq += v * v;
            f.innovations[t] = v;
            for (int i = 0; i < r; ++i) a[i] = anew[i] + R[i] * v;
            continue;
        }
        if (t > 0) {
            // P ← T P T′ + R R′ for the companion T: TP = T·P, then TP·T′.
            for (int j = 0; j < r; ++j)
                for (int i = 0; i < r; ++i) TP[i + r * j] = phi[i] * P[r * j] + (i + 1 < r ? P[i + 1 + r * j] : 0.0);
            for (int j = 0; j < r; ++j)
                for (int i = j; i < r; ++i) {
                    const double v2 = phi[j] * TP[i] + (j + 1 < r ? TP[i + r * (j + 1)] : 0.0) + R[i] * R[j];
                    P[i + r * j] = P[j + r * i] = v2;
                }
        }
        const double F = P[0];
        if (!(F > 0)) return false;
        for (int i = 0; i < r; ++i) M[i] = P[i];
        f.ssq += v * v / F;
        f.sumlog += std::log(F);
        f.innovations[t] = v / std::sqrt(F);
        double largest = 0;
        for (int i = 0; i < r; ++i) a[i] = anew[i] + M[i] * (v / F);
        for (int j = 0; j < r; ++j)
            for (int i = j; i < r; ++i) {
                const double v2 = P[i + r * j] - M[i] * M[j] / F;
                P[i + r * j] = P[j + r * i] = v2;
                largest = std::max(largest, std::fabs(v2));
            }
        steady = largest < 1e-13;
    }
    return std::isfinite(f.ssq) && std::isfinite(f.sumlog);
}

// R's formulation (stats::arima): the undifferenced series z with the
// differencing in the state, whose last nd states get the diffuse prior
// variance κ = 10⁶; observations whose one-step variance is still above 10⁴
// are left out of the likelihood. Its likelihood differs from the exact one
// of the differenced series by O(z² / (κ σ²)), which is why the final fit
// uses it: the numbers are then R's.
bool kalman_diffuse(const std::vector<double>& z, const Polynomials& poly, const std::vector<double>& dlt, Filtered& f) {
    constexpr double kappa = 1e6;
    const StateSpace ss = state_space(poly);
    const int r = ss.r, nd = static_cast<int>(dlt.size()), rd = r + nd, n = static_cast<int>(z.size());
    Matrix Q0;
    if (!initial_covariance(ss, poly, Q0)) return false;
    std::vector<double> P(rd * rd, 0.0), mm(rd * rd), a(rd, 0.0), anew(rd), M(rd);
    for (int j = 0; j < r; ++j)
        for (int i = 0; i < r; ++i) P[i + rd * j] = Q0(i, j);
    for (int i = 0; i < nd; ++i) P[(r + i) * (rd + 1)] = kappa;
    const double* phi = ss.phi.data();
    const double* R = ss.R.data();
    f.ssq = f.sumlog = 0;
    f.nu = 0;
    f.innovations.resize(n);
    f.counted.assign(n, false);
    for (int t = 0; t < n; ++t) {
        for (int i = 0; i < rd; ++i) {
            if (i < r) anew[i] = phi[i] * a[0] + (i + 1 < r ? a[i + 1] : 0.0);
            else if (i == r) {
                double v = a[0];
                for (int k = 0; k < nd; ++k) v += dlt[k] * a[r + k];
                anew[i] = v;
            } else anew[i] = a[i - 1];
        }
        if (t > 0) {
            // mm = T P, then P = mm T′ + R R′, for the companion-plus-differencing T.
            for (int j = 0; j < rd; ++j) {
                const double* col = &P[rd * j];
                for (int i = 0; i < rd; ++i) {
                    double v;
                    if (i < r) v = phi[i] * col[0] + (i + 1 < r ? col[i + 1] : 0.0);
                    else if (i == r) {
                        v = col[0];
                        for (int k = 0; k < nd; ++k) v += dlt[k] * col[r + k];
                    } else v = col[i - 1];
                    mm[i + rd * j] = v;
                }
            }
            for (int i = 0; i < rd; ++i)
                for (int j = i; j < rd; ++j) {
                    double v;
                    if (j < r) v = phi[j] * mm[i] + (j + 1 < r ? mm[i + rd * (j + 1)] : 0.0);
                    else if (j == r) {
                        v = mm[i];
                        for (int k = 0; k < nd; ++k) v += dlt[k] * mm[i + rd * (r + k)];
                    } else v = mm[i + rd * (j - 1)];
                    if (i < r && j < r) v += R[i] * R[j];
                    P[i + rd * j] = P[j + rd * i] = v;
                }
        }
        double resid = z[t] - anew[0];
        for (int i = 0; i < nd; ++i) resid -= dlt[i] * anew[r + i];
        for (int i = 0; i < rd; ++i) {
            double v = P[i];
            for (int j = 0; j < nd; ++j) v += P[i + rd * (r + j)] * dlt[j];
            M[i] = v;
        }
        double gain = M[0];
        for (int j = 0; j < nd; ++j) gain += dlt[j] * M[r + j];
        if (!(gain > 0) || !std::isfinite(resid)) return false;
        if (gain < 1e4) {
            ++f.nu;
            f.ssq += resid * resid / gain;
            f.sumlog += std::log(gain);
            f.counted[t] = true;
        }
        f.innovations[t] = resid / std::sqrt(gain);
        for (int i = 0; i < rd; ++i) a[i] = anew[i] + M[i] * resid / gain;
        for (int j = 0; j < rd; ++j)
            for (int i = j; i < rd; ++i) P[i + rd * j] = P[j + rd * i] = P[i + rd * j] - M[i] * M[j] / gain;
    }
    f.state = Eigen::Map<const Vector>(a.data(), rd);
    f.cov = Eigen::Map<const Matrix>(P.data(), rd, rd);
    return f.nu > 0 && std::isfinite(f.ssq) && std::isfinite(f.sumlog);
}

// The series less its mean or drift.
std::vector<double> centred(const std::vector<double>& y, const Order& o, const double* coef) {
    std::vector<double> z = y;
    if (o.constant) {
        const double beta = coef[o.p + o.q + o.P + o.Q];
        for (size_t t = 0; t < z.size(); ++t) z[t] -= beta * regressor(o, static_cast<int>(t));
    }
    return z;
}

// R's conditional sum of squares: residuals from ncond = d + D·m + p + P·m on,
// earlier MA terms taken as zero.
double css_residuals(const std::vector<double>& y, const Order& o, const double* coef, double* out) {
    const std::vector<double> z = centred(y, o, coef);
    const std::vector<double> dlt = delta(o);
    const int n = static_cast<int>(z.size()), nd = static_cast<int>(dlt.size());
    const Polynomials poly = expand(o, coef);
    const int p = static_cast<int>(poly.phi.size()), q = static_cast<int>(poly.theta.size());
    const int ncond = nd + p;
    std::vector<double> w(n, 0.0), e(n, 0.0);
    for (int t = nd; t < n; ++t) {
        double v = z[t];
        for (int i = 0; i < nd; ++i) v -= dlt[i] * z[t - 1 - i];
        w[t] = v;
    }
    double ssq = 0;
    for (int t = ncond; t < n; ++t) {
        double v = w[t];
        for (int j = 0; j < p; ++j) v -= poly.phi[j] * w[t - j - 1];
        for (int j = 0; j < std::min(t - ncond, q); ++j) v -= poly.theta[j] * e[t - j - 1];
        e[t] = v;
        ssq += v * v;
        if (out) out[t - ncond] = v;
    }
    return ssq;
}

int css_count(const std::vector<double>& y, const Order& o) {
    return static_cast<int>(y.size()) - static_cast<int>(delta(o).size()) - (o.p + o.m * o.P);
}

// Levenberg–Marquardt on a vector of residuals (Eigen's MINPACK port).
struct Squares {
    using Scalar = double;
    using InputType = Vector;
    using ValueType = Vector;
    using JacobianType = Matrix;
    enum { InputsAtCompileTime = Eigen::Dynamic, ValuesAtCompileTime = Eigen::Dynamic };
    int n_inputs, n_values;
    std::function<bool(const Vector&, Vector&)> residuals;
    int inputs() const { return n_inputs; }
    int values() const { return n_values; }
    int operator()(const Vector& x, Vector& r) const {
        check_interrupts();
        if (!residuals(x, r) || !r.allFinite()) r.setConstant(1e20);  // a wall: the step is rejected
        return 0;
    }
};

Vector least_squares(const Vector& start, int values, std::function<bool(const Vector&, Vector&)> residuals) {
    if (start.size() == 0) return start;
    Squares f{static_cast<int>(start.size()), std::max(values, static_cast<int>(start.size())), std::move(residuals)};
    Eigen::NumericalDiff<Squares> numeric(f);
    Eigen::LevenbergMarquardt<Eigen::NumericalDiff<Squares>> lm(numeric);
    lm.parameters.maxfev = 100 * (static_cast<int>(start.size()) + 1);
    Vector x = start;
    lm.minimize(x);
    return x.allFinite() ? x : start;
}

// The optimiser's coefficients ↔ the model's: the AR parts through their
// partial autocorrelations (R's transform.pars), MA and constant as they are.
std::vector<double> untransform(const Order& o, const Vector& x) {
    std::vector<double> c(x.data(), x.data() + x.size());
    if (o.p > 0) to_ar(x.data(), c.data(), o.p);
    if (o.P > 0) to_ar(x.data() + o.p + o.q, c.data() + o.p + o.q, o.P);
    return c;
}

Vector transform(const Order& o, const std::vector<double>& c) {
    Vector x = Eigen::Map<const Vector>(c.data(), c.size());
    if (o.p > 0) from_ar(c.data(), x.data(), o.p);
    if (o.P > 0) from_ar(c.data() + o.p + o.q, x.data() + o.p + o.q, o.P);
    return x;
}

// The likelihood's pieces at coefficients c, R's formulation or the fast one.
bool exact(const std::vector<double>& y, const Order& o, const std::vector<double>& c, Filtered& f, bool diffuse) {
    const std::vector<double> z = centred(y, o, c.data());
    if (diffuse) return kalman_diffuse(z, expand(o, c.data()), delta(o), f);
    return kalman(difference(z, delta(o)), expand(o, c.data()), f);
}

// R's log-likelihood: n.used = nobs values, the criterion from the nu counted.
double loglik_of(const Filtered& f, int nobs) {
    const double value = 0.5 * (std::log(f.ssq / f.nu) + f.sumlog / f.nu);
    return -0.5 * (2 * nobs * value + nobs + nobs * std::log(2 * M_PI));
}

// Starting values of the constant: least squares on the differenced series (R).
double initial_constant(const std::vector<double>& y, const Order& o) {
    const std::vector<double> dlt = delta(o);
    std::vector<double> x(y.size());
    for (size_t t = 0; t < y.size(); ++t) x[t] = regressor(o, static_cast<int>(t));
    const std::vector<double> dy = difference(y, dlt), dx = difference(x, dlt);
    double sxy = 0, sxx = 0;
    for (size_t t = 0; t < dy.size(); ++t) {
        sxy += dx[t] * dy[t];
        sxx += dx[t] * dx[t];
    }
    return sxx > 0 ? sxy / sxx : 0.0;
}

void require_data(const std::vector<double>& y, const Order& o) {
    const int n = static_cast<int>(y.size());
    const int needed = o.d + o.D * o.m + o.coefficients() + 2;
    if (n < needed)
        throw Error(sqlstate::insufficient_data,
                    name(o) + " needs at least " + std::to_string(needed) + " values; the series has " +
                        std::to_string(n),
                    "Use method 'auto' or 'arima', which choose a model the data can support.");
}

}  // namespace

std::string name(const Order& o) {
    std::string s = "ARIMA(" + std::to_string(o.p) + "," + std::to_string(o.d) + "," + std::to_string(o.q) + ")";
    if (o.m > 1 && (o.P + o.D + o.Q) > 0)
        s += "(" + std::to_string(o.P) + "," + std::to_string(o.D) + "," + std::to_string(o.Q) + ")[" +
             std::to_string(o.m) + "]";
    if (o.constant && o.d + o.D == 0) s += " with non-zero mean";
    else if (o.constant && o.d + o.D == 1) s += " with drift";
    else if (o.d + o.D == 0) s += " with zero mean";
    return s;
}

bool parse(const std::string& text, Order& order) {
    static const std::regex pattern(
        R"(^\s*(?:arima|ARIMA)\s*\(\s*(\d)\s*,\s*(\d)\s*,\s*(\d)\s*\)(?:\s*\(\s*(\d)\s*,\s*(\d)\s*,\s*(\d)\s*\)(?:\[\d+\])?)?\s*(with drift|with mean|with non-zero mean|with zero mean)?\s*$)");
    std::smatch m;
    if (!std::regex_match(text, m, pattern)) return false;
    Order o;
    o.p = std::stoi(m[1]);
    o.d = std::stoi(m[2]);
    o.q = std::stoi(m[3]);
    if (m[4].matched) {
        o.P = std::stoi(m[4]);
        o.D = std::stoi(m[5]);
        o.Q = std::stoi(m[6]);
    }
    const std::string with = m[7].matched ? m[7].str() : "";
    o.constant = with == "with drift" || with == "with mean" || with == "with non-zero mean";
    if (o.d > 2 || o.D > 1) return false;
    order = o;
    return true;
}

double loglik(const std::vector<double>& y, const Order& o, const std::vector<double>& coef) {
    if (static_cast<int>(coef.size()) != o.coefficients())
        throw Error(sqlstate::invalid_parameter_value,
                    name(o) + " has " + std::to_string(o.coefficients()) + " coefficients; got " +
                        std::to_string(coef.size()));
    Filtered f;
    return exact(y, o, coef, f, true) ? loglik_of(f, static_cast<int>(y.size()) - o.d - o.D * o.m) : NAN;
}

namespace {

void summarise(const std::vector<double>& y, Model& model, bool diffuse);

// One fit; `diffuse` picks R's likelihood, otherwise the fast exact one of
// the differenced series (the search's, whose models need no forecasts).
Model fit_model(const std::vector<double>& y, const Order& given, Method method, bool diffuse,
                const std::vector<double>* start = nullptr) {
    Order o = given;
    if (o.m < 2) o.m = 1, o.P = o.D = o.Q = 0;
    if (o.d + o.D > 1) o.constant = false;  // R fits no constant with two differences
    require_data(y, o);
    const int k = o.coefficients();
    std::vector<double> coef(k, 0.0);
    if (o.constant) coef[k - 1] = initial_constant(y, o);

    Model model;
    model.order = o;
    model.method = method;
    const int n = static_cast<int>(y.size());
    model.nobs = n - o.d - o.D * o.m;
    const int ncss = css_count(y, o);
    if (ncss < 1)
        throw Error(sqlstate::insufficient_data, name(o) + " leaves no values for the conditional sum of squares");
    if (start) coef = *start;
    else if (method != Method::ml && k > 0) {
        const Vector x = least_squares(Eigen::Map<const Vector>(coef.data(), k), ncss, [&](const Vector& c, Vector& r) {
            css_residuals(y, o, c.data(), r.data());
            for (int i = ncss; i < r.size(); ++i) r[i] = 0;
            return true;
        });
        coef.assign(x.data(), x.data() + k);
    }
    if (method == Method::css) {
        std::vector<double> e(std::max(ncss, 1));
        model.coef = coef;
        model.css_sigma2 = css_residuals(y, o, coef.data(), e.data()) / ncss;
        model.loglik = NAN;
        const int offset = n - ncss;
        model.residuals.assign(n, NAN);
        for (int t = 0; t < ncss; ++t) model.residuals[offset + t] = e[t];
    } else {
        if ((o.p > 0 && !stationary(coef.data(), o.p)) || (o.P > 0 && !stationary(coef.data() + o.p + o.q, o.P)))
            throw Error(sqlstate::invalid_parameter_value,
                        name(o) + ": the conditional-sum-of-squares fit has a non-stationary AR part",
                        "Difference the series (a higher d or D), or use method 'arima' to choose the orders.");
        if (o.q > 0) invert_ma(coef.data() + o.p, o.q);
        if (o.Q > 0) invert_ma(coef.data() + o.p + o.q + o.P, o.Q);
        const int nw = diffuse ? n : model.nobs;
        const Vector x = least_squares(transform(o, coef), nw, [&](const Vector& t, Vector& r) {
            Filtered f;
            if (!exact(y, o, untransform(o, t), f, diffuse)) return false;
            const double scale = std::exp(f.sumlog / (2 * f.nu));
            for (int i = 0; i < nw; ++i) r[i] = diffuse && !f.counted[i] ? 0.0 : f.innovations[i] * scale;
            for (int i = nw; i < r.size(); ++i) r[i] = 0;
            return true;
        });
        coef = untransform(o, x);
        if (o.q > 0) invert_ma(coef.data() + o.p, o.q);
        if (o.Q > 0) invert_ma(coef.data() + o.p + o.q + o.P, o.Q);
        model.coef = coef;
    }
    summarise(y, model, diffuse);
    return model;
}

}  // namespace

Model fit(const std::vector<double>& y, const Order& order, Method method) {
    return fit_model(y, order, method, true);
}

Model evaluate(const std::vector<double>& y, const Order& order, const std::vector<double>& coef) {
    Model model;
    model.order = order;
    model.coef = coef;
    model.nobs = static_cast<int>(y.size()) - order.d - order.D * order.m;
    if (static_cast<int>(coef.size()) != order.coefficients())
        throw Error(sqlstate::invalid_parameter_value,
                    name(order) + " has " + std::to_string(order.coefficients()) + " coefficients; got " +
                        std::to_string(coef.size()));
    summarise(y, model, true);
    return model;
}

namespace {

// Likelihood, criteria, residuals and the final state of a model whose
// coefficients are set (the CSS sums are already in place for CSS fits).
void summarise(const std::vector<double>& y, Model& model, bool diffuse) {
    const Order& o = model.order;
    const Method method = model.method;
    const int n = static_cast<int>(y.size()), k = o.coefficients();
    Filtered f;
    if (method != Method::css) {
        if (!exact(y, o, model.coef, f, diffuse))
            throw Error(sqlstate::invalid_parameter_value,
                        name(o) + " could not be fitted: its AR part is not stationary");
        model.loglik = loglik_of(f, model.nobs);
        model.residuals.assign(n, NAN);
        std::copy(f.innovations.begin(), f.innovations.end(), model.residuals.end() - f.innovations.size());
        model.state.assign(f.state.data(), f.state.data() + f.state.size());
        model.state_cov.assign(f.cov.data(), f.cov.data() + f.cov.size());
    }
    const int npar = k + 1;
    model.aic = method == Method::css ? NAN : -2 * model.loglik + 2 * npar;
    model.aicc = model.aic + 2.0 * npar * (npar + 1) / (model.nobs - npar - 1);
    model.bic = model.aic + npar * (std::log(static_cast<double>(model.nobs)) - 2);
    double ss = 0;
    for (double e : model.residuals)
        if (!std::isnan(e)) ss += e * e;
    model.sigma2 = ss / (model.nobs - npar + 1);
    model.fitted.resize(n);
    for (int t = 0; t < n; ++t) model.fitted[t] = y[t] - model.residuals[t];
}

}  // namespace

forecast::Prediction predict(const Model& model, const std::vector<double>& y, int horizon,
                             const std::vector<double>& levels) {
    const Order& o = model.order;
    const Polynomials poly = expand(o, model.coef.data());
    const StateSpace ss = state_space(poly);
    const std::vector<double> dlt = delta(o);
    const int r = ss.r, nd = static_cast<int>(dlt.size()), rd = r + nd, n = static_cast<int>(y.size());
    // The filtered state of R's formulation: the ARMA states, then the
    // differencing states (the values before the last).
    if (static_cast<int>(model.state.size()) != rd)
        throw Error(sqlstate::internal_error, "an ARIMA model without its final state cannot forecast");
    Vector a = Eigen::Map<const Vector>(model.state.data(), rd);
    Matrix P = Eigen::Map<const Matrix>(model.state_cov.data(), rd, rd);
    Matrix T = Matrix::Zero(rd, rd);
    for (int i = 0; i < r; ++i) {
        T(i, 0) = ss.phi[i];
        if (i + 1 < r) T(i, i + 1) = 1;
    }
    if (nd > 0) {
        T(r, 0) = 1;
        for (int i = 0; i < nd; ++i) T(r, r + i) = dlt[i];
        for (int i = 1; i < nd; ++i) T(r + i, r + i - 1) = 1;
    }
    Vector Rv = Vector::Zero(rd);
    for (int i = 0; i < r; ++i) Rv[i] = ss.R[i];
    const Matrix V = Rv * Rv.transpose();
    Vector Z = Vector::Zero(rd);
    Z[0] = 1;
    for (int i = 0; i < nd; ++i) Z[r + i] = dlt[i];
    forecast::Prediction p;
    p.point.resize(horizon);
    std::vector<double> se(horizon);
    const double beta = o.constant ? model.coef.back() : 0.0;
    for (int h = 0; h < horizon; ++h) {
        a = T * a;
        P = T * P * T.transpose() + V;
        p.point[h] = Z.dot(a) + beta * regressor(o, n + h);
        se[h] = std::sqrt(std::max(0.0, Z.dot(P * Z) * model.sigma2));
    }
    forecast::normal_bands(p, levels, se);
    return p;
}

double kpss(const std::vector<double>& y) {
    const int n = static_cast<int>(y.size());
    double mean = 0;
    for (double v : y) mean += v / n;
    std::vector<double> e(n);
    for (int i = 0; i < n; ++i) e[i] = y[i] - mean;
    double s = 0, s2 = 0, ee = 0;
    for (int i = 0; i < n; ++i) {
        s += e[i];
        s2 += s * s;
        ee += e[i] * e[i];
    }
    const int lags = static_cast<int>(3 * std::sqrt(static_cast<double>(n)) / 13);
    double denominator = ee / n;
    for (int l = 1; l <= lags; ++l) {
        double c = 0;
        for (int i = l; i < n; ++i) c += e[i] * e[i - l];
        denominator += 2.0 / n * (1 - static_cast<double>(l) / (lags + 1)) * c;
    }
    return s2 / (static_cast<double>(n) * n) / denominator;
}

namespace {
bool constant_series(const std::vector<double>& y) {
    return std::all_of(y.begin(), y.end(), [&](double v) { return v == y[0]; });
}
}  // namespace

int ndiffs(const std::vector<double>& y) {
    std::vector<double> x = y;
    int d = 0;
    // KPSS's 5% critical value: R interpolates the p-value between the
    // tabulated points, so p < 0.05 exactly when the statistic exceeds 0.463.
    while (d < 2 && x.size() > 2 && !constant_series(x) && kpss(x) > 0.463) {
        ++d;
        x = difference(x, {1.0});
    }
    return d;
}

int nsdiffs(const std::vector<double>& y, int m) {
    const int n = static_cast<int>(y.size());
    if (m < 2 || n <= 2 * m || constant_series(y)) return 0;
    return stl::seasonal_strength(y, m) > 0.64 ? 1 : 0;
}

namespace {

// One candidate of the search, R's myarima: its information criterion, Inf
// for a model that failed or has a root within 1.01 of the unit circle.
struct Candidate {
    Order order;
    double ic = INFINITY;
    Model model;
};

Candidate try_model(const std::vector<double>& y, const Order& o, bool approximate, double offset) {
    Candidate c;
    c.order = o;
    try {
        c.model = fit_model(y, o, approximate ? Method::css : Method::css_ml, false);
    } catch (const Error& e) {
        if (std::string(e.sqlstate()) == sqlstate::internal_error) throw;
        return c;
    }
    const Model& m = c.model;
    const int npar = o.coefficients() + 1;
    double aic = m.aic;
    if (approximate) aic = offset + m.nobs * std::log(m.css_sigma2) + 2 * npar;
    if (!std::isfinite(aic)) return c;
    const Polynomials poly = expand(m.order, m.coef.data());
    std::vector<double> ar(poly.phi.size());
    for (size_t i = 0; i < ar.size(); ++i) ar[i] = -poly.phi[i];
    auto trimmed = [](std::vector<double> v) {
        while (!v.empty() && std::fabs(v.back()) <= 1e-8) v.pop_back();
        return v;
    };
    const double least = std::min({2.0, min_modulus(trimmed(ar)), min_modulus(trimmed(poly.theta))});
    if (least < 1.01) return c;
    c.ic = aic + 2.0 * npar * (npar + 1) / (m.nobs - npar - 1);
    return c;
}

}  // namespace

Search automatic(const std::vector<double>& y, int m, bool seasonal, bool always_approximate) {
    const int n = static_cast<int>(y.size());
    if (!seasonal || m < 2) m = 1;
    int max_p = std::min(5, n / 3), max_q = std::min(5, n / 3);
    int max_P = std::min(2, n / 3 / m), max_Q = std::min(2, n / 3 / m);
    int D = 0;
    if (m == 1) max_P = max_Q = 0;
    else if (n > 2 * m) D = nsdiffs(y, m);
    std::vector<double> dx = D > 0 ? difference(y, delta(Order{0, 0, 0, 0, 1, 0, m})) : y;
    const int d = ndiffs(dx);
    if (d > 0) dx = difference(dx, delta(Order{0, d, 0}));
    if (dx.empty()) throw Error(sqlstate::insufficient_data, "too few values for an ARIMA model");
    const bool allow_constant = d + D <= 1;
    Search out;
    if (constant_series(dx)) {
        Order o{0, d, 0, 0, D, 0, m, allow_constant};
        out.best = fit(y, o);
        out.models = 1;
        return out;
    }
    if (m > 1) {
        if (max_P > 0) max_p = std::min(max_p, m - 1);
        if (max_Q > 0) max_q = std::min(max_q, m - 1);
    }
    const bool approximate = always_approximate || n > 150 || m > 12;
    double offset = 0;
    if (approximate) {
        try {
            const Model base = fit_model(y, Order{0, d, 0, 0, D, 0, m, d + D == 0}, Method::css_ml, false);
            // stats::arima's σ², Σe²/n, not forecast::Arima's.
            double ss = 0;
            for (double e : base.residuals)
                if (!std::isnan(e)) ss += e * e;
            offset = -2 * base.loglik - n * std::log(ss / base.nobs);
        } catch (const Error& e) {
            if (std::string(e.sqlstate()) == sqlstate::internal_error) throw;
        }
    }
    bool constant = allow_constant;
    int p = std::min(n < 10 ? 1 : 2, max_p), q = std::min(n < 10 ? 1 : 2, max_q);
    int P = std::min(n < 10 ? 0 : 1, max_P), Q = std::min(n < 10 ? 0 : 1, max_Q);
    std::vector<Candidate> tried;
    Candidate best;
    auto known = [&](const Order& o) {
        return std::any_of(tried.begin(), tried.end(), [&](const Candidate& c) {
            const Order& t = c.order;
            return t.p == o.p && t.q == o.q && t.P == o.P && t.Q == o.Q && t.constant == o.constant;
        });
    };
    auto attempt = [&](int ap, int aq, int aP, int aQ, bool ac) {
        const Order o{ap, d, aq, aP, D, aQ, m, ac};
        tried.push_back(try_model(y, o, approximate, offset));
        if (tried.back().ic < best.ic) {
            best = tried.back();
            return true;
        }
        return false;
    };
    constexpr size_t limit = 94;  // R's nmodels
    if (attempt(p, q, P, Q, constant)) {
    }
    if (attempt(0, 0, 0, 0, constant)) p = q = P = Q = 0;
    if (max_p > 0 || max_P > 0) {
        const int sp = max_p > 0, sP = m > 1 && max_P > 0;
        if (attempt(sp, 0, sP, 0, constant)) p = sp, P = sP, q = Q = 0;
    }
    if (max_q > 0 || max_Q > 0) {
        const int sq = max_q > 0, sQ = m > 1 && max_Q > 0;
        if (attempt(0, sq, 0, sQ, constant)) p = P = 0, q = sq, Q = sQ;
    }
    if (constant)
        if (attempt(0, 0, 0, 0, false)) p = q = P = Q = 0, constant = false;
    size_t start = 0;
    while (start < tried.size() && tried.size() < limit) {
        start = tried.size();
        // The neighbours in R's order; the first that improves moves the search.
        struct Step {
            int dp, dq, dP, dQ;
        };
        static const Step seasonal_steps[] = {{0, 0, -1, 0}, {0, 0, 0, -1}, {0, 0, 1, 0},  {0, 0, 0, 1},
                                              {0, 0, -1, -1}, {0, 0, -1, 1}, {0, 0, 1, -1}, {0, 0, 1, 1}};
        static const Step steps[] = {{-1, 0, 0, 0}, {0, -1, 0, 0}, {1, 0, 0, 0},  {0, 1, 0, 0},
                                     {-1, -1, 0, 0}, {-1, 1, 0, 0}, {1, -1, 0, 0}, {1, 1, 0, 0}};
        bool moved = false;
        for (const auto* group : {seasonal_steps, steps}) {
            for (int s = 0; s < 8 && !moved; ++s) {
                const Step& st = group[s];
                const int np = p + st.dp, nq = q + st.dq, nP = P + st.dP, nQ = Q + st.dQ;
                if (np < 0 || nq < 0 || nP < 0 || nQ < 0 || np > max_p || nq > max_q || nP > max_P || nQ > max_Q)
                    continue;
                if (known(Order{np, d, nq, nP, D, nQ, m, constant})) continue;
                if (tried.size() + 1 > limit) {
                    moved = true;
                    break;
                }
                if (attempt(np, nq, nP, nQ, constant)) {
                    p = np, q = nq, P = nP, Q = nQ;
                    moved = true;
                }
            }
            if (moved) break;
        }
        if (moved) continue;
        if (allow_constant && !known(Order{p, d, q, P, D, Q, m, !constant}) && tried.size() < limit)
            if (attempt(p, q, P, Q, !constant)) constant = !constant;
    }
    out.models = static_cast<int>(tried.size());
    if (approximate) {
        std::stable_sort(tried.begin(), tried.end(), [](const Candidate& a, const Candidate& b) { return a.ic < b.ic; });
        best = Candidate{};
        for (const Candidate& c : tried) {
            Candidate exact_fit = try_model(y, c.order, false, 0);
            ++out.models;
            if (std::isfinite(exact_fit.ic)) {
                best = std::move(exact_fit);
                break;
            }
        }
    }
    if (!std::isfinite(best.ic))
        throw Error(sqlstate::insufficient_data, "no suitable ARIMA model found for the series");
    // The chosen model refitted with R's likelihood (from where the search
    // left it), for R's numbers and the forecasts.
    out.best = fit_model(y, best.order, Method::css_ml, true, &best.model.coef);
    return out;
}

}  // namespace pgcrm::arima
