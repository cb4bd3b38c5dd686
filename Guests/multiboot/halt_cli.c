/*
 * halt_cli.elf: prints one line, then halts with interrupts disabled
 * (`cli; hlt`), which nothing but an NMI, SMI or INIT can end. A VMM should
 * report it and stop. If the vCPU is resumed after the hlt anyway, the guest
 * prints "halt-cli: resumed after hlt" and exits with V = 3.
 */
#include "runtime.h"

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    (void)magic;
    (void)info;
    serial_puts("halt-cli: halting with interrupts disabled\n");
    __asm__ volatile(".globl halt_cli_hlt\n\t"
                     "cli\n"
                     "halt_cli_hlt:\n\t"
                     "hlt" ::: "memory");
    serial_puts("halt-cli: resumed after hlt\n");
    return 3;
}
