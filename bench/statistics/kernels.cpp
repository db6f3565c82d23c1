// How crm.linreg keeps its state, against the two mergeable alternatives:
// the cost of one row of 4 features and y, and the digits each gets on the
// hardest NIST StRD problems (certified coefficients as in
// test/unit/statistics_nist_test.cpp).
//  * moments: Welford's centred co-moments in double, merged by Chan's
//    formula, solved by Cholesky (pgcrm 0.2.0);
//  * TSQR: the R factor of the centred rows by Givens rotations in double
//    (each row a rank-one update, merging stacks two R factors);
//  * double-double: exact products summed in double-double, solved by a
//    double-double Cholesky (core/statistics/least_squares, pgcrm 0.3.0).
// Built and run by bench/statistics/run; prints markdown.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <random>
#include <vector>

#include "core/statistics/regression.hpp"

namespace {

using Rows = std::vector<std::vector<double>>;
const Rows filip = {
#include "../../test/unit/data/nist/filip.inc"
};
const Rows wampler4 = {
#include "../../test/unit/data/nist/wampler4.inc"
};
const Rows wampler5 = {
#include "../../test/unit/data/nist/wampler5.inc"
};

// A method: add rows of q values (x…, y), then the coefficients, intercept first.
struct Method {
    const char* name;
    std::function<void(int q)> start;
    std::function<void(const double* v)> add;
    std::function<std::vector<double>()> solve;
};

struct Moments {
    int q = 0;
    double n = 0;
    std::vector<double> mean, c;  // c: q × q co-moments
    void start(int columns) {
        q = columns;
        n = 0;
        mean.assign(q, 0);
        c.assign(q * q, 0);
    }
    void add(const double* v) {
        n += 1;
        const double shrink = (n - 1) / n;
        for (int j = 0; j < q; ++j) {
            const double d = (v[j] - mean[j]) * shrink;
            for (int k = j; k < q; ++k) c[j * q + k] += d * (v[k] - mean[k]);
        }
        for (int j = 0; j < q; ++j) mean[j] += (v[j] - mean[j]) / n;
    }
    std::vector<double> solve() const {
        const int p = q - 1;
        Eigen::MatrixXd xx(p, p);
        Eigen::VectorXd xy(p);
        for (int j = 0; j < p; ++j) {
            for (int k = 0; k < p; ++k) xx(j, k) = c[std::min(j, k) * q + std::max(j, k)];
            xy[j] = c[j * q + p];
        }
        const Eigen::VectorXd b = xx.llt().solve(xy);
        std::vector<double> out{mean[p]};
        for (int j = 0; j < p; ++j) out[0] -= b[j] * mean[j];
        out.insert(out.end(), b.data(), b.data() + p);
        return out;
    }
};

struct Tsqr {
    int q = 0;
    double n = 0;
    std::vector<double> mean, r, row;  // r: q × q upper triangle of the centred [X y]
    void start(int columns) {
        q = columns;
        n = 0;
        mean.assign(q, 0);
        r.assign(q * q, 0);
        row.assign(q, 0);
    }
    void add(const double* v) {
        n += 1;
        const double w = std::sqrt((n - 1) / n);  // the rank-one update Chan's formula makes
        for (int j = 0; j < q; ++j) {
            row[j] = (v[j] - mean[j]) * w;
            mean[j] += (v[j] - mean[j]) / n;
        }
        for (int j = 0; j < q; ++j) {
            if (row[j] == 0) continue;
            const double h = std::hypot(r[j * q + j], row[j]), c = r[j * q + j] / h, s = row[j] / h;
            r[j * q + j] = h;
            for (int k = j + 1; k < q; ++k) {
                const double a = r[j * q + k], b = row[k];
                r[j * q + k] = c * a + s * b;
                row[k] = c * b - s * a;
            }
        }
    }
    std::vector<double> solve() const {
        const int p = q - 1;
        std::vector<double> b(p);
        for (int j = p - 1; j >= 0; --j) {
            double t = r[j * q + p];
            for (int k = j + 1; k < p; ++k) t -= r[j * q + k] * b[k];
            b[j] = t / r[j * q + j];
        }
        std::vector<double> out{mean[p]};
        for (int j = 0; j < p; ++j) out[0] -= b[j] * mean[j];
        out.insert(out.end(), b.begin(), b.end());
        return out;
    }
};

struct DoubleDouble {
    std::vector<double> state;
    int q = 0;
    void start(int columns) {
        q = columns;
        state.assign(pgcrm::statistics::CrossProducts::size(q), 0);
    }
    pgcrm::statistics::CrossProducts rows() { return {state.data(), q}; }
    void add(const double* v) { rows().add(v); }
    std::vector<double> solve() { return pgcrm::statistics::linreg(rows(), true).coefficients; }
};

Moments moments;
Tsqr tsqr;
DoubleDouble dd;
const std::vector<Method> methods = {
    {"moments in double, Cholesky (0.2.0)", [](int q) { moments.start(q); }, [](const double* v) { moments.add(v); },
     [] { return moments.solve(); }},
    {"TSQR: Givens rotations in double", [](int q) { tsqr.start(q); }, [](const double* v) { tsqr.add(v); },
     [] { return tsqr.solve(); }},
    {"double-double cross-products (0.3.0)", [](int q) { dd.start(q); }, [](const double* v) { dd.add(v); },
     [] { return dd.solve(); }},
};

// The smallest LRE over the coefficients of y ~ x + … + x^degree.
double digits(const Method& m, const Rows& rows, int degree, double certified_b0, std::vector<double> certified) {
    m.start(degree + 1);
    std::vector<double> v(degree + 1);
    for (const auto& r : rows) {
        for (int k = 1; k <= degree; ++k) v[k - 1] = k == 1 ? r[1] : std::pow(r[1], k);
        v[degree] = r[0];
        m.add(v.data());
    }
    certified.insert(certified.begin(), certified_b0);
    const std::vector<double> b = m.solve();
    double worst = 15;
    for (size_t j = 0; j < certified.size(); ++j) {
        const double e = std::fabs(b[j] - certified[j]) / std::fabs(certified[j]);
        worst = std::min(worst, std::isnan(e) ? 0 : e == 0 ? 15 : std::clamp(-std::log10(e), 0.0, 15.0));
    }
    return worst;
}

// CPU nanoseconds per row of 4 features and y, the best of 5 passes over 2M rows.
double nanoseconds(const Method& m, const std::vector<double>& data) {
    const int q = 5;
    const size_t n = data.size() / q;
    double best = 1e9;
    for (int pass = 0; pass < 5; ++pass) {
        m.start(q);
        const std::clock_t t0 = std::clock();
        for (size_t i = 0; i < n; ++i) m.add(&data[i * q]);
        best = std::min(best, static_cast<double>(std::clock() - t0) / CLOCKS_PER_SEC / n * 1e9);
    }
    return best;
}

}  // namespace

int main() {
    std::mt19937_64 random(17);
    std::uniform_real_distribution<double> uniform(0, 1);
    std::vector<double> data(5 * 2000000);
    for (size_t i = 0; i < data.size(); i += 5) {
        const double x1 = 10 * uniform(random), x2 = 5 * uniform(random), x3 = 100 * uniform(random), x4 = uniform(random);
        data[i] = x1, data[i + 1] = x2, data[i + 2] = x3, data[i + 3] = x4;
        data[i + 4] = 3 + 2 * x1 - x2 + 0.5 * x3 + 0.1 * x4 + uniform(random) - 0.5;
    }
    const std::vector<double> filip_b = {-2772.17959193342,    -2316.37108160893,     -1127.97394098372,
                                         -354.478233703349,    -75.1242017393757,     -10.8753180355343,
                                         -1.06221498588947,    -0.670191154593408E-01, -0.246781078275479E-02,
                                         -0.402962525080404E-04};
    std::printf("| state of crm.linreg | ns a row (4 features) | Filip | Wampler4 | Wampler5 |\n|---|---:|---:|---:|---:|\n");
    for (const Method& m : methods)
        std::printf("| %s | %.1f | %.1f | %.1f | %.1f |\n", m.name, nanoseconds(m, data),
                    digits(m, filip, 10, -1467.48961422980, filip_b), digits(m, wampler4, 5, 1, std::vector<double>(5, 1)),
                    digits(m, wampler5, 5, 1, std::vector<double>(5, 1)));
}
