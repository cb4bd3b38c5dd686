/*
 * Finding the CPUs and the IOAPIC routing of ISA IRQs from the firmware tables:
 * the Intel MultiProcessor table (MP spec 1.4: floating pointer "_MP_", config
 * table "PCMP") or, when there is none, the ACPI MADT ("APIC" table, found
 * through the RSDP "RSD PTR " and the RSDT or XSDT). Paging is off, so every
 * table is read at its physical address. Checksums are verified; a table with
 * a bad checksum is ignored.
 *
 * The scan reads, in this order: the first KiB of the EBDA (only when the BDA
 * word at 0x40E points into [0x80000, 0xA0000); a VMM that leaves low memory
 * zeroed has no EBDA), the last KiB of base memory [0x9FC00, 0xA0000) (MP only),
 * and the BIOS area: [0xF0000, 0x100000) for "_MP_", [0xE0000, 0x100000) for
 * the RSDP, on 16-byte boundaries. An MP floating pointer with a nonzero
 * default-configuration byte (no config table) is ignored. The entries of the
 * MP configuration table are walked up to its base table length, not counted
 * with its entry-count field: QEMU microvm's firmware (qboot) writes 0 there
 * (Linux walks by length too).
 */
#ifndef GUESTS_TABLES_H
#define GUESTS_TABLES_H

#include <stdint.h>

#define PLATFORM_MAX_CPUS 16

enum platform_source {
    PLATFORM_NONE = 0,          /* neither table: defaults */
    PLATFORM_MP = 1,            /* MP configuration table */
    PLATFORM_ACPI = 2,          /* ACPI MADT */
};

struct platform {
    enum platform_source source;
    uint32_t lapic_address;     /* from the table; 0xFEE00000 by default */
    uint32_t ioapic_address;    /* first IOAPIC; 0xFEC00000 by default */
    uint32_t ioapic_gsi_base;   /* ACPI: its first GSI; 0 otherwise */
    unsigned cpu_count;         /* enabled processors (at most PLATFORM_MAX_CPUS) */
    unsigned cpus_ignored;      /* enabled processors beyond PLATFORM_MAX_CPUS */
    uint8_t cpu_apic_ids[PLATFORM_MAX_CPUS]; /* in table order */
    /* Internal: where the tables are (0 when absent). */
    uint32_t mp_config;
    uint32_t madt;
};

/* Looks for an MP table, then (only if there is none) for the MADT, and fills
 * `p`. Never fails: without either table, source = PLATFORM_NONE, no CPU list
 * (cpu_count = 0: the caller knows only itself), default addresses.
 * `cmdline` (may be NULL) can restrict the search with a token `tables=mp`
 * (MP table only), `tables=acpi` (MADT only) or `tables=none` (neither); any
 * other value, or none, means both (MP first). */
void platform_scan(struct platform *p, const char *cmdline);

/* "MP table", "ACPI MADT" or "none". */
const char *platform_source_name(enum platform_source source);

/* The IOAPIC input (pin of the first IOAPIC) that ISA IRQ `irq` arrives on:
 *  - MP table: the I/O interrupt entry (type INT) whose source bus is the ISA
 *    bus and source IRQ is `irq`; without one, pin `irq` (identity);
 *  - ACPI MADT: the interrupt source override for bus 0 / source `irq` gives the
 *    GSI, else GSI = `irq`; pin = GSI - IOAPIC GSI base;
 *  - neither: `default_pin`.
 * Returns the pin. */
unsigned platform_isa_irq_pin(const struct platform *p, unsigned irq, unsigned default_pin);

#endif
