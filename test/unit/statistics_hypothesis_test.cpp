// Reference values from R 4.2.2 (Debian's r-base-core): t.test, prop.test,
// chisq.test and wilcox.test on R's sleep and mtcars data and R's examples,
// printed with 17 significant digits.
#include "core/statistics/hypothesis.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "testing.hpp"

using namespace pgcrm::statistics;
using pgcrm::testing::expect_relative;

namespace {

const double na = std::nan("");

// R's datasets::mtcars$mpg by am (0: automatic, 1: manual).
const std::vector<double> mpg_automatic = {21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3,
                                           15.2, 10.4, 10.4, 14.7, 21.5, 15.5, 15.2, 13.3, 19.2};
const std::vector<double> mpg_manual = {21, 21, 22.8, 32.4, 30.4, 33.9, 27.3, 26, 30.4, 15.8, 19.7, 15, 21.4};

Sample sample_of(const std::vector<double>& values) {
    Sample s;
    for (double v : values) s.add(v);
    return s;
}

}  // namespace

// t.test(extra[group 2], extra[group 1]) on R's sleep data, Welch and Student.
TEST(TTest, MatchesRsTTest) {
    Sample a, b;
    for (double v : {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}) a.add(v);
    for (double v : {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}) b.add(v);
    const TTest w = ttest(a, b, false);
    expect_relative(w.t, 1.8608134674868531, 1e-10);
    expect_relative(w.df, 17.776473516178498, 1e-10);
    expect_relative(w.p_value, 0.079394140187358173, 1e-8);
    expect_relative(w.ci_low, -0.20548323071171018, 1e-8);
    expect_relative(w.ci_high, 3.3654832307117104, 1e-8);
    const TTest s = ttest(a, b, true);
    expect_relative(s.t, 1.8608134674868528, 1e-10);
    EXPECT_EQ(s.df, 18);
    expect_relative(s.p_value, 0.079186714215938175, 1e-8);
    expect_relative(s.ci_low, -0.20387403228759859, 1e-8);
    expect_relative(s.ci_high, 3.3638740322875984, 1e-8);
    Sample one;
    one.add(1);
    EXPECT_TRUE(std::isnan(ttest(one, b, false).t));
}

// prop.test(c(230, 200), c(2000, 2100), correct = FALSE): X² = z².
TEST(PropTest, MatchesRsPropTest) {
    const PropTest r = prop_test(230, 2000, 200, 2100);
    expect_relative(r.z * r.z, 4.2614385593284299, 1e-10);
    expect_relative(r.p_value, 0.038986892615590282, 1e-8);
    expect_relative(r.ci_low, 0.00097078791223200941, 1e-8);
    expect_relative(r.ci_high, 0.038553021611577531, 1e-8);
    expect_relative(r.p_treatment, 0.115, 1e-15);
    // Closed form: lift = 0.115 / (200/2100) − 1, Katz interval on the log ratio.
    expect_relative(r.lift, 0.115 / (200.0 / 2100) - 1, 1e-14);
    const double se = std::sqrt(1.0 / 230 - 1.0 / 2000 + 1.0 / 200 - 1.0 / 2100);
    expect_relative(r.lift_ci_low, 0.115 / (200.0 / 2100) * std::exp(-1.959963984540054 * se) - 1, 1e-12);
}

// t.test(mtcars$mpg, mu = 20)
TEST(TTest, OneSampleMatchesRsTTest) {
    std::vector<double> mpg = mpg_automatic;
    mpg.insert(mpg.end(), mpg_manual.begin(), mpg_manual.end());
    const OneSampleTTest r = ttest_one(sample_of(mpg), 20);
    expect_relative(r.t, 0.085060035681333551, 1e-10);
    EXPECT_EQ(r.df, 31);
    expect_relative(r.p_value, 0.9327606409093897, 1e-10);
    expect_relative(r.mean, 20.090624999999999, 1e-14);
    expect_relative(r.ci_low, 17.917678508746242, 1e-10);
    expect_relative(r.ci_high, 22.263571491253757, 1e-10);
    EXPECT_TRUE(std::isnan(ttest_one(sample_of({3}), 0).t));
    EXPECT_TRUE(std::isnan(ttest_one(sample_of({3, 3, 3}), 0).t)) << "no variance, no test";
    EXPECT_THROW(ttest_one(sample_of(mpg), std::nan("")), pgcrm::Error);
}

// t.test(sleep$extra[11:20], sleep$extra[1:10], paired = TRUE): the one-sample
// test of the differences.
TEST(TTest, PairedIsOneSampleOfTheDifferences) {
    const std::vector<double> a = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};
    const std::vector<double> b = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
    Sample d;
    for (size_t i = 0; i < a.size(); ++i) d.add(a[i] - b[i]);
    const OneSampleTTest r = ttest_one(d, 0);
    expect_relative(r.t, 4.0621276833820366, 1e-10);
    EXPECT_EQ(r.df, 9);
    expect_relative(r.p_value, 0.0028328901973842702, 1e-10);
    expect_relative(r.mean, 1.5800000000000001, 1e-14);
    expect_relative(r.ci_low, 0.70011423672301754, 1e-10);
    expect_relative(r.ci_high, 2.4598857632769824, 1e-10);
}

// chisq.test(as.table(rbind(c(762, 327, 468), c(484, 239, 477)))), R's example.
TEST(ChiSquare, MatchesRsChisqTest) {
    const ChiSquareTest r = chisq_test({762, 327, 468, 484, 239, 477}, 2, 3, true);
    expect_relative(r.statistic, 30.070149095754672, 1e-12);
    EXPECT_EQ(r.df, 2);
    expect_relative(r.p_value, 2.9535891832117569e-07, 1e-10);
    expect_relative(r.expected,
                    {703.67138193688788, 319.64526659412405, 533.68335146898801, 542.32861806311212, 246.35473340587595,
                     411.31664853101199},
                    1e-14);
    EXPECT_TRUE(r.warning.empty());
}

// chisq.test(matrix(c(12, 5, 7, 9), 2)) with and without correct, and
// matrix(c(3, 1, 1, 3), 2), where R warns "Chi-squared approximation may be incorrect".
TEST(ChiSquare, YatesCorrectionOnTwoByTwoAndTheLowCountWarning) {
    const ChiSquareTest yates = chisq_test({12, 7, 5, 9}, 2, 2, true);
    expect_relative(yates.statistic, 1.4559963788146839, 1e-12);
    expect_relative(yates.p_value, 0.22756821457580992, 1e-10);
    const ChiSquareTest plain = chisq_test({12, 7, 5, 9}, 2, 2, false);
    expect_relative(plain.statistic, 2.4305755196815575, 1e-12);
    expect_relative(plain.p_value, 0.1189892055321448, 1e-10);
    EXPECT_TRUE(plain.warning.empty());
    const ChiSquareTest low = chisq_test({3, 1, 1, 3}, 2, 2, true);
    expect_relative(low.statistic, 0.5, 1e-14);
    expect_relative(low.p_value, 0.47950012218695348, 1e-10);
    EXPECT_EQ(low.warning, "4 of 4 expected counts are below 5: the chi-square approximation may be incorrect");
}

TEST(ChiSquare, OneRowHasNoTest) {
    const ChiSquareTest r = chisq_test({4, 6}, 1, 2, true);
    EXPECT_TRUE(std::isnan(r.statistic));
    EXPECT_TRUE(std::isnan(r.p_value));
    EXPECT_EQ(r.df, 0);
    expect_relative(r.expected, {4, 6}, 1e-15);
    EXPECT_FALSE(r.warning.empty());
}

// wilcox.test(x, y) and wilcox.test(y, x) on R's example data: exact, no ties.
TEST(MannWhitney, ExactForSmallSamplesWithoutTies) {
    const std::vector<double> x = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
    const std::vector<double> y = {1.15, 0.88, 0.90, 0.74, 1.21};
    const MannWhitney r = mann_whitney(x, y);
    EXPECT_TRUE(r.exact);
    EXPECT_EQ(r.w, 35);
    expect_relative(r.p_value, 0.2544122544122544, 1e-12);
    EXPECT_TRUE(std::isnan(r.z));
    const MannWhitney reversed = mann_whitney(y, x);
    EXPECT_EQ(reversed.w, 15);
    expect_relative(reversed.p_value, 0.2544122544122544, 1e-12);
    // wilcox.test(1:10, 11:25): the far tail, 2 / choose(25, 10), keeps its digits.
    std::vector<double> low, high;
    for (int i = 1; i <= 25; ++i) (i <= 10 ? low : high).push_back(i);
    const MannWhitney tail = mann_whitney(low, high);
    EXPECT_EQ(tail.w, 0);
    expect_relative(tail.p_value, 6.1185281268737989e-07, 1e-12);
}

// wilcox.test(mpg ~ am, mtcars): ties, so the normal approximation with the
// tie and continuity corrections; |z| = −qnorm(p / 2).
TEST(MannWhitney, NormalApproximationWithTies) {
    const MannWhitney r = mann_whitney(mpg_automatic, mpg_manual);
    EXPECT_FALSE(r.exact);
    EXPECT_EQ(r.w, 42);
    expect_relative(r.p_value, 0.0018713913331785568, 1e-10);
    expect_relative(r.z, -3.1099182447669036, 1e-10);
}

// wilcox.test(sqrt(1:60) * 3.7, log(1:70) * 5 + 0.123): 50 values or more,
// no ties: the normal approximation with the continuity correction.
TEST(MannWhitney, NormalApproximationForLargeSamples) {
    std::vector<double> x, y;
    for (int i = 1; i <= 60; ++i) x.push_back(std::sqrt(i) * 3.7);
    for (int i = 1; i <= 70; ++i) y.push_back(std::log(i) * 5 + 0.123);
    const MannWhitney r = mann_whitney(x, y);
    EXPECT_FALSE(r.exact);
    EXPECT_EQ(r.w, 2723);
    expect_relative(r.p_value, 0.0036472072859125328, 1e-10);
    expect_relative(r.z, 2.9071650290270439, 1e-10);
}

TEST(MannWhitney, AnEmptySampleHasNoTest) {
    const MannWhitney r = mann_whitney({1, 2}, {});
    EXPECT_TRUE(std::isnan(r.w));
    EXPECT_TRUE(std::isnan(r.p_value));
}
