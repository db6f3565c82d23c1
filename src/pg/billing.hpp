// The commercial cycle's settings (docs/billing.md, "Settings").
#pragma once

namespace pgcrm::pg {

// pgcrm.vat_rate and pgcrm.base_currency, read by crm.vat_rate() and
// crm.base_currency(); called from _PG_init.
void define_billing_settings();

}  // namespace pgcrm::pg
