/* protected.elf: checks the multiboot machine state and prints the info block. */
#include "runtime.h"

#define CR0_PE (1u << 0)
#define CR0_PG (1u << 31)

/* KiB in the memory map's type-1 (available RAM) entries. Other entries (QEMU
 * also lists reserved ranges and ends its map with an empty type-0 entry) do
 * not count. */
static uint32_t available_kib(const struct multiboot_info *info)
{
    uint64_t bytes = 0;
    uint32_t entry = info->mmap_addr;
    uint32_t end = info->mmap_addr + info->mmap_length;
    while (entry < end) {
        const struct multiboot_mmap_entry *e = (const struct multiboot_mmap_entry *)(uintptr_t)entry;
        if (e->type == 1)
            bytes += e->len;
        entry += e->size + 4;
    }
    return (uint32_t)(bytes >> 10);
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    uint32_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC || (cr0 & CR0_PE) == 0 || (cr0 & CR0_PG) != 0) {
        serial_puts("protected mode BAD\n");
        serial_puts("eax=0x");
        serial_put_hex32(magic);
        serial_puts(" cr0=0x");
        serial_put_hex32(cr0);
        serial_putc('\n');
        return 3;
    }
    serial_puts("protected mode ok\n");

    const char *cmdline = multiboot_cmdline(magic, info);
    serial_puts("cmdline: ");
    if (cmdline != NULL)
        serial_puts(cmdline);
    serial_putc('\n');

    if (info != NULL && (info->flags & MULTIBOOT_INFO_MEMORY) != 0) {
        serial_puts("mem_lower=");
        serial_put_dec(info->mem_lower);
        serial_puts(" mem_upper=");
        serial_put_dec(info->mem_upper);
        serial_putc('\n');
    } else {
        serial_puts("no memory info\n");
    }

    if (info != NULL && (info->flags & MULTIBOOT_INFO_MMAP) != 0) {
        serial_puts("ram=");
        serial_put_dec(available_kib(info));
        serial_puts(" KiB\n");
    } else {
        serial_puts("no memory map\n");
    }
    return 0;
}
