// crm.loan_schedule_cents(amount_cents, annual_rate_pct, term_months, method):
// the payment plan in cents. The SQL wrapper crm.loan_schedule adds dates and
// converts to currency units.
#include <algorithm>
#include <string_view>

#include "core/credit.hpp"
#include "guard.hpp"

extern "C" {
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"
}

namespace credit = pgcrm::credit;
using pgcrm::pg::guard;
using pgcrm::pg::pg_call;

PGCRM_FUNCTION(pgcrm_loan_schedule_cents) {
    const int64 amount = PG_GETARG_INT64(0);
    const double rate = PG_GETARG_FLOAT8(1);
    const int32 term = PG_GETARG_INT32(2);
    const text* method_text = PG_GETARG_TEXT_PP(3);
    const std::string_view method_name(VARDATA_ANY(method_text), VARSIZE_ANY_EXHDR(method_text));

    // Computed in C++, copied into palloc'd memory before the vector goes away.
    size_t count = 0;
    credit::Payment* plan = guard([&] {
        const auto computed = credit::schedule(amount, rate, term, credit::parse_method(method_name));
        auto* out = pg_call([&] { return static_cast<credit::Payment*>(palloc(sizeof(credit::Payment) * computed.size())); });
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
