/*
 * pit_ioapic.elf: the PIT's interrupt through the IOAPIC and the local APIC.
 * The 8259 PIC is remapped to 0x20-0x2F and fully masked, LINT0 (the PIC's
 * virtual wire) is masked, the local APIC is enabled (spurious vector 0xFF),
 * every IOAPIC pin is masked, and the pin the PIT (ISA IRQ 0) arrives on is
 * routed to vector 0x30: fixed, physical destination = this CPU's APIC ID,
 * active high, edge-triggered. The pin comes from the MP table's I/O interrupt
 * entry for ISA IRQ 0, else from the ACPI MADT's interrupt source override,
 * else is 2 (see platform_isa_irq_pin()); a `pin=N` command-line token
 * overrides it, `tables=mp|acpi|none` restricts the table search. Then PIT
 * channel 0 runs at 1000 Hz and the guest waits with `sti; hlt` for TICKS
 * interrupts (EOI to the local APIC; the last one also masks the pin). Prints
 *   pit-ioapic: routing from <MP table | ACPI MADT | none | command line>
 *   pit-ioapic: pin <N>
 *   pit-ioapic: 10 ticks
 * and exits with V = 0. A local APIC timer watchdog (WATCHDOG_MS) ends a run
 * where the ticks do not come: "pit-ioapic: timeout after N ticks", V = 2.
 */
#include "runtime.h"
#include "irq.h"
#include "tables.h"

#define TICKS 10
#define TIMER_VECTOR 0x30
#define WATCHDOG_MS 2000
#define WATCHDOG_VECTOR 0x40
#define DEFAULT_PIT_PIN 2

static volatile uint32_t ticks;
static uint32_t ioapic;
static unsigned pit_pin;

static void timer_interrupt(struct interrupt_frame *frame)
{
    (void)frame;
    if (++ticks >= TICKS)
        ioapic_write(ioapic, 0x10 + 2 * pit_pin, 1u << 16);    /* mask */
    lapic_eoi();
}

static void watchdog(struct interrupt_frame *frame)
{
    (void)frame;
    serial_puts("pit-ioapic: timeout after ");
    serial_put_dec(ticks);
    serial_puts(" ticks\n");
    debug_exit(2);
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    const char *cmdline = multiboot_cmdline(magic, info);
    struct platform platform;
    unsigned long forced_pin;
    const char *source;

    irq_init();
    pic_remap(PIC_VECTOR_BASE);         /* and mask every IRQ */
    platform_scan(&platform, cmdline);
    ioapic = platform.ioapic_address;
    source = platform_source_name(platform.source);
    pit_pin = platform_isa_irq_pin(&platform, 0, DEFAULT_PIT_PIN);
    if (parse_decimal(cmdline_value(cmdline, "pin"), 239, &forced_pin) == 0) {
        pit_pin = (unsigned)forced_pin;
        source = "command line";
    }
    serial_puts("pit-ioapic: routing from ");
    serial_puts(source);
    serial_puts("\npit-ioapic: pin ");
    serial_put_dec(pit_pin);
    serial_putc('\n');
    if (pit_pin >= ioapic_pin_count(ioapic)) {
        serial_puts("pit-ioapic: the IOAPIC has no such pin\n");
        return 3;
    }

    ticks = 0;
    irq_set_handler(TIMER_VECTOR, timer_interrupt);
    irq_set_handler(WATCHDOG_VECTOR, watchdog);
    lapic_enable();
    lapic_write(LAPIC_LVT_LINT0, LAPIC_LVT_MASKED | 0x700);
    ioapic_mask_all(ioapic);
    ioapic_route_edge(ioapic, pit_pin, TIMER_VECTOR, lapic_id());
    lapic_timer_oneshot_ms(WATCHDOG_MS, WATCHDOG_VECTOR);
    pit_start_periodic(1000);
    for (;;) {
        irq_disable();
        if (ticks >= TICKS)
            break;
        irq_enable_and_wait();
    }
    lapic_timer_stop();
    serial_puts("pit-ioapic: ");
    serial_put_dec(ticks);
    serial_puts(" ticks\n");
    return 0;
}
