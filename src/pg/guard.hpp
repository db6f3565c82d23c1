// The one boundary between C++ and PostgreSQL.
//
//  * guard(body): every entry point that runs C++ code with destructors wraps
//    it here. Any exception is caught; only after every C++ object of the body
//    is destroyed is it reported with ereport(ERROR), so no exception crosses
//    into PostgreSQL and no longjmp skips a destructor.
//  * PGCRM_FUNCTION(name): declares an entry point whose body runs in guard.
//  * pg_call(f): C++ code that must call PostgreSQL (which may longjmp) does it
//    through here; a PostgreSQL error becomes a PgError exception, unwinds the
//    C++ stack normally and is re-thrown unchanged by guard.
//
// Code outside guard that calls PostgreSQL directly may hold only trivially
// destructible locals (pointers, numbers, string_view). Destructors never call
// PostgreSQL.
#pragma once

#include <type_traits>

#include "postgres.hpp"

namespace pgcrm::pg {

struct PgError {
    ErrorData* data;
};

// A failure captured in plain storage so that reporting it allocates nothing
// while an exception is in flight.
struct Failure {
    char sqlstate[6];
    char message[1024];
    char hint[512];
};

[[noreturn]] void report(const Failure& failure);
void capture_current_exception(Failure& failure, ErrorData*& pg_error) noexcept;

template <typename F>
auto pg_call(F&& f) -> decltype(f()) {
    if constexpr (std::is_void_v<decltype(f())>) {
        MemoryContext caller = CurrentMemoryContext;
        ErrorData* volatile error = nullptr;
        PG_TRY();
        { f(); }
        PG_CATCH();
        {
            MemoryContextSwitchTo(caller);
            error = CopyErrorData();
            FlushErrorState();
        }
        PG_END_TRY();
        if (error) throw PgError{error};
    } else {
        decltype(f()) result{};
        pg_call([&] { result = f(); });
        return result;
    }
}

template <typename F>
auto guard(F&& body) -> decltype(body()) {
    Failure failure;
    ErrorData* pg_error = nullptr;
    try {
        return body();
    } catch (...) {
        capture_current_exception(failure, pg_error);
    }
    if (pg_error) ReThrowError(pg_error);
    report(failure);
}

// Declares the fmgr entry point `name` and runs its body inside guard, so no
// entry point can let a C++ exception reach PostgreSQL:
//     PGCRM_FUNCTION(pgcrm_linreg_final) { ... return PointerGetDatum(...); }
// The body may call PostgreSQL directly while it holds only trivially
// destructible locals; C++ objects call PostgreSQL through pg_call.
#define PGCRM_FUNCTION(name)                                                                      \
    static Datum name##_body(FunctionCallInfo fcinfo);                                            \
    extern "C" {                                                                                  \
    PG_FUNCTION_INFO_V1(name);                                                                    \
    Datum name(PG_FUNCTION_ARGS);                                                                 \
    }                                                                                             \
    Datum name(PG_FUNCTION_ARGS) { return pgcrm::pg::guard([&] { return name##_body(fcinfo); }); } \
    static Datum name##_body(FunctionCallInfo fcinfo)

// Installed as the core's interrupt hook: throws PgError when a cancel or
// statement_timeout is pending.
void throw_if_interrupted();

}  // namespace pgcrm::pg
