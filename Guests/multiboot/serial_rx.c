/*
 * serial_rx.elf: receiving on COM1 by interrupt.
 * Enables the 16550's received-data-available interrupt (IER bit 0; MCR = DTR,
 * RTS and OUT2, which gates the IRQ line on PCs; the FIFO control register is
 * left alone so that nothing already received is flushed) and routes IRQ 4:
 *  - by default through the 8259 PIC (vectors 0x20-0x2F, only IRQ 4 unmasked,
 *    local APIC in virtual wire mode);
 *  - with the command-line token `irq=ioapic`, through the IOAPIC (PIC masked,
 *    LINT0 masked, local APIC enabled): the pin for ISA IRQ 4 comes from the MP
 *    table, else the ACPI MADT, else is 4 (`tables=mp|acpi|none` restricts the
 *    search, see tables.h), to vector 0x34, edge, to this CPU.
 * Then it prints "serial-rx: ready" and waits with `sti; hlt`. Each interrupt
 * reads IIR, then every byte while LSR.DR is set, and sends the EOI. It stops at
 * the first '\n' or '\r' (bytes after it are not read), disables the UART
 * interrupt, and prints the line it received and the number of interrupts:
 *   serial-rx: IRQ 4 through the PIC            (or: through IOAPIC pin P (SOURCE))
 *   serial-rx: ready
 *   serial-rx: got "hello"
 *   serial-rx: N interrupts
 * V = 0. N depends on how the bytes arrive (1 when all are already there, up to
 * one per byte); the other lines are exact. Bytes outside 0x20-0x7E are shown
 * as \xNN, a '"' or '\' is escaped with '\'. More than LINE_MAX bytes before
 * the end of line: "serial-rx: line too long", V = 3. No end of line within
 * WATCHDOG_MS of "ready": "serial-rx: timeout after B bytes", V = 2.
 */
#include "runtime.h"
#include "irq.h"
#include "tables.h"

#define COM1_IER  0x3f9
#define COM1_IIR  0x3fa
#define COM1_MCR  0x3fc
#define LSR_DR    0x01
#define COM1_IRQ  4
#define IOAPIC_VECTOR 0x34
#define WATCHDOG_MS 10000
#define WATCHDOG_VECTOR 0x40
#define LINE_MAX 64

static char line[LINE_MAX];
static volatile uint32_t length;
static volatile uint32_t interrupts;
static volatile int line_done;      /* 1: end of line seen, 2: line too long */
static int use_ioapic;

static void uart_interrupt(struct interrupt_frame *frame)
{
    (void)frame;
    interrupts++;
    (void)inb(COM1_IIR);
    while (!line_done && (inb(COM1_LSR) & LSR_DR)) {
        char c = (char)inb(COM1_DATA);
        if (c == '\n' || c == '\r') {
            line_done = 1;
        } else if (length < LINE_MAX) {
            line[length++] = c;
        } else {
            line_done = 2;
        }
    }
    if (line_done)
        outb(COM1_IER, 0);
    if (use_ioapic)
        lapic_eoi();
    else
        pic_eoi(COM1_IRQ);
}

/* The PIC's spurious IRQ 7: no EOI. */
static void spurious_irq7(struct interrupt_frame *frame)
{
    (void)frame;
}

static void watchdog(struct interrupt_frame *frame)
{
    (void)frame;
    outb(COM1_IER, 0);
    serial_puts("serial-rx: timeout after ");
    serial_put_dec(length);
    serial_puts(" bytes\n");
    debug_exit(2);
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    const char *cmdline = multiboot_cmdline(magic, info);
    const char *mode = cmdline_value(cmdline, "irq");
    use_ioapic = mode != NULL && mode[0] == 'i' && mode[1] == 'o' && mode[2] == 'a'
                 && mode[3] == 'p' && mode[4] == 'i' && mode[5] == 'c'
                 && (mode[6] == '\0' || mode[6] == ' ');
    length = 0;
    interrupts = 0;
    line_done = 0;

    irq_init();
    irq_set_handler(WATCHDOG_VECTOR, watchdog);
    pic_remap(PIC_VECTOR_BASE);         /* and mask every IRQ */
    if (use_ioapic) {
        struct platform platform;
        platform_scan(&platform, cmdline);
        unsigned pin = platform_isa_irq_pin(&platform, COM1_IRQ, COM1_IRQ);
        uint32_t ioapic = platform.ioapic_address;
        serial_puts("serial-rx: IRQ 4 through IOAPIC pin ");
        serial_put_dec(pin);
        serial_puts(" (");
        serial_puts(platform_source_name(platform.source));
        serial_puts(")\n");
        if (pin >= ioapic_pin_count(ioapic)) {
            serial_puts("serial-rx: the IOAPIC has no such pin\n");
            return 3;
        }
        irq_set_handler(IOAPIC_VECTOR, uart_interrupt);
        lapic_enable();
        lapic_write(LAPIC_LVT_LINT0, LAPIC_LVT_MASKED | 0x700);
        ioapic_mask_all(ioapic);
        ioapic_route_edge(ioapic, pin, IOAPIC_VECTOR, lapic_id());
    } else {
        serial_puts("serial-rx: IRQ 4 through the PIC\n");
        irq_set_handler(PIC_VECTOR_BASE + COM1_IRQ, uart_interrupt);
        irq_set_handler(PIC_VECTOR_BASE + 7, spurious_irq7);
        lapic_virtual_wire();
        pic_set_mask((uint16_t)~(1u << COM1_IRQ));
    }
    outb(COM1_MCR, 0x0B);               /* DTR, RTS, OUT2 */
    outb(COM1_IER, 0x01);               /* received data available */
    serial_puts("serial-rx: ready\n");
    lapic_timer_oneshot_ms(WATCHDOG_MS, WATCHDOG_VECTOR);
    for (;;) {
        irq_disable();
        if (line_done)
            break;
        irq_enable_and_wait();
    }
    lapic_timer_stop();
    if (line_done == 2) {
        serial_puts("serial-rx: line too long\n");
        return 3;
    }
    serial_puts("serial-rx: got \"");
    for (uint32_t i = 0; i < length; i++) {
        char c = line[i];
        if (c == '"' || c == '\\') {
            serial_putc('\\');
            serial_putc(c);
        } else if (c >= 0x20 && c <= 0x7e) {
            serial_putc(c);
        } else {
            serial_puts("\\x");
            serial_putc("0123456789abcdef"[(c >> 4) & 0xf]);
            serial_putc("0123456789abcdef"[c & 0xf]);
        }
    }
    serial_puts("\"\nserial-rx: ");
    serial_put_dec(interrupts);
    serial_puts(" interrupts\n");          /* plural even for 1 */
    return 0;
}
