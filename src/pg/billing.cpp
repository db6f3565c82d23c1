// Billing's settings (docs/billing.md): the default VAT rate and the base
// currency. They are defined here because the prefix pgcrm. is reserved; the
// SQL reads them through crm.vat_rate() and crm.base_currency(), whose call
// loads this library, so the setting always exists when it is read.
#include "billing.hpp"

#include "guard.hpp"

extern "C" {
#include "utils/builtins.h"
#include "utils/guc.h"
}

namespace {

double vat_rate = 20.0;
char* base_currency = nullptr;

// An ISO 4217 code: three capital letters.
bool check_currency(char** value, void**, GucSource) {
    const char* v = *value;
    bool valid = v && strlen(v) == 3;
    for (int i = 0; valid && i < 3; ++i) valid = v[i] >= 'A' && v[i] <= 'Z';
    if (!valid) GUC_check_errdetail("A currency is an ISO 4217 code of three capital letters, such as UAH or EUR.");
    return valid;
}

}  // namespace

namespace pgcrm::pg {

void define_billing_settings() {
    DefineCustomRealVariable("pgcrm.vat_rate", "VAT rate in percent for products that name none.",
                             "Invoice lines take the product's vat_rate_pct, or this; 20 is Ukraine's PDV.", &vat_rate,
                             20.0, 0.0, 100.0, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomStringVariable("pgcrm.base_currency", "The currency exchange rates are quoted against.",
                               "crm.exchange_rate holds rates against it, and base-currency totals are in it.",
                               &base_currency, "UAH", PGC_SUSET, 0, check_currency, nullptr, nullptr);
}

}  // namespace pgcrm::pg

// crm.vat_rate(): pgcrm.vat_rate as numeric (a float8 setting, converted as
// float8::numeric converts it, so 20 is 20 and 7.5 is 7.5).
PGCRM_FUNCTION(pgcrm_vat_rate) {
    (void)fcinfo;
    return DirectFunctionCall1(float8_numeric, Float8GetDatum(vat_rate));
}

// crm.base_currency(): pgcrm.base_currency.
PGCRM_FUNCTION(pgcrm_base_currency) {
    (void)fcinfo;
    return PointerGetDatum(cstring_to_text(base_currency));
}
