/*
 * The interrupt floods of hostile.elf (storm=irq), kept apart from hostile.c
 * because irq.h and virtio.h both define the MMIO accessors.
 *
 * 1. The 16550's THR-empty interrupt, re-armed from its own handler (IER
 *    written 0 then 2), through the 8259 in virtual wire mode: every interrupt
 *    is an irqfd write by the VMM and three port exits by the guest.
 * 2. Self-IPIs through the local APIC's ICR, as fast as the guest can send them.
 * Each flood is bounded by a count and by a local APIC deadline.
 */
#include "runtime.h"
#include "irq.h"

#define COM1_IER 0x3f9
#define COM1_IIR 0x3fa
#define COM1_MCR 0x3fc
#define COM1_IRQ 4
#define IPI_VECTOR 0x50
#define FLOOD_MS 1500

static volatile uint32_t thre_interrupts;
static volatile uint32_t ipis;
static uint32_t thre_limit;

static void thre_interrupt(struct interrupt_frame *frame)
{
    (void)frame;
    (void)inb(COM1_IIR);
    thre_interrupts++;
    outb(COM1_IER, 0);
    if (thre_interrupts < thre_limit)
        outb(COM1_IER, 0x02);           /* THR empty: fires again at once */
    pic_eoi(COM1_IRQ);
}

static void ipi_interrupt(struct interrupt_frame *frame)
{
    (void)frame;
    ipis++;
    lapic_eoi();
}

static void spurious_irq7(struct interrupt_frame *frame)
{
    (void)frame;
}

/* Runs both floods; prints one line each. */
void irq_storm(uint32_t count)
{
    thre_limit = count;
    irq_init();
    pic_remap(PIC_VECTOR_BASE);         /* and mask every IRQ */
    irq_set_handler(PIC_VECTOR_BASE + COM1_IRQ, thre_interrupt);
    irq_set_handler(PIC_VECTOR_BASE + 7, spurious_irq7);
    irq_set_handler(IPI_VECTOR, ipi_interrupt);
    lapic_virtual_wire();
    pic_set_mask((uint16_t)~(1u << COM1_IRQ));
    outb(COM1_MCR, 0x0B);               /* DTR, RTS, OUT2 */

    lapic_deadline_start_ms(FLOOD_MS);
    outb(COM1_IER, 0x02);
    while (thre_interrupts < count && !lapic_deadline_passed())
        irq_enable_and_wait();
    irq_disable();
    outb(COM1_IER, 0);
    pic_set_mask(0xffff);
    serial_puts("hostile: irq THR-empty interrupts ");
    serial_put_dec(thre_interrupts);
    serial_putc('\n');

    lapic_deadline_start_ms(FLOOD_MS);
    irq_enable();
    for (uint32_t i = 0; i < count && !lapic_deadline_passed(); i++)
        lapic_write(LAPIC_ICR_LOW, (1u << 18) | IPI_VECTOR);   /* shorthand: self */
    irq_disable();
    serial_puts("hostile: irq self-IPIs ");
    serial_put_dec(ipis);
    serial_putc('\n');
}
