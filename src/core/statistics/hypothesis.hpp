// Hypothesis tests with R's conventions, two-sided: t-tests (two-sample,
// one-sample, paired), the two-proportion z-test, Pearson's chi-square test
// of independence and the Mann–Whitney U (Wilcoxon rank-sum) test.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pgcrm::statistics {

// Welford moments of one sample, mergeable.
struct Sample {
    double n = 0, mean = 0, m2 = 0;
    void add(double v) noexcept;
    void merge(const Sample& other) noexcept;
};

struct TTest {
    double t, df, p_value, mean_treatment, mean_control, difference, ci_low, ci_high;
};

// Two-sample t-test of treatment − control: Welch's, or Student's with
// equal_var; the confidence interval at `level` (0.95 = 95%).
TTest ttest(const Sample& treatment, const Sample& control, bool equal_var, double level = 0.95);

struct OneSampleTTest {
    double t, df, p_value, mean, ci_low, ci_high;  // the interval is of the mean
};

// R's t.test(x, mu = mu); a paired test is this on the differences.
OneSampleTTest ttest_one(const Sample& s, double mu, double level = 0.95);

struct PropTest {
    double p_treatment, p_control, difference, ci_low, ci_high, z, p_value, lift, lift_ci_low, lift_ci_high;
};

// Two-proportion z-test (pooled variance; R's prop.test without continuity
// correction): the difference with its Wald interval, and the relative lift
// p_t / p_c − 1 with the Katz log interval.
PropTest prop_test(int64_t converted_treatment, int64_t n_treatment, int64_t converted_control, int64_t n_control,
                   double level = 0.95);

struct ChiSquareTest {
    double statistic, df, p_value;
    std::vector<double> expected;  // rows × cols, row-major
    std::string warning;           // empty, or why the p-value may be unreliable
};

// R's chisq.test on a rows × cols table of counts (row-major, every row and
// column with a count): Pearson's X² against the expected counts
// row sum × column sum / n, with Yates's continuity correction on a 2 × 2
// table when `correct` (R's default). The warning is R's: some expected
// count is below 5. A table of one row or column has no test.
ChiSquareTest chisq_test(const std::vector<int64_t>& counts, int rows, int cols, bool correct);

struct MannWhitney {
    double w;        // R's W: the rank sum of x − n_x(n_x + 1)/2, the pairs with x above y (ties ½)
    double p_value;  // two-sided
    double z;        // the normal approximation's statistic; NaN for the exact test
    bool exact;
};

// R's wilcox.test(x, y): the exact distribution when both samples have fewer
// than 50 values and there are no ties, otherwise the normal approximation
// with the tie correction of the variance and a continuity correction of ½.
// NaN statistics when a sample is empty.
MannWhitney mann_whitney(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace pgcrm::statistics
