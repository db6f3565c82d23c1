#include "guard.hpp"

#include <cstring>
#include <exception>
#include <new>

#include "core/error.hpp"

namespace pgcrm::pg {

namespace {

void set(Failure& failure, const char* sqlstate, const char* message, const char* hint) noexcept {
    std::strncpy(failure.sqlstate, sqlstate, sizeof failure.sqlstate - 1);
    failure.sqlstate[sizeof failure.sqlstate - 1] = '\0';
    std::strncpy(failure.message, message, sizeof failure.message - 1);
    failure.message[sizeof failure.message - 1] = '\0';
    std::strncpy(failure.hint, hint, sizeof failure.hint - 1);
    failure.hint[sizeof failure.hint - 1] = '\0';
}

}  // namespace

void capture_current_exception(Failure& failure, ErrorData*& pg_error) noexcept {
    try {
        throw;
    } catch (const PgError& e) {
        pg_error = e.data;
    } catch (const pgcrm::Error& e) {
        set(failure, e.sqlstate(), e.what(), e.hint().c_str());
    } catch (const std::bad_alloc&) {
        set(failure, "53200", "out of memory in pgcrm", "");
    } catch (const std::exception& e) {
        set(failure, sqlstate::internal_error, e.what(), "");
    } catch (...) {
        set(failure, sqlstate::internal_error, "unknown C++ exception in pgcrm", "");
    }
}

void report(const Failure& f) {
    const char* s = f.sqlstate;
    ereport(ERROR, (errcode(MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4])), errmsg("%s", f.message),
                    f.hint[0] ? errhint("%s", f.hint) : 0));
    pg_unreachable();
}

void throw_if_interrupted() {
    if (INTERRUPTS_PENDING_CONDITION()) pg_call([] { CHECK_FOR_INTERRUPTS(); });
}

}  // namespace pgcrm::pg
