#include "core/credit.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/error.hpp"

using namespace pgcrm::credit;

namespace {
int64_t principal_sum(const std::vector<Payment>& plan) {
    return std::accumulate(plan.begin(), plan.end(), int64_t{0},
                           [](int64_t s, const Payment& p) { return s + p.principal; });
}
}  // namespace

// Level payments from the closed form P·r/(1−(1+r)^−n), evaluated independently
// with Python's decimal module at 50 digits and rounded half-up to the cent.
TEST(Loan, AnnuityPaymentMatchesTheClosedForm) {
    EXPECT_EQ(annuity_payment(10'000'000, 12.0 / 1200, 12), 888'488);
    EXPECT_EQ(annuity_payment(25'000'000, 18.5 / 1200, 36), 910'093);
    EXPECT_EQ(annuity_payment(100'000'000, 9.9 / 1200, 240), 958'406);
    EXPECT_EQ(annuity_payment(500'000, 0.0, 7), 71'429);
}

TEST(Loan, AnnuityScheduleRepaysExactlyTheAmount) {
    for (auto [amount, rate, n] : {std::tuple{10'000'000LL, 12.0, 12}, {25'000'000LL, 18.5, 36},
                                   {100'000'000LL, 9.9, 240}, {500'000LL, 0.0, 7}, {1LL, 30.0, 3}}) {
        const auto plan = schedule(amount, rate, n, Method::annuity);
        ASSERT_EQ(static_cast<int>(plan.size()), n);
        EXPECT_EQ(principal_sum(plan), amount);
        EXPECT_EQ(plan.back().balance, 0);
        const int64_t level = annuity_payment(amount, rate / 1200, n);
        for (size_t k = 0; k + 1 < plan.size(); ++k) {
            EXPECT_EQ(plan[k].payment, level) << "period " << k + 1;
            EXPECT_EQ(plan[k].payment, plan[k].principal + plan[k].interest);
        }
    }
}

TEST(Loan, FirstPeriodInterestIsBalanceTimesMonthlyRate) {
    const auto plan = schedule(10'000'000, 12.0, 12, Method::annuity);
    EXPECT_EQ(plan[0].interest, 100'000);  // 100,000.00 × 1% = 1,000.00
    EXPECT_EQ(plan[0].principal, 788'488);
    EXPECT_EQ(plan[0].balance, 9'211'512);
}

TEST(Loan, DifferentiatedHasLevelPrincipalAndFallingPayments) {
    const auto plan = schedule(10'000'000, 12.0, 12, Method::differentiated);
    EXPECT_EQ(principal_sum(plan), 10'000'000);
    EXPECT_EQ(plan[0].principal, 833'333);
    EXPECT_EQ(plan[0].interest, 100'000);
    EXPECT_EQ(plan.back().principal, 10'000'000 - 11 * 833'333);
    for (size_t k = 1; k < plan.size(); ++k) EXPECT_LT(plan[k].payment, plan[k - 1].payment);
}

TEST(Loan, BadInputIsAnErrorNamingTheValue) {
    EXPECT_THROW(schedule(0, 10, 12, Method::annuity), pgcrm::Error);
    EXPECT_THROW(schedule(100, -1, 12, Method::annuity), pgcrm::Error);
    EXPECT_THROW(schedule(100, NAN, 12, Method::annuity), pgcrm::Error);
    EXPECT_THROW(schedule(100, 10, 0, Method::annuity), pgcrm::Error);
    EXPECT_THROW(schedule(100, 10, 1201, Method::annuity), pgcrm::Error);
    try {
        parse_method("balloon");
        FAIL();
    } catch (const pgcrm::Error& e) {
        EXPECT_STREQ(e.sqlstate(), "22023");
        EXPECT_NE(std::string(e.what()).find("balloon"), std::string::npos);
    }
}
