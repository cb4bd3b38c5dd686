/* Printing boot modules, shared by modules.elf (multiboot) and pvh.elf (PVH).
 *
 * One line per module:
 *   <prefix> module <N> <start> <end> '<string>' sum <fnv>
 * start and end are 8 lowercase hex digits (end = one past the last byte); fnv is
 * FNV-1a over the module's bytes (h = 0x811c9dc5; h = (h ^ byte) * 0x01000193 mod
 * 2^32), 8 hex digits. The loop costs a few emulated instructions per byte: keep
 * test modules to a few KiB. */
#ifndef GUESTS_MODULES_H
#define GUESTS_MODULES_H

#include "runtime.h"

static inline uint32_t fnv1a(const volatile uint8_t *bytes, uint32_t length)
{
    uint32_t h = 0x811c9dc5u;
    for (uint32_t i = 0; i < length; i++)
        h = (h ^ bytes[i]) * 0x01000193u;
    return h;
}

static inline void print_module(const char *prefix, unsigned index, uint32_t start, uint32_t end,
                                const char *string)
{
    serial_puts(prefix);
    serial_puts(" module ");
    serial_put_dec(index);
    serial_putc(' ');
    serial_put_hex32(start);
    serial_putc(' ');
    serial_put_hex32(end);
    serial_puts(" '");
    serial_puts(string ? string : "");
    serial_puts("' sum ");
    serial_put_hex32(end >= start ? fnv1a((const volatile uint8_t *)(uintptr_t)start, end - start) : 0);
    serial_putc('\n');
}

#endif
