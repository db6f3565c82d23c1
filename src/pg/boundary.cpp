// crm.selftest_boundary(fault): raises a fault on each side of the boundary.
#include <string_view>
#include <vector>

#include "core/boundary.hpp"
#include "guard.hpp"

extern "C" {
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
}

using pgcrm::pg::guard;
using pgcrm::pg::pg_call;

PGCRM_FUNCTION(pgcrm_selftest_boundary) {
    const char* fault = text_to_cstring(PG_GETARG_TEXT_PP(0));
    const std::string_view name(fault);
    if (name == "live_probes") PG_RETURN_INT32(pgcrm::boundary::live_probes());

    bool known = guard([&] {
        if (name == "pg_error") {
            // A PostgreSQL error (division by zero, 22012) raised under live C++ objects.
            pgcrm::boundary::Probe probe;
            std::vector<int> buffer(1024, 1);
            pg_call([] { return DirectFunctionCall2(int4div, Int32GetDatum(1), Int32GetDatum(0)); });
            return false;
        }
        return pgcrm::boundary::raise_fault(name);
    });
    if (!known)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown selftest fault \"%s\"", fault),
                        errhint("Use one of cpp_exception, core_error, bad_alloc, eigen_assert, interrupt, "
                                "pg_error, live_probes.")));
    PG_RETURN_INT32(0);
}
