// Long-running core loops call check_interrupts() so that a cancel or a
// statement_timeout stops them. The PostgreSQL glue installs a hook that
// throws when an interrupt is pending; without a hook (unit tests) it is a no-op.
#pragma once

namespace pgcrm {

using InterruptHook = void (*)();

void set_interrupt_hook(InterruptHook hook) noexcept;
void check_interrupts();

}  // namespace pgcrm
