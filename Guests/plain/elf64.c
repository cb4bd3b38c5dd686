/* elf64: a plain ELF64 (no multiboot header), entered at e_entry in 64-bit long mode, CPL 0, paging on. */
#include "runtime.h"

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    (void)magic;
    (void)info;
    serial_puts("elf64 long mode\n");
    return 0;
}
