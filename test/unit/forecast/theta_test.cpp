// Theta against R 4.2.2 with forecast 8.20 (Debian's r-base-core and
// r-cran-forecast): f <- thetaf(y, h = 8); f$mean, f$lower[, 2] (95%),
// f$model$alpha and ses(seasadj(decompose(y, "multiplicative")))$model$par["l"]
// (or of y itself when not seasonal), printed with 17 significant digits.
#include <gtest/gtest.h>

#include <vector>

#include "core/forecast/theta.hpp"
#include "../testing.hpp"

using namespace pgcrm;
using pgcrm::testing::expect_relative;

namespace {

#include "../data/series.inc"

struct Case {
    const char* name;
    const std::vector<double>* y;
    int m;
    bool seasonal;
    double alpha, level0, drift;
    std::vector<double> mean, lower95;
};

const std::vector<Case>& cases() {
    static const std::vector<Case> all = {
        {"AirPassengers", &air_passengers, 12, true, 0.83775208994930184, 124.66925817277837, 1.3230696288025467,
         {440.07819108158640, 428.38428055698267, 489.70709866963773, 475.70462766137348, 479.67038866920922,
          545.36627215421584, 602.75200182239598, 601.10076309148610},
         {418.99671856932514, 400.88262446857067, 457.02294819994745, 438.55403821456366, 438.53550200879067,
          500.60030846654854, 554.62816044199894, 549.83852832235345}},
        {"USAccDeaths", &us_acc_deaths, 12, true, 0.55170261162723444, 9862.1239149950597, -5.8496339295881867,
         {8270.6938063391572, 7508.9238670619334, 8322.1248067686956, 8554.1435053565310, 9450.0929744973710,
          9870.9336198768051, 10822.4977308500893, 10091.8407060367390},
         {7759.0021807539033, 6924.5245887019428, 7673.1127010254550, 7846.3929064483618, 8688.1184951947707,
          9058.3455914379992, 9962.2689817282844, 9186.4746487597604}},
        {"UKgas", &uk_gas, 4, true, 0.23742908125153914, 127.56919615102865, 2.8087527999656854,
         {999.74391714309422, 660.09764195380956, 387.18946722445844, 718.36074299386030, 1016.07637264266202,
          670.83755533475050, 393.46359272600995, 729.95429341125100},
         {847.96426486060795, 504.09853537550646, 227.08206683501635, 554.24786091051669, 848.05346803755242,
          498.99357121492710, 217.88166516963972, 550.71235721704784}},
        {"Nile", &nile, 1, false, 0.24566815365311614, 1110.7340965836506, -1.3571527152715268,
         {799.81199621585620, 798.45484350058473, 797.09769078531315, 795.74053807004157, 794.38338535477010,
          793.02623263949852, 791.66907992422705, 790.31192720895547},
         {517.12294256295945, 507.36021319206480, 497.83348221078700, 488.52392186411254, 479.41508216807694,
          470.49249060374143, 461.74333450433431, 453.15620616872826}},
    };
    return all;
}

}  // namespace

// At R's SES parameters the method is R's to rounding.
TEST(Theta, AtRsParametersMatchesThetaf) {
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(theta::seasonality_test(*c.y, c.m), c.seasonal);
        const theta::Model model = theta::evaluate(*c.y, c.m, c.alpha, c.level0);
        EXPECT_NEAR(model.drift, c.drift, 1e-12 * std::fabs(c.drift));
        const forecast::Prediction p = theta::predict(model, 8, {80, 95});
        expect_relative(p.point, c.mean, 1e-10);
        expect_relative(p.lower[1], c.lower95, 1e-10);
    }
}

// Fitted end to end. R's Nelder–Mead stops where the SES likelihood is flat
// to ~1e-9, so α differs from ours in the fourth digit: our likelihood is
// R's to 1e-9 relative, the forecasts R's to 5e-5 (2e-5 at worst, Nile)
// and the 95% bounds to 1e-4.
TEST(Theta, FittedMatchesThetaf) {
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.name);
        const theta::Model model = theta::fit(*c.y, c.m);
        const double r_loglik = theta::evaluate(*c.y, c.m, c.alpha, c.level0).ses.loglik;
        EXPECT_GE(model.ses.loglik, r_loglik - 1e-9 * std::fabs(r_loglik));
        const forecast::Prediction p = theta::predict(model, 8, {95});
        expect_relative(p.point, c.mean, 5e-5);
        expect_relative(p.lower[0], c.lower95, 1e-4);
        ASSERT_EQ(model.residuals.size(), c.y->size());
        EXPECT_NEAR(model.residuals[10], (*c.y)[10] - model.fitted[10], 1e-9);
    }
}
