// crm.loan_schedule_cents(amount_cents, annual_rate_pct, term_months, method):
// the payment plan in cents. The SQL wrapper crm.loan_schedule adds dates and
// converts to currency units.
#include <algorithm>
#include <string_view>

#include "core/loan.hpp"
#include "guard.hpp"

extern "C" {
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"
}

namespace loan = pgcrm::loan;
using pgcrm::pg::guard;
using pgcrm::pg::pg_call;

extern "C" {
PG_FUNCTION_INFO_V1(pgcrm_loan_schedule_cents);
Datum pgcrm_loan_schedule_cents(PG_FUNCTION_ARGS);
}

Datum pgcrm_loan_schedule_cents(PG_FUNCTION_ARGS) {
    const int64 amount = PG_GETARG_INT64(0);
    const double rate = PG_GETARG_FLOAT8(1);
    const int32 term = PG_GETARG_INT32(2);
    const text* method_text = PG_GETARG_TEXT_PP(3);
    const std::string_view method_name(VARDATA_ANY(method_text), VARSIZE_ANY_EXHDR(method_text));

    // Computed in C++, copied into palloc'd memory before the vector goes away.
    size_t count = 0;
    loan::Payment* plan = guard([&] {
        const auto computed = loan::schedule(amount, rate, term, loan::parse_method(method_name));
        auto* out = pg_call([&] { return static_cast<loan::Payment*>(palloc(sizeof(loan::Payment) * computed.size())); });
        std::copy(computed.begin(), computed.end(), out);
        count = computed.size();
        return out;
    });

    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    for (size_t i = 0; i < count; ++i) {
        Datum values[5] = {Int32GetDatum(plan[i].period), Int64GetDatum(plan[i].payment),
                           Int64GetDatum(plan[i].principal), Int64GetDatum(plan[i].interest),
                           Int64GetDatum(plan[i].balance)};
        bool nulls[5] = {false, false, false, false, false};
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return static_cast<Datum>(0);
}
