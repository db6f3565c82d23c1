// Errors raised by the pure C++ core. Each carries the SQLSTATE the PostgreSQL
// glue reports it with, so the core decides what kind of failure it is without
// depending on PostgreSQL headers.
#pragma once

#include <stdexcept>
#include <string>

namespace pgcrm {

namespace sqlstate {
inline constexpr const char* invalid_parameter_value = "22023";
inline constexpr const char* numeric_value_out_of_range = "22003";
inline constexpr const char* program_limit_exceeded = "54000";
inline constexpr const char* object_not_in_prerequisite_state = "55000";
inline constexpr const char* internal_error = "XX000";
// pgcrm's own: the data cannot support the requested model (see docs/errors.md).
inline constexpr const char* insufficient_data = "PC020";
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
