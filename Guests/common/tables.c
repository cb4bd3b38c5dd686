/* MP table and ACPI MADT parsing (see tables.h). */
#include "tables.h"
#include "irq.h"
#include "runtime.h"

/* Signatures as little-endian 32-bit words. */
#define SIG_MP_    0x5F504D5Fu  /* "_MP_" */
#define SIG_PCMP   0x504D4350u  /* "PCMP" */
#define SIG_RSD_   0x20445352u  /* "RSD " (then "PTR ") */
#define SIG_PTR_   0x20525450u  /* "PTR " */
#define SIG_APIC   0x43495041u  /* "APIC" */
/* Longer ACPI tables are taken as garbage (checksumming them would be a long
 * loop in the instruction emulator). */
#define MAX_TABLE_LENGTH 0x4000u

/* Physical memory reads. The empty asm hides the address from the compiler,
 * which would otherwise warn about dereferencing a small constant (0x40E). */
static inline uintptr_t phys(uint32_t a)
{
    uintptr_t p = a;
    __asm__("" : "+r"(p));
    return p;
}
static inline uint8_t rd8(uint32_t a) { return *(volatile const uint8_t *)phys(a); }
static inline uint16_t rd16(uint32_t a) { return *(volatile const uint16_t *)phys(a); }
static inline uint32_t rd32(uint32_t a) { return *(volatile const uint32_t *)phys(a); }

static int checksum_ok(uint32_t address, uint32_t length)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < length; i++)
        sum = (uint8_t)(sum + rd8(address + i));
    return sum == 0;
}

/* MP floating pointer at `a`: returns the config table address, or 0. */
static uint32_t mp_check(uint32_t a)
{
    if (rd32(a) != SIG_MP_ || rd8(a + 8) != 1 || !checksum_ok(a, 16))
        return 0;
    uint32_t config = rd32(a + 4);
    if (config == 0 || rd8(a + 11) != 0)        /* default configuration */
        return 0;
    if (rd32(config) != SIG_PCMP)
        return 0;
    uint16_t length = rd16(config + 4);
    if (length < 44 || !checksum_ok(config, length))
        return 0;
    return config;
}

/* RSDP at `a`: returns the address of the MADT, or 0. */
static uint32_t acpi_check(uint32_t a)
{
    if (rd32(a) != SIG_RSD_ || rd32(a + 4) != SIG_PTR_ || !checksum_ok(a, 20))
        return 0;
    uint32_t sdt = rd32(a + 16);                /* RSDT */
    unsigned entry_size = 4;
    uint32_t rsdp_length = rd32(a + 20);
    if (rd8(a + 15) >= 2 && rsdp_length >= 36 && rsdp_length <= 64 && checksum_ok(a, rsdp_length)
        && rd32(a + 28) == 0 && rd32(a + 24) != 0) {
        sdt = rd32(a + 24);                     /* XSDT below 4 GiB */
        entry_size = 8;
    }
    if (sdt == 0)
        return 0;
    uint32_t length = rd32(sdt + 4);
    if (length < 36 || length > MAX_TABLE_LENGTH || !checksum_ok(sdt, length))
        return 0;
    for (uint32_t e = sdt + 36; e + entry_size <= sdt + length; e += entry_size) {
        if (entry_size == 8 && rd32(e + 4) != 0)
            continue;
        uint32_t table = rd32(e);
        if (table != 0 && rd32(table) == SIG_APIC) {
            uint32_t table_length = rd32(table + 4);
            if (table_length >= 44 && table_length <= MAX_TABLE_LENGTH
                && checksum_ok(table, table_length))
                return table;
        }
    }
    return 0;
}

/* Scans [start, end) on 16-byte boundaries for the MP floating pointer
 * (want_mp) and the RSDP (want_acpi); fills p->mp_config / p->madt. */
static void scan(struct platform *p, uint32_t start, uint32_t end, int want_mp, int want_acpi)
{
    for (uint32_t a = start; a < end; a += 16) {
        uint32_t word = rd32(a);
        if (word == SIG_MP_ && want_mp && p->mp_config == 0)
            p->mp_config = mp_check(a);
        else if (word == SIG_RSD_ && want_acpi && p->madt == 0)
            p->madt = acpi_check(a);
    }
}

static void add_cpu(struct platform *p, uint8_t apic_id)
{
    if (p->cpu_count < PLATFORM_MAX_CPUS)
        p->cpu_apic_ids[p->cpu_count++] = apic_id;
    else
        p->cpus_ignored++;
}

static void parse_mp(struct platform *p)
{
    uint32_t config = p->mp_config;
    uint32_t end = config + rd16(config + 4);
    int have_ioapic = 0;
    p->lapic_address = rd32(config + 36);
    for (uint32_t e = config + 44; e < end;) {
        uint8_t type = rd8(e);
        if (type == 0) {                        /* processor */
            if (rd8(e + 3) & 1)
                add_cpu(p, rd8(e + 1));
            e += 20;
        } else if (type == 2) {                 /* IOAPIC */
            if ((rd8(e + 3) & 1) && !have_ioapic) {
                p->ioapic_address = rd32(e + 4);
                have_ioapic = 1;
            }
            e += 8;
        } else if (type <= 4) {                 /* bus, I/O and local interrupts */
            e += 8;
        } else {
            break;                              /* unknown: stop */
        }
    }
}

static void parse_madt(struct platform *p)
{
    uint32_t madt = p->madt;
    uint32_t end = madt + rd32(madt + 4);
    int have_ioapic = 0;
    p->lapic_address = rd32(madt + 36);
    for (uint32_t e = madt + 44; e + 2 <= end;) {
        uint8_t type = rd8(e), length = rd8(e + 1);
        if (length < 2)
            break;
        if (type == 0 && length >= 8) {         /* processor local APIC */
            if (rd32(e + 4) & 1)
                add_cpu(p, rd8(e + 3));
        } else if (type == 1 && length >= 12) { /* IOAPIC: keep the lowest GSI base */
            uint32_t gsi_base = rd32(e + 8);
            if (!have_ioapic || gsi_base < p->ioapic_gsi_base) {
                p->ioapic_address = rd32(e + 4);
                p->ioapic_gsi_base = gsi_base;
                have_ioapic = 1;
            }
        }
        e += length;
    }
}

/* Does the value of a command-line token (ending at a space or NUL) equal `word`? */
static int token_is(const char *value, const char *word)
{
    if (value == NULL)
        return 0;
    while (*word && *value == *word) {
        value++;
        word++;
    }
    return *word == '\0' && (*value == '\0' || *value == ' ');
}

void platform_scan(struct platform *p, const char *cmdline)
{
    const char *tables = cmdline_value(cmdline, "tables");
    int want_mp = !token_is(tables, "acpi") && !token_is(tables, "none");
    int want_acpi = !token_is(tables, "mp") && !token_is(tables, "none");

    p->source = PLATFORM_NONE;
    p->lapic_address = LAPIC_DEFAULT_BASE;
    p->ioapic_address = IOAPIC_DEFAULT_BASE;
    p->ioapic_gsi_base = 0;
    p->cpu_count = 0;
    p->cpus_ignored = 0;
    p->mp_config = 0;
    p->madt = 0;

    uint32_t ebda = (uint32_t)rd16(0x40E) << 4;
    if (ebda >= 0x80000 && ebda < 0xA0000)
        scan(p, ebda, ebda + 1024, want_mp, want_acpi);
    if (want_mp)
        scan(p, 0x9FC00, 0xA0000, 1, 0);
    if (want_acpi)
        scan(p, 0xE0000, 0xF0000, 0, 1);
    if (want_mp || want_acpi)
        scan(p, 0xF0000, 0x100000, want_mp, want_acpi);

    if (p->mp_config != 0) {
        p->source = PLATFORM_MP;
        p->madt = 0;
        parse_mp(p);
    } else if (p->madt != 0) {
        p->source = PLATFORM_ACPI;
        parse_madt(p);
    }
}

const char *platform_source_name(enum platform_source source)
{
    switch (source) {
    case PLATFORM_MP:
        return "MP table";
    case PLATFORM_ACPI:
        return "ACPI MADT";
    default:
        return "none";
    }
}

unsigned platform_isa_irq_pin(const struct platform *p, unsigned irq, unsigned default_pin)
{
    if (p->source == PLATFORM_MP) {
        uint32_t config = p->mp_config;
        uint32_t end = config + rd16(config + 4);
        /* Bus IDs of ISA buses (bus type "ISA   "); at most 32 tracked. The
         * MP spec orders entries by type, so buses come before interrupts. */
        uint32_t isa_buses = 0;
        for (uint32_t e = config + 44; e < end;) {
            uint8_t type = rd8(e);
            if (type == 1) {
                if (rd8(e + 2) == 'I' && rd8(e + 3) == 'S' && rd8(e + 4) == 'A'
                    && rd8(e + 5) == ' ' && rd8(e + 1) < 32)
                    isa_buses |= 1u << rd8(e + 1);
            } else if (type == 3) {
                uint8_t bus = rd8(e + 4);
                if (rd8(e + 1) == 0 && bus < 32 && (isa_buses & (1u << bus))
                    && rd8(e + 5) == irq)
                    return rd8(e + 7);
            }
            if (type == 0)
                e += 20;
            else if (type <= 4)
                e += 8;
            else
                break;
        }
        return irq;
    }
    if (p->source == PLATFORM_ACPI) {
        uint32_t madt = p->madt;
        uint32_t end = madt + rd32(madt + 4);
        uint32_t gsi = irq;
        for (uint32_t e = madt + 44; e + 2 <= end;) {
            uint8_t type = rd8(e), length = rd8(e + 1);
            if (length < 2)
                break;
            if (type == 2 && length >= 10 && rd8(e + 2) == 0 && rd8(e + 3) == irq) {
                gsi = rd32(e + 4);
                break;
            }
            e += length;
        }
        return gsi - p->ioapic_gsi_base;
    }
    return default_pin;
}
