/*
 * pit_pic.elf: the PIT's IRQ 0 through the 8259 PIC.
 * Remaps the PIC to vectors 0x20-0x2F and masks every IRQ but 0, puts the local
 * APIC in virtual wire mode (LINT0 = ExtINT, as PC firmware leaves it), programs
 * PIT channel 0 as a 1000 Hz rate generator, and waits with `sti; hlt` until it
 * has counted TICKS timer interrupts (EOI to the PIC after each; the last one
 * also masks IRQ 0, so no further tick is counted). Then it prints
 * "pit-pic: 10 ticks" and exits with V = 0. Nothing it prints depends on time.
 * A local APIC timer watchdog (WATCHDOG_MS) ends a run where the ticks stop
 * coming: "pit-pic: timeout after N ticks", V = 2.
 */
#include "runtime.h"
#include "irq.h"

#define TICKS 10
#define WATCHDOG_MS 2000
#define WATCHDOG_VECTOR 0x40

static volatile uint32_t ticks;

static void timer_interrupt(struct interrupt_frame *frame)
{
    (void)frame;
    if (++ticks >= TICKS)
        pic_set_mask(0xFFFF);
    pic_eoi(0);
}

/* IRQ 7 with nothing in service: the PIC's spurious interrupt, no EOI. */
static void spurious_irq7(struct interrupt_frame *frame)
{
    (void)frame;
}

static void watchdog(struct interrupt_frame *frame)
{
    (void)frame;
    serial_puts("pit-pic: timeout after ");
    serial_put_dec(ticks);
    serial_puts(" ticks\n");
    debug_exit(2);
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    (void)magic;
    (void)info;
    irq_init();
    ticks = 0;
    irq_set_handler(PIC_VECTOR_BASE + 0, timer_interrupt);
    irq_set_handler(PIC_VECTOR_BASE + 7, spurious_irq7);
    irq_set_handler(WATCHDOG_VECTOR, watchdog);
    pic_remap(PIC_VECTOR_BASE);         /* and mask every IRQ */
    lapic_virtual_wire();
    lapic_timer_oneshot_ms(WATCHDOG_MS, WATCHDOG_VECTOR);
    pit_start_periodic(1000);
    pic_set_mask((uint16_t)~1u);        /* IRQ 0 only */
    for (;;) {
        irq_disable();
        if (ticks >= TICKS)
            break;
        irq_enable_and_wait();
    }
    lapic_timer_stop();
    serial_puts("pit-pic: ");
    serial_put_dec(ticks);
    serial_puts(" ticks\n");
    return 0;
}
