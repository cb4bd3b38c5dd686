/*
 * mmio.elf: one 32-bit read from, then one 32-bit write to, each of three
 * unassigned addresses in the MMIO hole below 4 GiB. Each access is a single
 * `mov` instruction, so it is exactly one MMIO exit.
 */
#include "runtime.h"

static const uint32_t addresses[] = {0xC0000000u, 0xD0000000u, 0xE0000000u};
#define COUNT (sizeof(addresses) / sizeof(addresses[0]))
#define WRITE_VALUE 0x12345678u

static inline uint32_t mmio_read32(uint32_t address)
{
    uint32_t value;
    __asm__ volatile("movl (%1), %0" : "=r"(value) : "r"(address) : "memory");
    return value;
}

static inline void mmio_write32(uint32_t address, uint32_t value)
{
    __asm__ volatile("movl %0, (%1)" : : "r"(value), "r"(address) : "memory");
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    (void)magic;
    (void)info;
    for (unsigned i = 0; i < COUNT; i++) {
        uint32_t value = mmio_read32(addresses[i]);
        serial_puts("mmio 0x");
        serial_put_hex32(addresses[i]);
        serial_puts(" = 0x");
        serial_put_hex32(value);
        serial_putc('\n');
    }
    for (unsigned i = 0; i < COUNT; i++)
        mmio_write32(addresses[i], WRITE_VALUE);
    return 0;
}
