/* long.elf: entered by longmode.S in 64-bit mode at CPL 0; reports the CPL. */
#include "runtime.h"

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    (void)magic;
    (void)info;
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    serial_puts("long mode, CPL ");
    serial_put_dec(cs & 3);
    serial_putc('\n');
    return (cs & 3) == 0 ? 0 : 3;
}
