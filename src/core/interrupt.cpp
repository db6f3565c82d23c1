#include "interrupt.hpp"

namespace pgcrm {

namespace {
InterruptHook interrupt_hook = nullptr;
}

void set_interrupt_hook(InterruptHook hook) noexcept { interrupt_hook = hook; }

void check_interrupts() {
    if (interrupt_hook) interrupt_hook();
}

}  // namespace pgcrm
