#include "credit.hpp"

#include <cmath>
#include <string>

#include "error.hpp"

namespace pgcrm::credit {

namespace {

constexpr int64_t max_amount_cents = 100'000'000'000'000;  // 1e12 in currency units

int64_t round_cents(double value) { return std::llround(value); }

}  // namespace

Method parse_method(std::string_view name) {
    if (name == "annuity") return Method::annuity;
    if (name == "differentiated") return Method::differentiated;
    throw Error(sqlstate::invalid_parameter_value, "unknown repayment method \"" + std::string(name) + "\"",
                "Use 'annuity' (level payments) or 'differentiated' (level principal).");
}

int64_t annuity_payment(int64_t amount_cents, double monthly_rate, int term_months) {
    const double p = static_cast<double>(amount_cents);
    if (monthly_rate == 0.0) return round_cents(p / term_months);
    return round_cents(p * monthly_rate / -std::expm1(-term_months * std::log1p(monthly_rate)));
}

std::vector<Payment> schedule(int64_t amount_cents, double annual_rate_pct, int term_months, Method method) {
    if (amount_cents <= 0 || amount_cents > max_amount_cents)
        throw Error(sqlstate::invalid_parameter_value,
                    "loan amount must be positive and at most 1e12, not " + std::to_string(amount_cents / 100.0));
    if (!std::isfinite(annual_rate_pct) || annual_rate_pct < 0 || annual_rate_pct >= 1000)
        throw Error(sqlstate::invalid_parameter_value,
                    "annual rate must be a percentage from 0 to below 1000, not " + std::to_string(annual_rate_pct));
    if (term_months < 1 || term_months > 1200)
        throw Error(sqlstate::invalid_parameter_value,
                    "term must be 1 to 1200 months, not " + std::to_string(term_months));

    const double r = annual_rate_pct / 1200.0;
    const int64_t level_payment = annuity_payment(amount_cents, r, term_months);
    const int64_t level_principal = round_cents(static_cast<double>(amount_cents) / term_months);

    std::vector<Payment> plan;
    plan.reserve(term_months);
    int64_t balance = amount_cents;
    for (int k = 1; k <= term_months; ++k) {
        const int64_t interest = round_cents(static_cast<double>(balance) * r);
        int64_t principal = method == Method::annuity ? level_payment - interest : level_principal;
        // The last payment clears the balance; none may overshoot it.
        if (k == term_months || principal > balance) principal = balance;
        balance -= principal;
        plan.push_back({k, principal + interest, principal, interest, balance});
    }
    return plan;
}

}  // namespace pgcrm::credit
