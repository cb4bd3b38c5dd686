/*
 * counter.elf: a timer-driven counter, the snapshot test guest.
 * Remaps the 8259 PIC to 0x20-0x2F and unmasks IRQ 0 only, puts the local APIC
 * in virtual wire mode (LINT0 = ExtINT), programs PIT channel 0 at 100 Hz and
 * waits with `sti; hlt` between ticks. Every EVERY ticks it prints
 *   count N
 * (N = 1, 2, 3, ...). Command-line tokens: `every=K` (ticks per line, default
 * 10), `limit=M` (after line M, exit with V = 0; default: run forever).
 * Its whole state lives in the PIT, the PIC, the local APIC and its own memory,
 * so a restored snapshot that loses any of them stops counting or repeats.
 */
#include "runtime.h"
#include "irq.h"

#define TIMER_HZ 100
#define DEFAULT_EVERY 10

static volatile uint32_t ticks;

static void timer_interrupt(struct interrupt_frame *frame)
{
    (void)frame;
    ticks++;
    pic_eoi(0);
}

/* IRQ 7 with nothing in service: the PIC's spurious interrupt, no EOI. */
static void spurious_irq7(struct interrupt_frame *frame)
{
    (void)frame;
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    const char *cmdline = multiboot_cmdline(magic, info);
    unsigned long every = DEFAULT_EVERY, limit = 0;
    uint32_t count = 0;

    if (cmdline_value(cmdline, "every") && parse_decimal(cmdline_value(cmdline, "every"), 100000, &every) != 0)
        every = DEFAULT_EVERY;
    if (every == 0)
        every = 1;
    if (cmdline_value(cmdline, "limit") && parse_decimal(cmdline_value(cmdline, "limit"), 1000000000, &limit) != 0)
        limit = 0;

    irq_init();
    ticks = 0;
    irq_set_handler(PIC_VECTOR_BASE + 0, timer_interrupt);
    irq_set_handler(PIC_VECTOR_BASE + 7, spurious_irq7);
    pic_remap(PIC_VECTOR_BASE);         /* and mask every IRQ */
    lapic_virtual_wire();
    pit_start_periodic(TIMER_HZ);
    pic_set_mask((uint16_t)~1u);        /* IRQ 0 only */
    for (;;) {
        irq_disable();
        if (ticks >= every) {
            ticks -= every;
            irq_enable();
            count++;
            serial_puts("count ");
            serial_put_dec(count);
            serial_putc('\n');
            if (limit != 0 && count >= limit)
                return 0;
            continue;
        }
        irq_enable_and_wait();
    }
}
