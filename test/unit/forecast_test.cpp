// Reference values:
//  * statsmodels 0.13.5 (Debian's python3-statsmodels), ExponentialSmoothing
//    with known initial states and fixed parameters (its trend smoothing is
//    β/α in ETS terms: β_ets = α·β_sm);
//  * R 4.2.2 with forecast 8.20 (Debian's r-base-core, r-cran-forecast):
//    ets(), forecast(), decompose(), naive(), snaive(), accuracy(), lm() +
//    predict(interval = "prediction"), printed with 17 significant digits.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "core/forecast/ets.hpp"
#include "core/forecast/forecast.hpp"
#include "core/forecast/timeseries.hpp"
#include "testing.hpp"

using namespace pgcrm;

namespace {

#include "data/series.inc"

using pgcrm::testing::expect_relative;

ets::Spec spec(const char* code) {
    ets::Spec s;
    EXPECT_TRUE(ets::parse_spec(code, s)) << code;
    return s;
}

template <typename F>
void expect_error(const char* sqlstate, F&& f) {
    try {
        f();
        ADD_FAILURE() << "no error raised";
    } catch (const Error& e) {
        EXPECT_STREQ(e.sqlstate(), sqlstate) << e.what();
    }
}

constexpr int64_t day = 86400LL * 1000000;

// Wall-clock microseconds of a date (2000-01-01 = 0), counted independently
// of the code under test: whole days from the epoch by a table of month lengths.
int64_t date(int year, int month, int dom) {
    static const int days_in[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t days = 0;
    for (int y = 2000; y < year; ++y) days += (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 366 : 365;
    for (int m = 1; m < month; ++m) days += days_in[m - 1] + (m == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));
    return (days + dom - 1) * day;
}

}  // namespace

TEST(Ets, ParsesModelCodes) {
    EXPECT_EQ(spec("MAdM").name(), "ETS(M,Ad,M)");
    EXPECT_EQ(spec("ETS(A,N,A)").name(), "ETS(A,N,A)");
    EXPECT_EQ(spec("ANN").parameter_count(1), 2);
    EXPECT_EQ(spec("AAdA").parameter_count(12), 17);
    ets::Spec s;
    EXPECT_FALSE(ets::parse_spec("AXN", s));
    EXPECT_FALSE(ets::parse_spec("ETS(A,A)", s));
    EXPECT_FALSE(ets::parse_spec("", s));
}

// Holt–Winters with fixed parameters and initial states. References:
//  * additive: statsmodels' ETSModel.smooth (the state-space form), all 14
//    steps; its ExponentialSmoothing agrees on every step but the 12th, for
//    which it uses the seasonal state from before the last observation;
//  * multiplicative: R's ets(..., use.initial.values = TRUE) point forecasts
//    for the first season (beyond it R reports the simulated-free mean, which
//    adds variance terms), and ExponentialSmoothing's in-sample SSE;
//  * damped multiplicative: ExponentialSmoothing, every step but the 12th.
TEST(Ets, FixedParameterHoltWintersMatchesStatsmodelsAndR) {
    const std::vector<double> add_season{-25, -30, -5, -10, -8, 10, 30, 30, 12, -8, -24, -10};
    const std::vector<double> mul_season{0.9, 0.88, 1.0, 0.97, 0.98, 1.1, 1.22, 1.21, 1.06, 0.92, 0.8, 0.9};
    ets::Params p;
    p.alpha = 0.3;
    p.beta = 0.3 * 0.1;
    p.gamma = 0.2;
    struct Case {
        const char* code;
        std::vector<double> season;
        double phi, sse;
        std::vector<double> forecast;
        int skip;  // the step statsmodels' ExponentialSmoothing gets wrong, or −1
    } cases[] = {
        {"AAA", add_season, 1, 79547.50161037562,
         {472.6639381423451, 463.2789084712389, 510.50919534444495, 516.699989123138, 526.3907143481274,
          574.8668818965891, 621.5257180104912, 606.9978687743212, 528.2390032076378, 485.9056551542461,
          447.9552404201976, 491.49447493011485, 514.2936855983457, 504.9086559272395},
         -1},
        {"MAM", mul_season, 1, 24880.99765231284,
         {455.99750987051607, 439.55885631562711, 508.07125990108023, 511.64237714472853, 523.60185588724858,
          597.53682837846543, 671.69271589333289, 662.06450631581788, 558.99969979574610, 493.58115545673439,
          429.19091924950607, 481.03858945371496},
         -1},
        {"MAdM", mul_season, 0.95, 26828.062766131643,
         {452.1596305712878, 434.56894070054784, 500.78068463833785, 502.76938843071, 512.6943991669116,
          582.8489337034412, 652.567053433208, 640.5018545484133, 538.4302346854978, 473.4670868703387,
          409.9463677329394, NAN, 473.089296937934, 453.5828538489923},
         11},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.code);
        p.phi = c.phi;
        // The point recursion does not depend on the error type.
        const ets::Model model = ets::evaluate(air_passengers, 12, spec(c.code), p, {118.0, 1.5, c.season});
        double sse = 0;
        for (size_t i = 0; i < air_passengers.size(); ++i) sse += std::pow(air_passengers[i] - model.fitted[i], 2);
        EXPECT_NEAR(sse, c.sse, 1e-6 * c.sse);
        const std::vector<double> f = ets::point_forecast(model, static_cast<int>(c.forecast.size()));
        for (size_t h = 0; h < f.size(); ++h) {
            if (static_cast<int>(h) == c.skip) continue;
            EXPECT_NEAR(f[h], c.forecast[h], 1e-6 * c.forecast[h]) << "step " << h + 1;
        }
    }
}

// Maximum likelihood: our log-likelihood must be at least R's for the same
// model (R: ets(y, model, damped)$loglik; 1e-6 allows for R's own stopping).
TEST(Ets, LikelihoodIsNoWorseThanRs) {
    struct Case {
        const std::vector<double>* y;
        int m;
        const char* code;
        double r_loglik;
    } cases[] = {
        {&air_passengers, 12, "MAM", -682.40361905780605},  {&air_passengers, 12, "MAdM", -679.58321623695645},
        {&air_passengers, 12, "AAA", -765.93584751167032},  {&air_passengers, 12, "MNM", -715.65719689784396},
        {&us_acc_deaths, 12, "AAA", -555.92493373345599},   {&us_acc_deaths, 12, "MAA", -555.00607362332187},
        {&us_acc_deaths, 12, "ANA", -555.07233501262772},   {&uk_gas, 4, "MAM", -618.3607797331066},
        {&uk_gas, 4, "AAdA", -647.58410994999383},          {&uk_gas, 4, "MNM", -635.70788030492827},
        {&nile, 1, "ANN", -726.39051999920582},             {&nile, 1, "AAdN", -726.50204680102365},
        {&nile, 1, "MNN", -726.15095780314834},             {&nile, 1, "MAN", -725.74124118671455},
    };
    for (const Case& c : cases) {
        const ets::Model model = ets::fit(*c.y, c.m, spec(c.code));
        EXPECT_GE(model.loglik, c.r_loglik - 1e-6 * std::fabs(c.r_loglik)) << c.code;
        EXPECT_TRUE(ets::admissible(model.params, model.spec, model.m)) << c.code;
        EXPECT_GE(model.params.alpha, 1e-4);
        EXPECT_LE(model.params.alpha, 0.9999);
    }
}

// Class 1 (additive error): analytic intervals at R's estimates.
TEST(Ets, AdditiveErrorIntervalsMatchR) {
    ets::Params p;
    p.alpha = 5.3783633857946700e-01;
    p.beta = 1.1812290416761775e-03;
    p.gamma = 3.7151621867448177e-03;
    // R's seasonal states run from the most recent back; ours from the first.
    const std::vector<double> r_season{5.8221647918342477e+01, -2.6049272469582786e+02, 2.3087962879893689e+02,
                                       -4.7981725242358266e+01, 9.8877543913759541e+02, 1.6989570148646330e+03,
                                       7.5192604592956695e+02, 3.3391331096684956e+02, -5.1448120850658484e+02,
                                       -7.4124562745861499e+02, -1.5107415228854543e+03};
    std::vector<double> season(12);
    double sum = 0;
    for (int j = 0; j < 11; ++j) sum += season[11 - j] = r_season[j];
    season[0] = -sum;
    const ets::Model model = ets::evaluate(us_acc_deaths, 12, spec("AAA"), p, {9.9331304900731284e+03, -2.0046857258990041e+01, season});
    EXPECT_NEAR(model.sigma2, 90853.861735302533, 1e-6 * 90853.86);
    expect_relative(ets::point_forecast(model, 14),
                    {8034.8431346480093, 7485.7253605618162, 8238.4928597915441, 8446.9935973702850,
                     9277.1948792939638, 9677.8647339217496, 10603.7517131454824, 9875.7537834457216,
                     8820.3567155032524, 9081.0193978426978, 8570.2486420229106, 8869.2260244917943,
                     7810.3154920739607, 7261.1977179877695},
                    1e-8);
    const ets::Intervals iv = ets::intervals(model, 14, {80, 95});
    expect_relative(iv.lower[1],
                    {7444.0712932767383, 6814.5971239256423, 7495.3510350006009, 7637.9495146779664,
                     8406.9697636368346, 8750.2446509949114, 9621.8580831232703, 8842.2156984386747,
                     7737.4266117351199, 7950.6539772408360, 7394.1674073932254, 7648.9548076441624,
                     6546.6511361564644, 5955.9572534683512},
                    1e-8);
    expect_relative(iv.upper[0],
                    {8421.1280787393098, 7924.5525273498388, 8724.4071809192355, 8975.9990887708063,
                     9846.2044979111852, 10284.4029044608760, 11245.7774486584422, 10551.5480130022297,
                     9528.4466502196337, 9820.1256190979548, 9339.2468273650757, 9667.1184861265338,
                     8636.5812022722093, 8114.6485843870132},
                    1e-8);
}

// Class 2 (multiplicative error, no multiplicative season): analytic too.
TEST(Ets, MultiplicativeErrorIntervalsMatchR) {
    ets::Params p;
    p.alpha = 1.2690371260831712e-01;
    p.beta = 1.0000114463964548e-04;
    const ets::Model model = ets::evaluate(nile, 1, spec("MAN"), p, {1.1121875114965173e+03, -2.0154375864889622e+00, {}});
    EXPECT_NEAR(model.sigma2, 0.024854174427694688, 1e-8);
    const ets::Intervals iv = ets::intervals(model, 14, {80, 95});
    expect_relative(ets::point_forecast(model, 3), {830.92593894288029, 828.85446045969888, 826.78298197651748}, 1e-8);
    expect_relative(iv.lower[1],
                    {574.17615991804496, 570.62606757066646, 567.08911754235680, 563.56507762292779,
                     560.05372263824495, 556.55483414744481, 553.06820015673202, 549.59361484866918,
                     546.13087832591918, 542.67979636854307, 539.24018020394419, 535.81184628869778,
                     532.39461610149260, 528.98831594652074},
                    1e-8);
    expect_relative(iv.upper[0],
                    {998.80559584367973, 997.70093099964913, 996.58767285507304, 995.46597324403228,
                     994.33597939997969, 993.19783415371853, 992.05167612054095, 990.89763987723563,
                     989.73585612964609, 988.56645187136428, 987.38955053415657, 986.20527213061769,
                     985.01373338955909, 983.81504788456471},
                    1e-8);
}

// Class 3 is simulated: reproducible for a seed, and the band contains the
// point forecast and widens with the horizon.
TEST(Ets, SimulatedIntervalsAreReproducibleAndWiden) {
    const ets::Model model = ets::fit(air_passengers, 12, spec("MAM"));
    const ets::Intervals a = ets::intervals(model, 24, {80, 95}), b = ets::intervals(model, 24, {80, 95});
    EXPECT_EQ(a.lower, b.lower);
    const std::vector<double> point = ets::point_forecast(model, 24);
    for (int h = 0; h < 24; ++h) {
        EXPECT_LT(a.lower[1][h], a.lower[0][h]);
        EXPECT_LT(a.lower[0][h], point[h]);
        EXPECT_GT(a.upper[0][h], point[h]);
        EXPECT_LT(a.upper[0][h], a.upper[1][h]);
    }
    EXPECT_GT(a.upper[1][23] - a.lower[1][23], a.upper[1][11] - a.lower[1][11]);
    EXPECT_GT(a.upper[1][12] / point[12] - a.lower[1][12] / point[12], a.upper[1][0] / point[0] - a.lower[1][0] / point[0]);
}

// Method 'ets' is what 'auto' was before combinations: these pin its choices.
TEST(Forecast, AutoChoosesTheLowestAiccAndRsModels) {
    struct Case {
        const std::vector<double>* y;
        int m;
        const char* r_choice;  // ets(y)$method; AirPassengers differs, below
    } cases[] = {{&us_acc_deaths, 12, "ETS(A,N,A)"}, {&uk_gas, 4, "ETS(M,A,M)"}, {&nile, 1, "ETS(M,N,N)"}};
    for (const Case& c : cases) {
        forecast::Options o;
        o.horizon = 8;
        o.season_length = c.m;
        o.method = "ets";
        const forecast::Result r = forecast::forecast(*c.y, o);
        EXPECT_EQ(r.model, c.r_choice);
        EXPECT_EQ(r.note, "");
    }
    // R picks ETS(M,Ad,M) (AICc 1400.64) for AirPassengers; our ETS(M,A,M)
    // reaches a higher likelihood than R's (−676.0 against −682.4), and its
    // AICc is lower than R's best.
    forecast::Options o;
    o.horizon = 12;
    o.season_length = 12;
    o.method = "ets";
    const forecast::Result r = forecast::forecast(air_passengers, o);
    EXPECT_LT(r.aicc, 1400.6384324739129);
    for (const char* code : {"ANN", "AAN", "AAdN", "ANA", "AAA", "AAdA", "MNN", "MAN", "MAdN", "MNA", "MAA", "MAdA",
                             "MNM", "MAM", "MAdM"})
        EXPECT_LE(r.aicc, ets::fit(air_passengers, 12, spec(code)).aicc + 1e-6) << code;
}

TEST(Forecast, AutoFallsBackAndSaysWhy) {
    forecast::Options o;
    o.horizon = 3;
    o.season_length = 12;
    o.method = "ets";
    const std::vector<double> short_series(air_passengers.begin(), air_passengers.begin() + 15);
    forecast::Result r = forecast::forecast(short_series, o);
    EXPECT_EQ(r.model.find("ETS("), 0u);
    EXPECT_EQ(r.model.back(), ')');
    EXPECT_EQ(r.model[r.model.size() - 2], 'N');  // non-seasonal
    EXPECT_NE(r.note.find("too few for seasonal models"), std::string::npos) << r.note;

    r = forecast::forecast({5, 7, 6}, o);
    EXPECT_EQ(r.model, "naive");
    EXPECT_NE(r.note.find("too few for any ETS model"), std::string::npos);
    EXPECT_EQ(r.point, std::vector<double>(3, 6.0));

    r = forecast::forecast({4}, o);
    EXPECT_EQ(r.model, "naive");
    EXPECT_TRUE(std::isnan(r.lower[0][0]));

    r = forecast::forecast(std::vector<double>(30, 2.5), o);
    EXPECT_EQ(r.model, "constant");
    EXPECT_EQ(r.upper[1][2], 2.5);

    std::vector<double> with_zero = nile;
    with_zero[10] = 0;
    o.season_length = 1;
    r = forecast::forecast(with_zero, o);
    EXPECT_EQ(r.model[4], 'A');
    EXPECT_NE(r.note.find("multiplicative models left out"), std::string::npos);
}

TEST(Forecast, ExplicitMethodsFailClearly) {
    forecast::Options o;
    o.horizon = 3;
    o.season_length = 12;
    o.method = "hw_multiplicative";
    const std::vector<double> short_series(air_passengers.begin(), air_passengers.begin() + 15);
    expect_error(sqlstate::insufficient_data, [&] { forecast::forecast(short_series, o); });
    std::vector<double> with_zero = air_passengers;
    with_zero[3] = 0;
    expect_error(sqlstate::invalid_parameter_value, [&] { forecast::forecast(with_zero, o); });
    o.method = "ANM";
    expect_error(sqlstate::invalid_parameter_value, [&] { forecast::forecast(air_passengers, o); });
    o.method = "arima(1,3,0)";
    expect_error(sqlstate::invalid_parameter_value, [&] { forecast::forecast(air_passengers, o); });
    o.method = "auto";
    o.horizon = 0;
    expect_error(sqlstate::invalid_parameter_value, [&] { forecast::forecast(air_passengers, o); });
    o.horizon = 3;
    o.levels = {80, 100};
    expect_error(sqlstate::invalid_parameter_value, [&] { forecast::forecast(air_passengers, o); });
    o.levels = {NAN};
    expect_error(sqlstate::invalid_parameter_value, [&] { forecast::forecast(air_passengers, o); });
    o.levels = {95};
    expect_error(sqlstate::invalid_parameter_value, [&] { forecast::forecast({1, NAN, 3}, o); });
    expect_error(sqlstate::insufficient_data,
                 [&] { forecast::forecast(short_series, forecast::Options{3, 24, "snaive", {95}, {}}); });
}

// Found by the bad-input campaign: 2·m overflowed for m = INT_MAX, the length
// check passed, and decompose asked for 16 GiB.
TEST(Forecast, HugeSeasonLengthsAreRefused) {
    const int huge = std::numeric_limits<int>::max();
    expect_error(sqlstate::invalid_parameter_value, [&] { timeseries::decompose(air_passengers, huge, false); });
    expect_error(sqlstate::invalid_parameter_value,
                 [&] { forecast::forecast(air_passengers, forecast::Options{3, huge, "snaive", {95}, {}}); });
    expect_error(sqlstate::invalid_parameter_value,
                 [&] { forecast::forecast(air_passengers, forecast::Options{3, timeseries::max_season_length + 1, "auto", {95}, {}}); });
    EXPECT_NO_THROW(forecast::forecast(air_passengers, forecast::Options{3, timeseries::max_season_length, "auto", {95}, {}}));
}

TEST(Forecast, BaselinesMatchR) {
    forecast::Options o;
    o.horizon = 5;
    o.levels = {95};
    o.method = "naive";
    expect_relative(forecast::forecast(nile, o).upper[0],
                    {1067.9502693115742, 1203.7917186443369, 1308.0265288035425, 1395.9005386231481,
                     1473.3190954200427},
                    1e-10);
    o.method = "snaive";
    o.season_length = 12;
    o.horizon = 14;
    o.levels = {80};
    const std::vector<double> lo{7119.0931929033322, 6175.0931929033322, 7074.0931929033322, 7475.0931929033322,
                                 8398.0931929033322, 8717.0931929033322, 9767.0931929033322, 9110.0931929033322,
                                 8393.0931929033322, 8353.0931929033322, 7916.0931929033322, 8523.0931929033322,
                                 6822.1406704463006, 5878.1406704463006};
    expect_relative(forecast::forecast(us_acc_deaths, o).lower[0], lo, 1e-10);
    o.method = "linear";
    o.season_length = 1;
    o.horizon = 3;
    o.levels = {95};
    const forecast::Result r = forecast::forecast(nile, o);
    expect_relative(r.point, {782.27757575757551, 779.56327032703234, 776.84896489648941}, 1e-10);
    expect_relative(r.lower[0], {477.50620169888117, 474.61268925124983, 471.71577130595671}, 1e-10);
}

TEST(Timeseries, DecompositionMatchesR) {
    timeseries::Decomposition d = timeseries::decompose(air_passengers, 12, true);
    expect_relative(d.figure,
                    {0.91023036737220087, 0.88362532069437572, 1.00736628760354541, 0.97590601232284724,
                     0.98137802749512937, 1.11277582667927288, 1.22655554293120139, 1.21991096944562494,
                     1.06049193264681829, 0.92175724041049767, 0.80117808241347432, 0.89882438998501135},
                    1e-12);
    EXPECT_TRUE(std::isnan(d.trend[5]));
    EXPECT_NEAR(d.trend[6], 126.79166666666664, 1e-10);
    EXPECT_NEAR(d.remainder[6], 0.9516643164028834, 1e-12);
    d = timeseries::decompose(us_acc_deaths, 12, false);
    EXPECT_NEAR(d.figure[1], -1523.309027777777374, 1e-8);
    EXPECT_NEAR(d.figure[6], 1679.440972222222172, 1e-8);
    EXPECT_NEAR(d.trend[65], 8783.5, 1e-9);
    EXPECT_TRUE(std::isnan(d.trend[69]));
    expect_error(sqlstate::insufficient_data, [] { timeseries::decompose({1, 2, 3, 4, 5}, 4, false); });
    expect_error(sqlstate::invalid_parameter_value, [] { timeseries::decompose({1, 2, 0, 4, 5, 6, 7, 8}, 4, true); });
}

// R: accuracy(naive(window(USAccDeaths, end = c(1977, 12)), h = 12), USAccDeaths)
// gives the test-set MAE 778.6667, RMSE 946.0507, MAPE 9.180472, MASE 1.616539.
TEST(Timeseries, AccuracyMatchesR) {
    const std::vector<double> history(us_acc_deaths.begin(), us_acc_deaths.begin() + 60);
    const std::vector<double> actual(us_acc_deaths.begin() + 60, us_acc_deaths.end());
    const timeseries::Accuracy a =
        timeseries::accuracy(actual, std::vector<double>(12, history.back()), timeseries::mase_scale(history, 12));
    EXPECT_EQ(a.n, 12);
    EXPECT_NEAR(a.mae, 778.6667, 1e-4);
    EXPECT_NEAR(a.rmse, 946.0507, 1e-4);
    EXPECT_NEAR(a.mape, 9.180472, 1e-6);
    EXPECT_NEAR(a.mase, 1.616539, 1e-6);
    // sMAPE by hand: |y − f| = 1, |y| + |f| = 3 and 5 → 200·(1/3 + 1/5)/2.
    EXPECT_NEAR(timeseries::accuracy({1, 2}, {2, 3}, NAN).smape, 100 * (1.0 / 3 + 1.0 / 5), 1e-12);
    EXPECT_TRUE(std::isnan(timeseries::accuracy({0, 2}, {1, 3}, 1).mape));
}

TEST(Forecast, BacktestRollsTheOrigin) {
    forecast::Options o;
    o.horizon = 2;
    o.method = "naive";
    const std::vector<double> y{10, 12, 11, 15, 14, 18};
    const auto rows = forecast::backtest(y, o, 3);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].train, 2);
    EXPECT_EQ(rows[2].train, 4);
    // Origin after 15: forecasts 15, 15 against 14, 18 → MAE 2; the naive
    // scale of {10, 12, 11, 15} is (2 + 1 + 4) / 3.
    EXPECT_DOUBLE_EQ(rows[2].accuracy.mae, 2.0);
    EXPECT_DOUBLE_EQ(rows[2].accuracy.mase, 2.0 / (7.0 / 3));
    expect_error(sqlstate::insufficient_data, [&] { forecast::backtest(y, o, 6); });
}

TEST(Timeseries, InfersTheStepAndTheSeasonLength) {
    std::vector<int64_t> t;
    std::vector<double> v;
    for (int k = 0; k < 24; ++k) {
        t.push_back(date(2023 + k / 12, k % 12 + 1, 1));
        v.push_back(k);
    }
    timeseries::Grid g = timeseries::regularize(t, v, 0, timeseries::Fill::error);
    EXPECT_EQ(g.step.months, 1);
    EXPECT_EQ(g.step.season_length(), 12);
    EXPECT_EQ(g.time_at(24), date(2025, 1, 1));

    std::vector<int64_t> quarters{date(2020, 1, 1), date(2020, 4, 1), date(2020, 7, 1), date(2020, 10, 1)};
    g = timeseries::regularize(quarters, {1, 2, 3, 4}, 0, timeseries::Fill::error);
    EXPECT_EQ(g.step.season_length(), 4);
    EXPECT_EQ(g.step.label(), "3 months");
    // The same four points, told they are monthly: gaps.
    expect_error(sqlstate::invalid_parameter_value,
                 [&] { timeseries::regularize(quarters, {1, 2, 3, 4}, 12, timeseries::Fill::error); });
    g = timeseries::regularize(quarters, {1, 2, 3, 4}, 12, timeseries::Fill::linear);
    EXPECT_EQ(g.values.size(), 10u);
    EXPECT_EQ(g.filled, 6);
    EXPECT_NEAR(g.values[1], 1 + 1.0 / 3, 1e-12);

    std::vector<int64_t> weeks{date(2024, 1, 1), date(2024, 1, 8), date(2024, 1, 22)};
    g = timeseries::regularize(weeks, {5, 6, 7}, 0, timeseries::Fill::zero);
    EXPECT_EQ(g.step.season_length(), 52);
    EXPECT_EQ(g.values, (std::vector<double>{5, 6, 0, 7}));

    std::vector<int64_t> days{date(2024, 3, 1), date(2024, 3, 3), date(2024, 3, 2)};  // unsorted input
    g = timeseries::regularize(days, {1, 3, 2}, 0, timeseries::Fill::error);
    EXPECT_EQ(g.step.season_length(), 7);
    EXPECT_EQ(g.values, (std::vector<double>{1, 2, 3}));

    // Month ends: Jan 31 + 1 month is Feb 29 in 2024, as PostgreSQL's interval arithmetic.
    g = timeseries::regularize({date(2023, 12, 31), date(2024, 1, 31)}, {1, 2}, 0, timeseries::Fill::error);
    EXPECT_EQ(g.time_at(2), date(2024, 2, 29));
}

TEST(Timeseries, RejectsDuplicatesIrregularTimesAndNonFiniteValues) {
    using timeseries::Fill;
    expect_error(sqlstate::invalid_parameter_value,
                 [] { timeseries::regularize({date(2024, 1, 1), date(2024, 1, 1)}, {1, 2}, 0, Fill::zero); });
    expect_error(sqlstate::invalid_parameter_value, [] {
        timeseries::regularize({0, 1000003, 2000000 * 1000LL + 17}, {1, 2, 3}, 0, Fill::zero);
    });
    expect_error(sqlstate::invalid_parameter_value,
                 [] { timeseries::regularize({0, day}, {1, INFINITY}, 0, Fill::zero); });
}

// Four years of noisy monthly demand on which refining ETS(A,A,A) once made
// the admissibility check's eigenvalue solver return no roots (an Eigen
// assertion on an empty vector): 'auto' must still forecast it.
TEST(Forecast, AutoSurvivesASolverFailureWhileRefining) {
    const std::vector<double> y{65,  67,  134, 107, 133, 159, 161, 146, 147, 110, 106, 81,  98,  81,  113, 129,
                                163, 170, 174, 162, 146, 176, 110, 85,  98,  86,  139, 147, 164, 192, 199, 196,
                                171, 140, 144, 92,  90,  112, 113, 136, 179, 197, 206, 189, 197, 150, 159, 111};
    forecast::Options o;
    o.horizon = 6;
    o.season_length = 12;
    o.method = "ets";
    const forecast::Result r = forecast::forecast(y, o);
    EXPECT_EQ(r.model.find("ETS("), 0u);
    for (double v : r.point) EXPECT_TRUE(std::isfinite(v));
    for (const char* code : {"AAA", "MAA"}) EXPECT_NO_THROW(ets::fit(y, 12, spec(code))) << code;
}

// Interval scores by hand: 80% intervals (α = 0.2, 2/α = 10) [8, 12] and
// [1, 3] against actuals 10 (inside: width 4) and 5 (above by 2: 2 + 10·2
// = 22); Winkler (4 + 22)/2 = 13, MSIS 13/scale, coverage 1/2; bias is the
// mean of forecast − actual, (9 − 10 + 2 − 5)/2 = −2 (R's ME is its negative).
TEST(Timeseries, IntervalScoresByHand) {
    timeseries::Accuracy a = timeseries::accuracy({10, 5}, {9, 2}, 4.0);
    EXPECT_DOUBLE_EQ(a.bias, -2.0);
    timeseries::interval_accuracy(a, {10, 5}, {8, 1}, {12, 3}, 80, 4.0);
    EXPECT_DOUBLE_EQ(a.coverage, 0.5);
    EXPECT_NEAR(a.winkler, 13.0, 1e-12);
    EXPECT_NEAR(a.msis, 13.0 / 4, 1e-12);
    EXPECT_THROW(timeseries::interval_accuracy(a, {10, 5}, {8, 4}, {12, 3}, 80, 4.0), Error);
    EXPECT_THROW(timeseries::interval_accuracy(a, {10, 5}, {8, 1}, {12, 3}, 100, 4.0), Error);
}
