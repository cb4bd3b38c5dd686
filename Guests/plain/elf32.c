/* elf32: a plain ELF32 (no multiboot header), entered at e_entry in 32-bit protected mode. */
#include "runtime.h"

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    (void)magic;
    (void)info;
    serial_puts("elf32 protected mode\n");
    return 0;
}
