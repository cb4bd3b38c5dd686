/*
 * acpi.elf: finds the ACPI tables the way an OS does and prints what they say.
 *
 * It scans 0xE0000-0xFFFFF on 16-byte boundaries for "RSD PTR ", checks both
 * RSDP checksums, walks the RSDT and the XSDT (they must list the same tables),
 * checks every table's checksum (the DSDT and FACS through the FADT), and prints
 * each signature, the MADT's entries and the multiboot memory map's ACPI entry.
 * Any failed check prints "acpi: FAIL ..." and exits with V = 2.
 *
 * With "acpi=shutdown" on the command line it then powers off the ACPI way:
 * SLP_TYPa from the DSDT's _S5 package and SLP_EN, written to the FADT's PM1a
 * control port. With "acpi=reset" it writes the FADT's RESET_VALUE to its
 * RESET_REG. Either way, if the VM is still running afterwards it prints
 * "acpi: still running" and exits with V = 3; otherwise V = 0.
 */
#include "runtime.h"

#define SCAN_START 0xE0000u
#define SCAN_END 0x100000u
#define POST_SPINS 1000

static inline void outw(uint16_t port, uint16_t value)
{
    __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static int same(const uint8_t *p, const char *text, int n)
{
    for (int i = 0; i < n; i++)
        if (p[i] != (uint8_t)text[i])
            return 0;
    return 1;
}

static uint8_t sum(const uint8_t *p, uint32_t n)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < n; i++)
        s += p[i];
    return s;
}

static int failed;

static void fail(const char *what)
{
    serial_puts("acpi: FAIL ");
    serial_puts(what);
    serial_putc('\n');
    failed = 1;
}

static void put_sig(const uint8_t *p)
{
    for (int i = 0; i < 4; i++)
        serial_putc((char)p[i]);
}

/* Prints "acpi: SIG at 0x... length N" and checks the checksum. */
static void check_table(const uint8_t *t)
{
    serial_puts("acpi: ");
    put_sig(t);
    serial_puts(" at 0x");
    serial_put_hex32((uint32_t)(uintptr_t)t);
    serial_puts(" length ");
    serial_put_dec(rd32(t + 4));
    serial_putc('\n');
    if (sum(t, rd32(t + 4)) != 0)
        fail("table checksum");
}

static void print_madt(const uint8_t *m)
{
    uint32_t length = rd32(m + 4);
    serial_puts("madt: local apic 0x");
    serial_put_hex32(rd32(m + 36));
    serial_puts(" flags ");
    serial_put_dec(rd32(m + 40));
    serial_putc('\n');
    for (uint32_t off = 44; off + 2 <= length && m[off + 1] >= 2; off += m[off + 1]) {
        const uint8_t *e = m + off;
        switch (e[0]) {
        case 0:
            serial_puts("madt: cpu uid ");
            serial_put_dec(e[2]);
            serial_puts(" apic ");
            serial_put_dec(e[3]);
            serial_puts(" flags ");
            serial_put_dec(rd32(e + 4));
            break;
        case 1:
            serial_puts("madt: ioapic id ");
            serial_put_dec(e[2]);
            serial_puts(" address 0x");
            serial_put_hex32(rd32(e + 4));
            serial_puts(" gsi base ");
            serial_put_dec(rd32(e + 8));
            break;
        case 2:
            serial_puts("madt: override irq ");
            serial_put_dec(e[3]);
            serial_puts(" gsi ");
            serial_put_dec(rd32(e + 4));
            serial_puts(" flags ");
            serial_put_dec(rd16(e + 8));
            break;
        case 4:
            serial_puts("madt: nmi uid ");
            serial_put_dec(e[2]);
            serial_puts(" lint ");
            serial_put_dec(e[5]);
            break;
        default:
            serial_puts("madt: type ");
            serial_put_dec(e[0]);
        }
        serial_putc('\n');
    }
}

/* SLP_TYPa: the first element of the DSDT's "_S5_" package, or -1. */
static int s5_type(const uint8_t *dsdt)
{
    uint32_t length = rd32(dsdt + 4);
    for (uint32_t i = 36; i + 8 < length; i++) {
        if (!same(dsdt + i, "_S5_", 4) || dsdt[i + 4] != 0x12)
            continue;
        const uint8_t *p = dsdt + i + 5;
        p += 1 + (p[0] >> 6); /* PkgLength */
        p += 1;               /* NumElements */
        if (p[0] == 0x0A)
            return p[1];
        if (p[0] == 0x00 || p[0] == 0x01)
            return p[0];
        return -1;
    }
    return -1;
}

static void print_acpi_memory(const struct multiboot_info *info)
{
    if (!info || !(info->flags & MULTIBOOT_INFO_MMAP))
        return;
    uint32_t at = info->mmap_addr;
    while (at < info->mmap_addr + info->mmap_length) {
        const struct multiboot_mmap_entry *e = (const void *)(uintptr_t)at;
        if (e->type == 3) {
            serial_puts("mmap: acpi 0x");
            serial_put_hex32((uint32_t)e->addr);
            serial_puts(" length 0x");
            serial_put_hex32((uint32_t)e->len);
            serial_putc('\n');
        }
        at += e->size + 4;
    }
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    const char *cmdline = multiboot_cmdline(magic, info);
    const uint8_t *rsdp = 0;
    for (uint32_t a = SCAN_START; a < SCAN_END; a += 16) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)a;
        if (same(p, "RSD PTR ", 8) && sum(p, 20) == 0) {
            rsdp = p;
            break;
        }
    }
    if (!rsdp) {
        serial_puts("acpi: no RSDP\n");
        return 1;
    }
    serial_puts("acpi: RSDP at 0x");
    serial_put_hex32((uint32_t)(uintptr_t)rsdp);
    serial_puts(" revision ");
    serial_put_dec(rsdp[15]);
    serial_putc('\n');
    if (rsdp[15] < 2 || sum(rsdp, rd32(rsdp + 20)) != 0 || rd32(rsdp + 28) != 0)
        fail("RSDP extended checksum or XSDT above 4 GiB");

    const uint8_t *rsdt = (const uint8_t *)(uintptr_t)rd32(rsdp + 16);
    const uint8_t *xsdt = (const uint8_t *)(uintptr_t)rd32(rsdp + 24);
    check_table(rsdt);
    check_table(xsdt);
    if (!same(rsdt, "RSDT", 4) || !same(xsdt, "XSDT", 4))
        fail("root table signatures");
    uint32_t count = (rd32(xsdt + 4) - 36) / 8;
    if ((rd32(rsdt + 4) - 36) / 4 != count)
        fail("RSDT and XSDT entry counts");

    const uint8_t *fadt = 0, *madt = 0;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *t = (const uint8_t *)(uintptr_t)rd32(xsdt + 36 + 8 * i);
        if (rd32(xsdt + 40 + 8 * i) != 0 || rd32(rsdt + 36 + 4 * i) != (uint32_t)(uintptr_t)t)
            fail("RSDT and XSDT disagree");
        check_table(t);
        if (same(t, "FACP", 4))
            fadt = t;
        if (same(t, "APIC", 4))
            madt = t;
    }
    if (!fadt || !madt) {
        fail("no FADT or MADT");
        return 2;
    }
    const uint8_t *dsdt = (const uint8_t *)(uintptr_t)rd32(fadt + 140);
    check_table(dsdt);
    const uint8_t *facs = (const uint8_t *)(uintptr_t)rd32(fadt + 36);
    serial_puts("acpi: ");
    put_sig(facs);
    serial_putc('\n');
    print_madt(madt);
    print_acpi_memory(info);
    int slp_typ = s5_type(dsdt);
    uint16_t pm1a_cnt = (uint16_t)rd32(fadt + 64);
    serial_puts("fadt: sci ");
    serial_put_dec(rd16(fadt + 46));
    serial_puts(" pm1a_cnt 0x");
    serial_put_hex32(pm1a_cnt);
    serial_puts(" pm_tmr 0x");
    serial_put_hex32(rd32(fadt + 76));
    serial_puts(" s5 ");
    serial_put_dec((unsigned long)slp_typ);
    serial_putc('\n');
    if (failed)
        return 2;

    const char *action = cmdline_value(cmdline, "acpi");
    if (action && same((const uint8_t *)action, "shutdown", 8)) {
        serial_puts("acpi: powering off\n");
        outw(pm1a_cnt, (uint16_t)((slp_typ & 7) << 10));
        outw(pm1a_cnt, (uint16_t)(((slp_typ & 7) << 10) | (1 << 13)));
    } else if (action && same((const uint8_t *)action, "reset", 5)) {
        serial_puts("acpi: resetting\n");
        if (fadt[116] != 1)
            fail("RESET_REG is not in I/O space");
        else
            outb((uint16_t)rd32(fadt + 120), fadt[128]);
    } else {
        return 0;
    }
    for (int i = 0; i < POST_SPINS; i++)
        __asm__ volatile("pause" ::: "memory");
    serial_puts("acpi: still running\n");
    return 3;
}
