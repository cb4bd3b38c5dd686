/* Interrupt support shared by the interrupt guests (see irq.h). */
#include "irq.h"
#include "runtime.h"

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t zero;
    uint8_t type;               /* 0x8E: present, DPL 0, 32-bit interrupt gate */
    uint16_t offset_high;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(8)));
static interrupt_handler handlers[256];

static const struct {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed)) idt_pointer = {sizeof(idt) - 1, (uint32_t)(uintptr_t)idt};

extern const char isr_stubs[];

void idt_load(void)
{
    __asm__ volatile("lidt %0" : : "m"(idt_pointer) : "memory");
}

void irq_init(void)
{
    gdt32_load();
    for (unsigned v = 0; v < 256; v++) {
        uint32_t stub = (uint32_t)(uintptr_t)isr_stubs + 16 * v;
        idt[v].offset_low = (uint16_t)stub;
        idt[v].selector = GDT32_CODE;
        idt[v].zero = 0;
        idt[v].type = 0x8E;
        idt[v].offset_high = (uint16_t)(stub >> 16);
        handlers[v] = 0;
    }
    idt_load();
}

void irq_set_handler(uint8_t vector, interrupt_handler handler)
{
    handlers[vector] = handler;
}

void isr_dispatch(struct interrupt_frame *frame)
{
    interrupt_handler handler = handlers[frame->vector & 0xff];
    if (handler != 0) {
        handler(frame);
        return;
    }
    if (frame->vector < 32) {
        serial_puts("exception ");
        serial_put_dec(frame->vector);
        serial_puts(" at eip 0x");
        serial_put_hex32(frame->eip);
        serial_puts(" error 0x");
        serial_put_hex32(frame->error_code);
    } else {
        serial_puts("unexpected interrupt ");
        serial_put_dec(frame->vector);
    }
    serial_putc('\n');
    debug_exit(IRQ_EXIT_UNEXPECTED);
}

/* --- 8259 PIC ---------------------------------------------------------- */
#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI   0x20

void pic_remap(uint8_t base)
{
    outb(PIC1_CMD, 0x11);       /* ICW1: edge, cascade, ICW4 follows */
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, base);      /* ICW2: vector base */
    outb(PIC2_DATA, (uint8_t)(base + 8));
    outb(PIC1_DATA, 0x04);      /* ICW3: slave on IRQ 2 */
    outb(PIC2_DATA, 0x02);      /* ICW3: slave identity 2 */
    outb(PIC1_DATA, 0x01);      /* ICW4: 8086 mode, normal EOI */
    outb(PIC2_DATA, 0x01);
    pic_set_mask(0xFFFF);
}

void pic_set_mask(uint16_t mask)
{
    outb(PIC1_DATA, (uint8_t)mask);
    outb(PIC2_DATA, (uint8_t)(mask >> 8));
}

void pic_eoi(unsigned irq)
{
    if (irq >= 8)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}

/* --- 8254 PIT ------------------------------------------------------------ */
void pit_start_periodic(unsigned hz)
{
    uint32_t divisor = PIT_HZ / hz;
    outb(0x43, 0x34);           /* channel 0, lobyte/hibyte, mode 2, binary */
    outb(0x40, (uint8_t)divisor);
    outb(0x40, (uint8_t)(divisor >> 8));
}

/* --- local APIC ----------------------------------------------------------- */
#define MSR_APIC_BASE 0x1B
#define APIC_BASE_ENABLE (1u << 11)

static void ignore_spurious(struct interrupt_frame *frame)
{
    (void)frame;
}

void lapic_enable(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    if ((base & APIC_BASE_ENABLE) == 0)
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    irq_set_handler(LAPIC_SPURIOUS_VECTOR, ignore_spurious);
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, 0x100 | LAPIC_SPURIOUS_VECTOR);
}

void lapic_virtual_wire(void)
{
    lapic_enable();
    lapic_write(LAPIC_LVT_LINT0, 0x700);    /* ExtINT, unmasked */
    lapic_write(LAPIC_LVT_LINT1, 0x400);    /* NMI, unmasked */
}

void lapic_delay_us(uint32_t us)
{
    lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | 0xEF);  /* one-shot, masked */
    lapic_write(LAPIC_TIMER_DIVIDE, 0xB);                   /* divide by 1 */
    while (us > 0) {
        uint32_t chunk = us > 1000000 ? 1000000 : us;       /* <= 1e9 ticks */
        lapic_write(LAPIC_TIMER_INITIAL, chunk * 1000);
        while (lapic_read(LAPIC_TIMER_CURRENT) != 0)
            cpu_relax();
        us -= chunk;
    }
}

static void lapic_timer_ms(uint32_t ms, uint32_t lvt)
{
    if (ms > 500000)
        ms = 500000;
    lapic_write(LAPIC_TIMER_INITIAL, 0);                    /* stop */
    lapic_write(LAPIC_TIMER_DIVIDE, 0xA);                   /* divide by 128 */
    lapic_write(LAPIC_LVT_TIMER, lvt);                      /* one-shot */
    lapic_write(LAPIC_TIMER_INITIAL, ms * 7813);            /* 128 ns per tick */
}

void lapic_timer_oneshot_ms(uint32_t ms, uint8_t vector)
{
    lapic_timer_ms(ms, vector);
}

void lapic_deadline_start_ms(uint32_t ms)
{
    lapic_timer_ms(ms, LAPIC_LVT_MASKED | 0xEF);
}

int lapic_deadline_passed(void)
{
    return lapic_read(LAPIC_TIMER_CURRENT) == 0;
}

void lapic_timer_stop(void)
{
    lapic_write(LAPIC_TIMER_INITIAL, 0);
    lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | 0xEF);
}

int lapic_send_ipi(unsigned apic_id, uint32_t low)
{
    lapic_write(LAPIC_ICR_HIGH, (uint32_t)apic_id << 24);
    lapic_write(LAPIC_ICR_LOW, low);
    for (unsigned i = 0; i < 1000; i++) {
        if ((lapic_read(LAPIC_ICR_LOW) & (1u << 12)) == 0)
            return 0;
        cpu_relax();
    }
    return -1;
}

/* --- IOAPIC ------------------------------------------------------------- */
uint32_t ioapic_read(uint32_t base, uint32_t reg)
{
    mmio_write32(base, reg);            /* IOREGSEL */
    return mmio_read32(base + 0x10);    /* IOWIN */
}

void ioapic_write(uint32_t base, uint32_t reg, uint32_t value)
{
    mmio_write32(base, reg);
    mmio_write32(base + 0x10, value);
}

unsigned ioapic_pin_count(uint32_t base)
{
    return ((ioapic_read(base, 1) >> 16) & 0xff) + 1;
}

void ioapic_mask_all(uint32_t base)
{
    unsigned pins = ioapic_pin_count(base);
    for (unsigned pin = 0; pin < pins; pin++) {
        ioapic_write(base, 0x10 + 2 * pin, 1u << 16);
        ioapic_write(base, 0x11 + 2 * pin, 0);
    }
}

void ioapic_route_edge(uint32_t base, unsigned pin, uint8_t vector, unsigned apic_id)
{
    ioapic_write(base, 0x11 + 2 * pin, (uint32_t)apic_id << 24);
    /* fixed delivery, physical destination, active high, edge, unmasked */
    ioapic_write(base, 0x10 + 2 * pin, vector);
}
