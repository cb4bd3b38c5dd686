/*
 * triple.elf: loads an empty IDT (limit 0) and divides by zero. The #DE cannot
 * be delivered (#GP), neither can the #GP (#DF) nor the #DF: triple fault, the
 * VM shuts down (KVM_EXIT_SHUTDOWN). The division is emulated at CPL 0 on the
 * development host; its emulator raises #DE as hardware does (so does ud2 with
 * #UD; int3 instead stops the vCPU with an emulation failure).
 */
#include "runtime.h"

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    (void)magic;
    (void)info;
    static const struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) empty_idt = {0, 0};

    serial_puts("about to triple fault\n");
    __asm__ volatile("lidt %0\n\t"
                     "xor %%ecx, %%ecx\n\t"
                     ".globl divide_by_zero\n"
                     "divide_by_zero:\n\t"
                     "div %%ecx"
                     :
                     : "m"(empty_idt)
                     : "eax", "ecx", "edx", "memory");
    serial_puts("no triple fault\n");
    return 3;
}
