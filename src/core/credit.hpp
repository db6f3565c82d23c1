// Loan repayment schedules in whole cents: every payment is rounded to the
// cent and the last one absorbs the rounding, so principal sums exactly to the
// amount borrowed.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace pgcrm::credit {

enum class Method { annuity, differentiated };

struct Payment {
    int period;  // 1-based
    int64_t payment;
    int64_t principal;
    int64_t interest;
    int64_t balance;  // outstanding after this payment
};

// Throws pgcrm::Error (22023) for an unknown name.
Method parse_method(std::string_view name);

// The annuity's level payment, P·r / (1 − (1 + r)^−n) rounded to the cent;
// P / n when the rate is zero.
int64_t annuity_payment(int64_t amount_cents, double monthly_rate, int term_months);

// amount_cents > 0, 0 ≤ annual_rate_pct < 1000, 1 ≤ term_months ≤ 1200; a
// value outside these is a pgcrm::Error naming it.
std::vector<Payment> schedule(int64_t amount_cents, double annual_rate_pct, int term_months, Method method);

}  // namespace pgcrm::credit
