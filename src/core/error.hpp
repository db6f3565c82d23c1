// Errors raised by the pure C++ core. Each carries the SQLSTATE the PostgreSQL
// glue reports it with, so the core decides what kind of failure it is without
// depending on PostgreSQL headers.
#pragma once

#include <stdexcept>
#include <string>

namespace pgcrm {

namespace sqlstate {
// The standard codes the core raises.
inline constexpr const char* invalid_parameter_value = "22023";
inline constexpr const char* numeric_value_out_of_range = "22003";
inline constexpr const char* datetime_field_overflow = "22008";
inline constexpr const char* program_limit_exceeded = "54000";
inline constexpr const char* object_not_in_prerequisite_state = "55000";
inline constexpr const char* internal_error = "XX000";
// pgcrm's own, class PC: the one list of them. docs/errors.md gives each its
// meaning (test/lint/errors.sh checks that), and the SQL raises them by code.
inline constexpr const char* invalid_status_transition = "PC001";
inline constexpr const char* unknown_status = "PC002";
inline constexpr const char* not_found = "PC003";
inline constexpr const char* insufficient_stock = "PC010";
inline constexpr const char* reservation_not_active = "PC011";
inline constexpr const char* reservation_expired = "PC012";
inline constexpr const char* shipment_in_the_wrong_state = "PC013";
inline constexpr const char* append_only_record = "PC014";
inline constexpr const char* insufficient_data = "PC020";
inline constexpr const char* warehouse_job_failed = "PC021";
// billing (docs/billing.md)
inline constexpr const char* contract_not_applicable = "PC030";
inline constexpr const char* credit_limit_exceeded = "PC031";
inline constexpr const char* quote_expired = "PC032";
inline constexpr const char* nothing_to_invoice = "PC033";
inline constexpr const char* billing_record_immutable = "PC034";
inline constexpr const char* amount_exceeds_balance = "PC035";
inline constexpr const char* payment_does_not_match = "PC036";
inline constexpr const char* no_exchange_rate = "PC037";
inline constexpr const char* invoice_in_the_wrong_state = "PC038";
inline constexpr const char* loan_in_the_wrong_state = "PC039";
// events, inbound, automation, search, merge (docs/events.md ... merge.md)
inline constexpr const char* unknown_event_kind = "PC040";
inline constexpr const char* unknown_event_consumer = "PC041";
inline constexpr const char* acknowledgement_beyond_delivery = "PC042";
inline constexpr const char* automation_rule_failed = "PC043";
inline constexpr const char* automation_too_deep = "PC044";
inline constexpr const char* stale_message = "PC045";
inline constexpr const char* already_merged = "PC050";
inline constexpr const char* merge_loop = "PC051";
// scale-out on Citus (docs/citus.md)
inline constexpr const char* not_a_citus_coordinator = "PC075";
}  // namespace sqlstate

class Error : public std::runtime_error {
public:
    Error(const char* sqlstate, const std::string& message, std::string hint = {})
        : std::runtime_error(message), sqlstate_(sqlstate), hint_(std::move(hint)) {}

    const char* sqlstate() const noexcept { return sqlstate_; }
    const std::string& hint() const noexcept { return hint_; }

private:
    const char* sqlstate_;
    std::string hint_;
};

// Called by eigen_assert (see eigen.hpp): a broken Eigen precondition becomes
// an internal error instead of abort(), which would restart the whole server.
[[noreturn]] void eigen_assertion_failed(const char* condition, const char* file, int line);

}  // namespace pgcrm
