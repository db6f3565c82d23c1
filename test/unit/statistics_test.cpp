// Reference values from R 4.2.2 (Debian's r-base-core): lm, summary.lm, vcov,
// glm, summary.glm, confint.default, and sandwich 3.0-2's vcovHC with
// lmtest's coeftest (Debian's r-cran-sandwich, r-cran-lmtest), printed with
// 17 significant digits.
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
    explicit Data(int features) : p(features), state(CrossProducts::size(features + 1), 0.0) {}
    CrossProducts rows() { return {state.data(), p + 1}; }
    void add(std::vector<double> x, double y) {
        x.push_back(y);
        rows().add(x.data());
    }
};

using pgcrm::testing::expect_relative;

const double na = std::nan("");

}  // namespace

// Closed form: (1 + 2⁻³⁰)² = 1 + 2⁻²⁹ + 2⁻⁶⁰ and (1 + 2⁻³⁰)(1 − 2⁻³⁰) =
// 1 − 2⁻⁶⁰ are kept exactly, whichever way the CPU forms the products' errors.
TEST(CrossProducts, ProductsAndSumsAreExact) {
    std::vector<double> state(CrossProducts::size(2));
    const CrossProducts rows{state.data(), 2};
    const double a = 1 + std::ldexp(1, -30), b = 1 - std::ldexp(1, -30);
    const double row[] = {a, b};
    rows.add(row);
    rows.add(row);
    EXPECT_EQ(rows.n(), 2);
    EXPECT_EQ(rows.product(0, 0).hi, 2 + std::ldexp(1, -28));
    EXPECT_EQ(rows.product(0, 0).lo, std::ldexp(1, -59));
    EXPECT_EQ(rows.product(1, 0).hi, 2);
    EXPECT_EQ(rows.product(0, 1).lo, -std::ldexp(1, -59));
    EXPECT_EQ(rows.sum(1).hi, 2 * b);
    std::vector<double> copy = state;
    const CrossProducts other{copy.data(), 2};
    rows.merge(other);
    EXPECT_EQ(rows.product(0, 0).hi, 4 + std::ldexp(1, -27));
    EXPECT_EQ(rows.product(0, 0).lo, std::ldexp(1, -58));
}

// lm(mpg ~ wt + hp + qsec, mtcars)
TEST(Linreg, MatchesRsLm) {
    Data d(3);
    for (const Car& c : mtcars) d.add({c.wt, c.hp, c.qsec}, c.mpg);
    const Fit f = linreg(d.rows(), true);
    expect_relative(f.coefficients,
                    {27.610526858204938, -4.3587972001626856, -0.017822271605542488, 0.51083369424505742});
    expect_relative(f.std_errors, {8.4199284765393205, 0.7527003922347395, 0.014981168848936303, 0.43922153203755343});
    expect_relative(f.t_values, {3.2791878143783419, -5.7908794058437758, -1.1896449325986944, 1.1630433778492015});
    expect_relative(f.p_values,
                    {0.0027845556611020826, 3.2172215296399067e-06, 0.24417624090336654, 0.2546283810265022});
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
    const Fit f = linreg(d.rows(), false);
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
    const Fit f = linreg(d.rows(), true);
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
    const Fit f = linreg(d.rows(), true);
    expect_relative(f.coefficients, {-1, 4}, 1e-12);
    expect_relative(f.std_errors, {na, na});
    EXPECT_EQ(f.df_residual, 0);
    EXPECT_TRUE(std::isnan(f.f_statistic));
}

// Closed form: y = 3.5·t + 120 for t = 1..24 has that line and zero residuals.
TEST(Linreg, RecoversANoiselessMonthlyTrend) {
    Data d(1);
    for (int t = 1; t <= 24; ++t) d.add({static_cast<double>(t)}, 3.5 * t + 120);
    const Fit f = linreg(d.rows(), true);
    EXPECT_NEAR(f.coefficients[0], 120, 1e-12);
    EXPECT_NEAR(f.coefficients[1], 3.5, 1e-13);
    EXPECT_NEAR(f.r_squared, 1, 1e-15);
    EXPECT_NEAR(f.sigma, 0, 1e-6);
}

TEST(Linreg, MergingPartialStatesEqualsOnePass) {
    Data whole(3), a(3), b(3);
    for (size_t i = 0; i < mtcars.size(); ++i) {
        const Car& c = mtcars[i];
        whole.add({c.wt, c.hp, c.qsec}, c.mpg);
        (i % 3 ? a : b).add({c.wt, c.hp, c.qsec}, c.mpg);
    }
    a.rows().merge(b.rows());
    const Fit x = linreg(whole.rows(), true), y = linreg(a.rows(), true);
    expect_relative(y.coefficients, x.coefficients, 1e-15);
    expect_relative(y.std_errors, x.std_errors, 1e-15);
}

TEST(Linreg, NoRowsIsAnError) {
    Data d(2);
    EXPECT_THROW(linreg(d.rows(), true), pgcrm::Error);
}

TEST(Linreg, ToleranceMustBeBetweenZeroAndOne) {
    Data d(1);
    d.add({1}, 2);
    EXPECT_THROW(linreg(d.rows(), true, -1e-7), pgcrm::Error);
    EXPECT_THROW(linreg(d.rows(), true, 1), pgcrm::Error);
    EXPECT_THROW(linreg(d.rows(), true, std::nan("")), pgcrm::Error);
}

// vcov(lm(mpg ~ wt + hp + qsec, mtcars))
TEST(Linreg, CovarianceMatrixIsRsVcov) {
    Data d(3);
    for (const Car& c : mtcars) d.add({c.wt, c.hp, c.qsec}, c.mpg);
    expect_relative(linreg(d.rows(), true).covariance,
                    {70.895195550037755083, 2.6923056666197324738, -0.09903498665516231869, -3.631748211238807755,
                     2.692305666619732474, 0.5665578804703307325, -0.00867888671193819961, -0.181636238560429653,
                     -0.099034986655162319, -0.0086788867119381996, 0.00022443542008033945, 0.005268450969737974,
                     -3.631748211238807755, -0.1816362385604296525, 0.00526845096973797399, 0.192915554205415535},
                    1e-10);
}

// Exactly aliased columns are found however ill-conditioned the columns before
// them: Filip's x … x⁹ with x² + x⁷ (in double) among them, and 3·x⁵.
TEST(Linreg, ExactAliasesAmongIllConditionedColumnsAreDropped) {
    const std::vector<double> x = {-6.860120914, -4.324130045, -4.358625055, -4.358426747, -6.955852379, -6.661145254,
                                   -6.355462942, -6.118102026, -7.115148017, -7.382188586, -7.292926527, -7.065259392,
                                   -6.700860338, -6.385329165, -6.092752153, -8.786924955, -8.715800269, -8.427419061};
    Data d(11);
    for (double v : x) {
        std::vector<double> row;
        for (int k = 1; k <= 9; ++k) row.push_back(std::pow(v, k));
        row.push_back(row[1] + row[6]);
        row.push_back(3 * row[4]);
        d.add(row, v + std::sin(v));
    }
    const Fit f = linreg(d.rows(), true);
    EXPECT_EQ(f.rank, 10);
    EXPECT_TRUE(std::isnan(f.coefficients[10]));
    EXPECT_TRUE(std::isnan(f.coefficients[11]));
    EXPECT_EQ(linreg(d.rows(), true, 1e-13).rank, 10) << "their reduced norms are below 1e-13 of their own";
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
    expect_relative(f.coefficients, {18.866298717204096, -8.0834751824446283, 0.036255596082216547}, 1e-10);
    expect_relative(f.std_errors, {7.443558060205274, 3.0686751130546961, 0.017734153650769347}, 1e-10);
    expect_relative(f.p_values, {0.011258198716613689, 0.0084338125997070225, 0.040914646459029938}, 1e-10);
    expect_relative(f.deviance, 10.059110472266989);
    expect_relative(f.null_deviance, 43.229733276857807);
    expect_relative(f.aic, 16.059110472266987);
    expect_relative(f.log_likelihood, -5.0295552361334934);
    EXPECT_EQ(f.iterations, 8);
    EXPECT_TRUE(f.converged);
    EXPECT_FALSE(f.separation);
    // vcov(m); exp(coef(m)) and exp(confint.default(m))
    expect_relative(f.covariance,
                    {55.406556595646904384, -22.03705758082309174, 0.07781788780332950239, -22.037057580823091740,
                     9.41676694948125181, -0.04183238803556438984, 0.077817887803329502, -0.04183238803556439,
                     0.00031450020570909575},
                    1e-10);
    expect_relative(f.odds_ratios, {1.5614548350632006e+08, 3.0859673984047552e-04, 1.0369208455288090e+00}, 1e-10);
    expect_relative(f.odds_ratio_low, {7.2037945596981118e+01, 7.5392881418836278e-07, 1.0014984151341872e+00}, 1e-10);
    expect_relative(f.odds_ratio_high, {3.3845235059624275e+14, 1.2631424353065951e-01, 1.0735961471772446e+00}, 1e-10);
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

// sandwich::vcovHC(lm(mpg ~ wt + hp + qsec, mtcars), type = t) for t in HC0…HC3;
// t and p as lmtest::coeftest(m, vcov. = vcovHC(m, type = "HC3")).
TEST(Robust, MatchesSandwichVcovHC) {
    Data d(3);
    for (const Car& c : mtcars) d.add({c.wt, c.hp, c.qsec}, c.mpg);
    const Fit f = linreg(d.rows(), true);
    const std::vector<std::vector<double>> expected = {
        {5.8415424447313766265, 0.7654367522030132154, 0.0098608834284725586, 0.3417746770619309871},
        {6.244871553850995127, 0.818286307996710871, 0.010541727805786849, 0.365372498583058924},
        {6.559931287424687341, 0.848049768133847692, 0.011497134220106299, 0.380776577746399225},
        {7.547310887742159302, 0.950065225150502068, 0.013818780475153294, 0.433614349035022328}};
    for (int type = 0; type < 4; ++type) {
        SCOPED_TRACE("HC" + std::to_string(type));
        std::vector<double> state(Sandwich::size(4));
        const Sandwich s{state.data(), 4, true, static_cast<HcType>(type)};
        s.start(f.coefficients.data(), 4, f.covariance.data(), f.sigma);
        for (const Car& c : mtcars) {
            const double x[] = {c.wt, c.hp, c.qsec};
            s.add(x, c.mpg);
        }
        const RobustFit r = robust(s, 4);
        expect_relative(r.std_errors, expected[type], 1e-10);
        if (type == 3) {
            expect_relative(r.t_values,
                            {3.6583264249851055, -4.5878925833457362, -1.2897137802852883, 1.1780830025156714}, 1e-10);
            expect_relative(
                r.p_values,
                {1.0418601474243938e-03, 8.5510952933948127e-05, 2.0770155285455960e-01, 2.4867944216014345e-01}, 1e-9);
            expect_relative(r.covariance[0 * 4 + 3], -3.1493873960278051527, 1e-10);
            expect_relative(r.covariance[1 * 4 + 2], -0.0097267458817452863, 1e-10);
        }
    }
}

// Merged partial states give the one-pass result; aliased columns have none:
// sqrt(diag(vcovHC(lm(mpg ~ wt + hp + I(wt + hp), mtcars), type = "HC1"))).
TEST(Robust, MergesAndSkipsAliasedColumns) {
    Data d(3);
    for (const Car& c : mtcars) d.add({c.wt, c.hp, c.wt + c.hp}, c.mpg);
    const Fit f = linreg(d.rows(), true);
    ASSERT_EQ(f.rank, 3);
    std::vector<double> whole(Sandwich::size(3)), half(Sandwich::size(3));
    const Sandwich a{whole.data(), 3, true, HcType::hc1}, b{half.data(), 3, true, HcType::hc1};
    a.start(f.coefficients.data(), 4, f.covariance.data(), f.sigma);
    b.start(f.coefficients.data(), 4, f.covariance.data(), f.sigma);
    for (size_t i = 0; i < mtcars.size(); ++i) {
        const Car& c = mtcars[i];
        const double x[] = {c.wt, c.hp, c.wt + c.hp};
        (i % 2 ? a : b).add(x, c.mpg);
    }
    a.merge(b);
    EXPECT_EQ(a.n(), 32);
    expect_relative(robust(a, 4).std_errors, {2.0367350019129633054, 0.6512037548099433026, 0.0069813612520214169, na},
                    1e-10);
}

// A perfect fit has no residual variance to unscale the covariance with.
TEST(Robust, PerfectFitHasNoRobustErrors) {
    Data d(1);
    for (int t = 1; t <= 5; ++t) d.add({static_cast<double>(t)}, 2.0 * t);
    const Fit f = linreg(d.rows(), true);
    std::vector<double> state(Sandwich::size(2));
    const Sandwich s{state.data(), 2, true, HcType::hc0};
    s.start(f.coefficients.data(), 2, f.covariance.data(), 0);
    const double x[] = {1};
    s.add(x, 2);
    expect_relative(robust(s, 2).std_errors, {na, na});
}
