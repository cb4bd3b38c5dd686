/*
 * smp.elf: starts every application processor (AP) and checks each one in.
 *
 * The BSP finds the CPUs in the MP table's processor entries, else in the ACPI
 * MADT's local APIC entries (`tables=mp|acpi|none` restricts the search, see
 * tables.h); enabled entries only. It sorts their APIC IDs, copies the real-mode
 * trampoline (smp_trampoline.S) to AP_TRAMPOLINE (0x10000: page-aligned, clear
 * of the multiboot info at 0x7000-0x9FFF, of the MP table / EBDA at 0x9FC00 and
 * of the image at 1 MiB), enables its local APIC and, for each AP in APIC ID
 * order, runs the MP spec's universal startup algorithm through the ICR:
 * INIT (level assert, then deassert), 10 ms, STARTUP, 200 us, STARTUP, 200 us.
 * Delays use the local APIC timer (KVM: 1 GHz); nothing printed depends on them.
 *
 * Each AP enters protected mode, takes its own stack, loads the IDT, reads its
 * APIC ID from the local APIC ID register (bits 31:24) and from CPUID leaf 1
 * (EBX bits 31:24) and its x2APIC ID from CPUID leaf 0xB (EDX; "-" when the
 * maximum basic leaf is below 0xB), checks in, waits for its turn (APs print in
 * APIC ID order, whatever order they start in) and prints, under a spinlock:
 *   smp: ap lapic id <ID>, cpuid apic id <ID>, x2apic id <ID>
 * then halts with interrupts disabled.
 *
 * `trampoline=ADDR` (decimal, a multiple of 4096 below 0x9F000) moves the
 * trampoline, e.g. to 0 (STARTUP vector 0x00: the AP starts at 0000:0000, as
 * some test suites place it) or 4096; it is printed as
 *   smp: trampoline <ADDR in hex>
 * right after the source line when given. A bad value exits with 4.
 *
 * The BSP waits (at most AP_WAIT_MS) until every AP checked in and printed,
 * then prints one line per CPU in APIC ID order and the total. Output with
 * 4 CPUs, APIC IDs 0-3:
 *   smp: cpus from <MP table | ACPI MADT | none>
 *   smp: bsp apic id 0
 *   smp: ap lapic id 1, cpuid apic id 1, x2apic id 1
 *   smp: ap lapic id 2, cpuid apic id 2, x2apic id 2
 *   smp: ap lapic id 3, cpuid apic id 3, x2apic id 3
 *   cpu 0 up
 *   cpu 1 up
 *   cpu 2 up
 *   cpu 3 up
 *   smp: 4 cpus
 * (always "cpus", also for 1) and V = 0. A CPU that did not check in prints
 * "cpu N down", the total counts the CPUs up, and V = 2 (an AP that checked in
 * but whose turn never came, behind one that is down, counts as up without
 * its "smp: ap" line). An AP whose two APIC
 * IDs differ makes V = 3. More than PLATFORM_MAX_CPUS CPUs: the rest are ignored
 * and "smp: N more cpus ignored" is printed after the source line.
 */
#include "runtime.h"
#include "irq.h"
#include "tables.h"

#define AP_TRAMPOLINE 0x10000u          /* default; see trampoline= */
#define AP_WAIT_MS 5000
#define ICR_INIT_ASSERT   0x0000C500u   /* INIT, level-triggered, assert */
#define ICR_INIT_DEASSERT 0x00008500u   /* INIT, level-triggered, deassert */
#define ICR_STARTUP       0x00004600u   /* STARTUP | vector */

extern const char ap_trampoline[], ap_trampoline_end[];
extern volatile uint32_t ap_stack_ticket;
void ap_main(void);

static spinlock serial_lock;
static unsigned cpu_count;
static uint8_t cpu_ids[PLATFORM_MAX_CPUS];          /* sorted */
static unsigned bsp_id;
/* Written by the APs: */
static volatile uint32_t print_turn;                /* index in cpu_ids */
static volatile uint8_t checked_in[PLATFORM_MAX_CPUS];
static volatile uint8_t id_mismatch[PLATFORM_MAX_CPUS];
static volatile uint32_t strays;                    /* APs not in the table */

/* Index of `id` in cpu_ids, or -1. */
static int cpu_index(unsigned id)
{
    for (unsigned i = 0; i < cpu_count; i++)
        if (cpu_ids[i] == id)
            return (int)i;
    return -1;
}

void ap_main(void)
{
    uint32_t a, b, c, d;
    idt_load();
    unsigned id = lapic_id();
    cpuid(0, &a, &b, &c, &d);
    int has_leaf_b = a >= 0xB;
    uint32_t x2apic_id = 0;
    if (has_leaf_b) {
        cpuid(0xB, &a, &b, &c, &d);
        x2apic_id = d;
    }
    cpuid(1, &a, &b, &c, &d);
    unsigned cpuid_id = b >> 24;
    int i = cpu_index(id);
    if (i < 0) {
        __asm__ volatile("lock incl %0" : "+m"(strays) : : "memory");
        return;                                     /* parks */
    }
    id_mismatch[i] = id != cpuid_id || (has_leaf_b && x2apic_id != id);
    checked_in[i] = 1;
    /* Wait until the APs with lower APIC IDs have printed. */
    while (print_turn != (uint32_t)i)
        cpu_relax();
    spin_lock(&serial_lock);
    serial_puts("smp: ap lapic id ");
    serial_put_dec(id);
    serial_puts(", cpuid apic id ");
    serial_put_dec(cpuid_id);
    serial_puts(", x2apic id ");
    if (has_leaf_b)
        serial_put_dec(x2apic_id);
    else
        serial_putc('-');
    serial_putc('\n');
    spin_unlock(&serial_lock);
    /* Skip the BSP's slot for the next AP. */
    unsigned next = (unsigned)i + 1;
    if (next < cpu_count && cpu_ids[next] == bsp_id)
        next++;
    print_turn = next;
}

/* Every CPU checked in and every AP printed its line. */
static int all_done(void)
{
    for (unsigned i = 0; i < cpu_count; i++)
        if (!checked_in[i])
            return 0;
    return print_turn == cpu_count;
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    const char *cmdline = multiboot_cmdline(magic, info);
    struct platform platform;

    irq_init();
    serial_lock = 0;
    unsigned long trampoline = AP_TRAMPOLINE;
    const char *trampoline_arg = cmdline_value(cmdline, "trampoline");
    if (trampoline_arg != 0
        && (parse_decimal(trampoline_arg, 0x9E000, &trampoline) != 0 || (trampoline & 0xFFF) != 0))
        return 4;
    platform_scan(&platform, cmdline);
    serial_puts("smp: cpus from ");
    serial_puts(platform_source_name(platform.source));
    serial_putc('\n');
    if (trampoline_arg != 0) {
        serial_puts("smp: trampoline ");
        serial_put_hex32((uint32_t)trampoline);
        serial_putc('\n');
    }
    if (platform.cpus_ignored != 0) {
        serial_puts("smp: ");
        serial_put_dec(platform.cpus_ignored);
        serial_puts(" more cpus ignored\n");
    }
    bsp_id = lapic_id();
    serial_puts("smp: bsp apic id ");
    serial_put_dec(bsp_id);
    serial_putc('\n');

    /* The CPUs, sorted by APIC ID (insertion sort), the BSP included. */
    cpu_count = 0;
    for (unsigned k = 0; k < platform.cpu_count; k++) {
        uint8_t id = platform.cpu_apic_ids[k];
        if (cpu_index(id) >= 0)
            continue;                               /* duplicate entry */
        unsigned j = cpu_count++;
        while (j > 0 && cpu_ids[j - 1] > id) {
            cpu_ids[j] = cpu_ids[j - 1];
            j--;
        }
        cpu_ids[j] = id;
    }
    if (cpu_index(bsp_id) < 0) {
        if (cpu_count == PLATFORM_MAX_CPUS)
            cpu_count--;                            /* make room for the BSP */
        unsigned j = cpu_count++;
        while (j > 0 && cpu_ids[j - 1] > bsp_id) {
            cpu_ids[j] = cpu_ids[j - 1];
            j--;
        }
        cpu_ids[j] = (uint8_t)bsp_id;
    }
    for (unsigned i = 0; i < cpu_count; i++) {
        checked_in[i] = cpu_ids[i] == bsp_id;
        id_mismatch[i] = 0;
    }
    strays = 0;
    print_turn = cpu_ids[0] == bsp_id ? 1 : 0;

    if (cpu_count > 1) {
        const char *src = ap_trampoline;
        volatile char *dst = (volatile char *)(uintptr_t)trampoline;
        for (unsigned k = 0; k < (unsigned)(ap_trampoline_end - ap_trampoline); k++)
            dst[k] = src[k];
        ap_stack_ticket = 0;
        lapic_enable();
        for (unsigned i = 0; i < cpu_count; i++) {
            unsigned id = cpu_ids[i];
            if (id == bsp_id)
                continue;
            lapic_write(LAPIC_ESR, 0);
            lapic_send_ipi(id, ICR_INIT_ASSERT);
            lapic_send_ipi(id, ICR_INIT_DEASSERT);
            lapic_delay_us(10000);
            lapic_send_ipi(id, ICR_STARTUP | (uint32_t)(trampoline >> 12));
            lapic_delay_us(200);
            lapic_send_ipi(id, ICR_STARTUP | (uint32_t)(trampoline >> 12));
            lapic_delay_us(200);
        }
        lapic_deadline_start_ms(AP_WAIT_MS);
        while (!all_done() && !lapic_deadline_passed())
            cpu_relax();
    }

    spin_lock(&serial_lock);
    unsigned up = 0;
    uint32_t result = 0;
    for (unsigned i = 0; i < cpu_count; i++) {
        serial_puts("cpu ");
        serial_put_dec(cpu_ids[i]);
        if (checked_in[i]) {
            serial_puts(" up\n");
            up++;
        } else {
            serial_puts(" down\n");
            result = 2;
        }
        if (id_mismatch[i] && result == 0)
            result = 3;
    }
    if (strays != 0) {
        serial_puts("smp: ");
        serial_put_dec(strays);
        serial_puts(" cpus not in the table started\n");
    }
    serial_puts("smp: ");
    serial_put_dec(up);
    serial_puts(" cpus\n");
    spin_unlock(&serial_lock);
    return result;
}
