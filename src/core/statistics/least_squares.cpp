#include "least_squares.hpp"

#include <array>
#include <utility>

#include "core/interrupt.hpp"

namespace pgcrm::statistics {

namespace {

int64_t pair_index(int q, int j, int k) {  // j ≤ k
    return static_cast<int64_t>(j) * q - static_cast<int64_t>(j) * (j - 1) / 2 + (k - j);
}

// hi + lo += term + error, loosely: lo gathers the rounding errors and is
// folded in when read (normalized), so a row costs no renormalisation.
inline void accumulate(double& hi, double& lo, DoubleDouble term) {
    const DoubleDouble s = two_sum(hi, term.hi);
    hi = s.hi;
    lo += s.lo + term.lo;
}

// Σ vⱼvₖ += the row's products, each exact: its rounding error is
// fma(a, b, −a·b) with a fused multiply-add, or else from Dekker's split.
// Both are exact, so the state is the same bit for bit on any machine.
template <bool fused>
[[gnu::always_inline]] inline void add_products(const double* v, int q, double* hi, double* lo) {
    std::array<Split, max_columns> split;
    if constexpr (!fused)
        for (int j = 0; j < q; ++j) split[j] = Split(v[j]);
    int64_t i = 0;
    for (int j = 0; j < q; ++j)
        for (int k = j; k < q; ++k, ++i) {
            if constexpr (fused) {
                const double p = v[j] * v[k];
                accumulate(hi[i], lo[i], {p, __builtin_fma(v[j], v[k], -p)});
            } else {
                accumulate(hi[i], lo[i], two_product(v[j], split[j], v[k], split[k]));
            }
        }
}

#if defined(__GNUC__) && defined(__x86_64__)
// The hot loop of crm.linreg: about a third fewer operations with the
// instruction, chosen once by what the CPU has.
[[gnu::target("fma")]] void add_products_fused(const double* v, int q, double* hi, double* lo) {
    add_products<true>(v, q, hi, lo);
}

bool has_fma() {
    static const bool has = (__builtin_cpu_init(), __builtin_cpu_supports("fma"));
    return has;
}
#endif

}  // namespace

void CrossProducts::add(const double* v) const noexcept {
    double* sum_hi = data + 1;
    double* sum_lo = sum_hi + q;
    double* hi = sum_lo + q;
    double* lo = hi + static_cast<int64_t>(q) * (q + 1) / 2;
    data[0] += 1;
    for (int j = 0; j < q; ++j) accumulate(sum_hi[j], sum_lo[j], v[j]);
#if defined(__GNUC__) && defined(__x86_64__)
    if (has_fma()) return add_products_fused(v, q, hi, lo);
#endif
    add_products<false>(v, q, hi, lo);
}

void CrossProducts::merge(const CrossProducts& from) const noexcept {
    data[0] += from.data[0];
    // Both blocks are laid out (hi…, lo…): add hi to hi, folding its error into lo.
    auto add_block = [&](int64_t start, int64_t count) {
        for (int64_t i = start; i < start + count; ++i)
            accumulate(data[i], data[i + count], DoubleDouble(from.data[i], from.data[i + count]));
    };
    add_block(1, q);
    add_block(1 + 2 * static_cast<int64_t>(q), static_cast<int64_t>(q) * (q + 1) / 2);
}

DoubleDouble CrossProducts::sum(int j) const { return normalized({data[1 + j], data[1 + q + j]}); }

DoubleDouble CrossProducts::product(int j, int k) const {
    if (j > k) std::swap(j, k);
    const int64_t pairs = static_cast<int64_t>(q) * (q + 1) / 2;
    const double* hi = data + 1 + 2 * static_cast<int64_t>(q);
    const int64_t i = pair_index(q, j, k);
    return normalized({hi[i], hi[i + pairs]});
}

Solution solve(const std::vector<DoubleDouble>& gram, int m, double tolerance) {
    const int size = m + 1;
    auto g = [&](int j, int k) { return gram[static_cast<size_t>(j) * size + k]; };
    const double tolerance2 = tolerance * tolerance;
    // Cholesky factor L (row a: the a-th kept column, then the response) in
    // column order, skipping aliased columns.
    std::vector<std::vector<DoubleDouble>> lower;
    Solution s;
    std::vector<DoubleDouble> row;
    DoubleDouble residual;
    for (int j = 0; j <= m; ++j) {
        check_interrupts();
        const int kept = static_cast<int>(s.kept.size());
        row.assign(kept, 0.0);
        residual = g(j, j);
        for (int a = 0; a < kept; ++a) {
            DoubleDouble v = g(j, s.kept[a]);
            for (int b = 0; b < a; ++b) v -= row[b] * lower[a][b];
            row[a] = v / lower[a][a];
            residual -= row[a] * row[a];
        }
        if (j == m) break;
        // dqrdc2: kept when the reduced norm is at least tolerance × the original one
        // (a zero column is aliased).
        if (!(residual.hi > 0) || residual.hi < tolerance2 * g(j, j).hi) continue;
        row.push_back(sqrt(residual));
        lower.push_back(row);
        s.kept.push_back(j);
    }
    s.rss = residual.hi > 0 ? residual : DoubleDouble();

    const int k = static_cast<int>(s.kept.size());
    std::vector<DoubleDouble> beta(k);
    for (int a = k - 1; a >= 0; --a) {
        DoubleDouble v = row[a];
        for (int b = a + 1; b < k; ++b) v -= lower[b][a] * beta[b];
        beta[a] = v / lower[a][a];
    }
    s.beta.resize(k);
    for (int a = 0; a < k; ++a) s.beta[a] = to_double(beta[a]);

    // (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹, with L⁻¹ column by column.
    std::vector<std::vector<DoubleDouble>> inverse(k, std::vector<DoubleDouble>(k));
    for (int c = 0; c < k; ++c) {
        check_interrupts();
        for (int a = c; a < k; ++a) {
            DoubleDouble v = a == c ? DoubleDouble(1.0) : DoubleDouble();
            for (int b = c; b < a; ++b) v -= lower[a][b] * inverse[b][c];
            inverse[a][c] = v / lower[a][a];
        }
    }
    s.unscaled.resize(k, k);
    for (int a = 0; a < k; ++a) {
        check_interrupts();
        for (int b = a; b < k; ++b) {
            DoubleDouble v;
            for (int c = b; c < k; ++c) v += inverse[c][a] * inverse[c][b];
            s.unscaled(a, b) = s.unscaled(b, a) = to_double(v);
        }
    }
    return s;
}

}  // namespace pgcrm::statistics
