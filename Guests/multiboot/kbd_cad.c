/*
 * kbd_cad.elf: Ctrl-Alt-Delete from the i8042 keyboard, by interrupt.
 * Flushes the controller's output buffer, then sets the configuration byte
 * (commands 0x20/0x60): keyboard interrupt on, keyboard port enabled, and the
 * translate bit on (scan code set 1, the PC default) or, with the command-line
 * token `set=2`, off (set 2). IRQ 1 is routed like serial_rx.elf does IRQ 4:
 *  - by default through the 8259 PIC (vectors 0x20-0x2F, only IRQ 1 unmasked,
 *    local APIC in virtual wire mode);
 *  - with `irq=ioapic`, through the IOAPIC pin for ISA IRQ 1 (MP table, else
 *    ACPI MADT, else pin 1) to vector 0x31, edge, to this CPU.
 * It prints "kbd: ready" and waits with `sti; hlt`. Each interrupt reads every
 * keyboard byte while the status register's output-full bit is set, prints it
 * ("kbd: scancode 0x1d"), and decodes it (E0 prefix; set 1 break bit 0x80, set 2
 * break prefix F0). When Delete (E0 53 / E0 71) is pressed while Ctrl and Alt
 * are held, it reads no further byte, prints "kbd: ctrl-alt-del" and resets the
 * machine the way Linux reboots on a PC: command 0xFE to port 0x64 after the
 * input buffer is empty. Output with the default set 1:
 *   kbd: IRQ 1 through the PIC            (or: through IOAPIC pin P (SOURCE))
 *   kbd: scan code set 1
 *   kbd: ready
 *   kbd: scancode 0x1d
 *   kbd: scancode 0x38
 *   kbd: scancode 0xe0
 *   kbd: scancode 0x53
 *   kbd: ctrl-alt-del
 * No Ctrl-Alt-Delete within WATCHDOG_MS of "ready": "kbd: timeout", V = 2. The
 * controller still running POST_RESET_SPINS `pause` loops after the reset
 * command: "kbd: still running", V = 3.
 */
#include "runtime.h"
#include "irq.h"
#include "tables.h"

#define I8042_DATA 0x60
#define I8042_STATUS 0x64
#define I8042_COMMAND 0x64
#define STATUS_OUTPUT_FULL 0x01
#define STATUS_INPUT_FULL 0x02
#define STATUS_AUX_DATA 0x20
#define CMD_READ_CONFIG 0x20
#define CMD_WRITE_CONFIG 0x60
#define CMD_PULSE_RESET 0xFE
#define CONFIG_KBD_INTERRUPT 0x01
#define CONFIG_KBD_DISABLED 0x10
#define CONFIG_TRANSLATE 0x40
#define KBD_IRQ 1
#define IOAPIC_VECTOR 0x31
#define WATCHDOG_MS 10000
#define WATCHDOG_VECTOR 0x40
#define POLLS 64
#define POST_RESET_SPINS 1000

/* Make codes without the E0 prefix: set 1, set 2. */
#define SET1_CTRL 0x1D
#define SET1_ALT 0x38
#define SET1_DELETE 0x53
#define SET2_CTRL 0x14
#define SET2_ALT 0x11
#define SET2_DELETE 0x71

static int use_ioapic;
static int translated;
static volatile int ctrl_alt_del;
/* Decoder state: an E0 or (set 2) F0 prefix seen; keys held. */
static int extended, releasing, ctrl_held, alt_held;

static void put_hex8(uint8_t value)
{
    serial_putc("0123456789abcdef"[value >> 4]);
    serial_putc("0123456789abcdef"[value & 0xf]);
}

static int wait_input_empty(void)
{
    for (int i = 0; i < POLLS; i++)
        if ((inb(I8042_STATUS) & STATUS_INPUT_FULL) == 0)
            return 0;
    return -1;
}

static int read_config(uint8_t *config)
{
    wait_input_empty();
    outb(I8042_COMMAND, CMD_READ_CONFIG);
    for (int i = 0; i < POLLS; i++) {
        if (inb(I8042_STATUS) & STATUS_OUTPUT_FULL) {
            *config = inb(I8042_DATA);
            return 0;
        }
    }
    return -1;
}

static void write_config(uint8_t config)
{
    wait_input_empty();
    outb(I8042_COMMAND, CMD_WRITE_CONFIG);
    wait_input_empty();
    outb(I8042_DATA, config);
}

/* One byte of a key code: tracks Ctrl and Alt; sets ctrl_alt_del on a Delete
 * press while both are held. */
static void decode(uint8_t byte)
{
    if (byte == 0xE0) {
        extended = 1;
        return;
    }
    if (!translated && byte == 0xF0) {
        releasing = 1;
        return;
    }
    int release = translated ? (byte & 0x80) != 0 : releasing;
    uint8_t code = translated ? (uint8_t)(byte & 0x7F) : byte;
    int is_ctrl = code == (translated ? SET1_CTRL : SET2_CTRL);
    int is_alt = code == (translated ? SET1_ALT : SET2_ALT);
    int is_delete = extended && code == (translated ? SET1_DELETE : SET2_DELETE);
    if (is_ctrl)
        ctrl_held = !release;
    else if (is_alt)
        alt_held = !release;
    else if (is_delete && !release && ctrl_held && alt_held)
        ctrl_alt_del = 1;
    extended = 0;
    releasing = 0;
}

static void keyboard_interrupt(struct interrupt_frame *frame)
{
    (void)frame;
    for (;;) {
        uint8_t status = inb(I8042_STATUS);
        if (ctrl_alt_del || !(status & STATUS_OUTPUT_FULL) || (status & STATUS_AUX_DATA))
            break;
        uint8_t byte = inb(I8042_DATA);
        serial_puts("kbd: scancode 0x");
        put_hex8(byte);
        serial_putc('\n');
        decode(byte);
    }
    if (use_ioapic)
        lapic_eoi();
    else
        pic_eoi(KBD_IRQ);
}

/* The PIC's spurious IRQ 7: no EOI. */
static void spurious_irq7(struct interrupt_frame *frame)
{
    (void)frame;
}

static void watchdog(struct interrupt_frame *frame)
{
    (void)frame;
    serial_puts("kbd: timeout\n");
    debug_exit(2);
}

static int token_is(const char *value, const char *word)
{
    if (value == NULL)
        return 0;
    while (*word)
        if (*value++ != *word++)
            return 0;
    return *value == '\0' || *value == ' ';
}

static int route_irq(const char *cmdline)
{
    if (!use_ioapic) {
        serial_puts("kbd: IRQ 1 through the PIC\n");
        irq_set_handler(PIC_VECTOR_BASE + KBD_IRQ, keyboard_interrupt);
        irq_set_handler(PIC_VECTOR_BASE + 7, spurious_irq7);
        lapic_virtual_wire();
        pic_set_mask((uint16_t)~(1u << KBD_IRQ));
        return 0;
    }
    struct platform platform;
    platform_scan(&platform, cmdline);
    unsigned pin = platform_isa_irq_pin(&platform, KBD_IRQ, KBD_IRQ);
    uint32_t ioapic = platform.ioapic_address;
    serial_puts("kbd: IRQ 1 through IOAPIC pin ");
    serial_put_dec(pin);
    serial_puts(" (");
    serial_puts(platform_source_name(platform.source));
    serial_puts(")\n");
    if (pin >= ioapic_pin_count(ioapic)) {
        serial_puts("kbd: the IOAPIC has no such pin\n");
        return -1;
    }
    irq_set_handler(IOAPIC_VECTOR, keyboard_interrupt);
    lapic_enable();
    lapic_write(LAPIC_LVT_LINT0, LAPIC_LVT_MASKED | 0x700);
    ioapic_mask_all(ioapic);
    ioapic_route_edge(ioapic, pin, IOAPIC_VECTOR, lapic_id());
    return 0;
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    const char *cmdline = multiboot_cmdline(magic, info);
    use_ioapic = token_is(cmdline_value(cmdline, "irq"), "ioapic");
    translated = !token_is(cmdline_value(cmdline, "set"), "2");
    ctrl_alt_del = 0;
    extended = releasing = ctrl_held = alt_held = 0;

    irq_init();
    irq_set_handler(WATCHDOG_VECTOR, watchdog);
    pic_remap(PIC_VECTOR_BASE);         /* and mask every IRQ */
    if (route_irq(cmdline) != 0)
        return 3;

    for (int i = 0; i < POLLS && (inb(I8042_STATUS) & STATUS_OUTPUT_FULL); i++)
        (void)inb(I8042_DATA);          /* stale bytes */
    uint8_t config;
    if (read_config(&config) != 0) {
        serial_puts("kbd: no i8042 configuration byte\n");
        return 3;
    }
    config = (uint8_t)((config | CONFIG_KBD_INTERRUPT) & ~CONFIG_KBD_DISABLED);
    config = translated ? (uint8_t)(config | CONFIG_TRANSLATE) : (uint8_t)(config & ~CONFIG_TRANSLATE);
    write_config(config);
    serial_puts(translated ? "kbd: scan code set 1\n" : "kbd: scan code set 2\n");

    serial_puts("kbd: ready\n");
    lapic_timer_oneshot_ms(WATCHDOG_MS, WATCHDOG_VECTOR);
    for (;;) {
        irq_disable();
        if (ctrl_alt_del)
            break;
        irq_enable_and_wait();
    }
    lapic_timer_stop();
    serial_puts("kbd: ctrl-alt-del\n");
    wait_input_empty();
    outb(I8042_COMMAND, CMD_PULSE_RESET);
    for (int i = 0; i < POST_RESET_SPINS; i++)
        cpu_relax();
    serial_puts("kbd: still running\n");
    return 3;
}
