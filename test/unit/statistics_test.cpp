// Reference values from R 4.2.2 (Debian's r-base-core): lm, summary.lm, glm,
// summary.glm, t.test and prop.test, printed with 17 significant digits.
#include "core/statistics/regression.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "testing.hpp"

using namespace pgcrm::statistics;

namespace {

struct Car {
    double mpg, wt, hp, qsec;
    int am;
};
const std::vector<Car> mtcars = {
#include "data/mtcars.inc"
};

struct Data {
    int p;
    std::vector<double> state;
    explicit Data(int features) : p(features), state(Moments::size(features), 0.0) {}
    Moments moments() { return {state.data(), p}; }
    void add(std::vector<double> x, double y) { pgcrm::statistics::add(moments(), x.data(), y); }
};

using pgcrm::testing::expect_relative;

const double na = std::nan("");

}  // namespace

// lm(mpg ~ wt + hp + qsec, mtcars)
TEST(Linreg, MatchesRsLm) {
    Data d(3);
    for (const Car& c : mtcars) d.add({c.wt, c.hp, c.qsec}, c.mpg);
    const Fit f = linreg(d.moments(), true);
    expect_relative(f.coefficients, {27.610526858204938, -4.3587972001626856, -0.017822271605542488, 0.51083369424505742});
    expect_relative(f.std_errors, {8.4199284765393205, 0.7527003922347395, 0.014981168848936303, 0.43922153203755343});
    expect_relative(f.t_values, {3.2791878143783419, -5.7908794058437758, -1.1896449325986944, 1.1630433778492015});
    expect_relative(f.p_values, {0.0027845556611020826, 3.2172215296399067e-06, 0.24417624090336654, 0.2546283810265022});
    expect_relative(f.r_squared, 0.83476776170582967);
    expect_relative(f.adj_r_squared, 0.81706430760288284);
    expect_relative(f.sigma, 2.5777848825208176);
    expect_relative(f.f_statistic, 47.152818701457747);
    expect_relative(f.f_p_value, 4.5064110240248436e-11, 1e-6);
    EXPECT_EQ(f.n, 32);
    EXPECT_EQ(f.df_residual, 28);
}

// lm(mpg ~ 0 + wt + hp, mtcars): R² and F are uncentred without an intercept.
TEST(Linreg, WithoutIntercept) {
    Data d(2);
    for (const Car& c : mtcars) d.add({c.wt, c.hp}, c.mpg);
    const Fit f = linreg(d.moments(), false);
    expect_relative(f.coefficients, {6.8404499708353006, -0.033935259906657682});
    expect_relative(f.std_errors, {1.894247638192972, 0.0393981150048478});
    expect_relative(f.r_squared, 0.72642594659534265);
    expect_relative(f.adj_r_squared, 0.70818767636836544);
    expect_relative(f.f_statistic, 39.829761131669656);
}

// lm(mpg ~ wt + hp + I(wt + hp) + one, mtcars) with one = 1: the sum and the
// constant are aliased (NA), the rest is the fit on wt and hp.
TEST(Linreg, RankDeficientDesignGivesNaForAliasedColumns) {
    Data d(4);
    for (const Car& c : mtcars) d.add({c.wt, c.hp, c.wt + c.hp, 1.0}, c.mpg);
    const Fit f = linreg(d.moments(), true);
    expect_relative(f.coefficients, {37.227270116447201, -3.8778307424046821, -0.031772946982161002, na, na});
    expect_relative(f.std_errors, {1.5987875379993941, 0.6327334943773953, 0.0090297096758557224, na, na});
    expect_relative(f.p_values, {2.5654585119837577e-20, 1.1196471362000422e-06, 1.4512285315694238e-03, na, na}, 1e-6);
    expect_relative(f.r_squared, 0.82678545188279118);
    expect_relative(f.sigma, 2.5934117772265668);
    EXPECT_EQ(f.rank, 3);
}

// lm(c(3, 7) ~ c(1, 2)): an exact fit with no residual degrees of freedom.
TEST(Linreg, TwoPointsGiveTheLineAndNoStandardErrors) {
    Data d(1);
    d.add({1}, 3);
    d.add({2}, 7);
    const Fit f = linreg(d.moments(), true);
    expect_relative(f.coefficients, {-1, 4}, 1e-12);
    expect_relative(f.std_errors, {na, na});
    EXPECT_EQ(f.df_residual, 0);
    EXPECT_TRUE(std::isnan(f.f_statistic));
}

// Closed form: y = 3.5·t + 120 for t = 1..24 has that line and zero residuals.
TEST(Linreg, RecoversANoiselessMonthlyTrend) {
    Data d(1);
    for (int t = 1; t <= 24; ++t) d.add({static_cast<double>(t)}, 3.5 * t + 120);
    const Fit f = linreg(d.moments(), true);
    EXPECT_NEAR(f.coefficients[0], 120, 1e-12);
    EXPECT_NEAR(f.coefficients[1], 3.5, 1e-13);
    EXPECT_NEAR(f.r_squared, 1, 1e-15);
    EXPECT_NEAR(f.sigma, 0, 1e-6);
}

TEST(Linreg, MergingPartialMomentsEqualsOnePass) {
    Data whole(3), a(3), b(3);
    for (size_t i = 0; i < mtcars.size(); ++i) {
        const Car& c = mtcars[i];
        whole.add({c.wt, c.hp, c.qsec}, c.mpg);
        (i % 3 ? a : b).add({c.wt, c.hp, c.qsec}, c.mpg);
    }
    merge(a.moments(), b.moments());
    const Fit x = linreg(whole.moments(), true), y = linreg(a.moments(), true);
    expect_relative(y.coefficients, x.coefficients, 1e-12);
    expect_relative(y.std_errors, x.std_errors, 1e-12);
}

TEST(Linreg, NoRowsIsAnError) {
    Data d(2);
    EXPECT_THROW(linreg(d.moments(), true), pgcrm::Error);
}

// glm(am ~ wt + hp, binomial, mtcars)
TEST(Logreg, MatchesRsGlm) {
    std::vector<double> x;
    std::vector<char> y;
    for (const Car& c : mtcars) {
        x.insert(x.end(), {c.wt, c.hp});
        y.push_back(c.am == 1);
    }
    const LogisticFit f = logreg(x.data(), reinterpret_cast<const bool*>(y.data()), 32, 2, true);
    expect_relative(f.coefficients, {18.866298717204096, -8.0834751824446283, 0.036255596082216547}, 1e-7);
    expect_relative(f.std_errors, {7.443558060205274, 3.0686751130546961, 0.017734153650769347}, 1e-7);
    expect_relative(f.p_values, {0.011258198716613689, 0.0084338125997070225, 0.040914646459029938}, 1e-6);
    expect_relative(f.deviance, 10.059110472266989);
    expect_relative(f.null_deviance, 43.229733276857807);
    expect_relative(f.aic, 16.059110472266987);
    expect_relative(f.log_likelihood, -5.0295552361334934);
    EXPECT_EQ(f.iterations, 8);
    EXPECT_TRUE(f.converged);
    EXPECT_FALSE(f.separation);
}

// y = (x > 0): perfectly separated. R's glm stops with "fitted probabilities
// numerically 0 or 1"; so must we, with finite numbers.
TEST(Logreg, ReportsSeparationInsteadOfDiverging) {
    const std::vector<double> x = {-3, -2, -1.5, -1, -0.5, 0.5, 1, 2, 2.5, 3};
    std::vector<char> y;
    for (double v : x) y.push_back(v > 0);
    const LogisticFit f = logreg(x.data(), reinterpret_cast<const bool*>(y.data()), 10, 1, true);
    EXPECT_TRUE(f.separation);
    EXPECT_LE(f.iterations, 25);
    for (double c : f.coefficients) EXPECT_TRUE(std::isfinite(c));
    EXPECT_GT(f.coefficients[1], 10);
    EXPECT_LT(f.deviance, 1e-6);
}

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
