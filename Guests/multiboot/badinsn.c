/*
 * badinsn.elf: executes, at the global symbol bad_instruction, an instruction
 * that KVM's instruction emulator on the development host cannot run:
 * `popcnt %eax, %eax` (bytes f3 0f b8 c0). Guest ring 0 is emulated there, so
 * the vCPU stops with KVM_EXIT_INTERNAL_ERROR (suberror 1, emulation failure)
 * with RIP = bad_instruction.
 *
 * popcnt is an ordinary instruction on every x86-64 CPU (no exception, no side
 * effect beyond EAX and flags); where the guest runs on hardware virtualization
 * it simply executes, and the guest says so and exits with V = 3.
 */
#include "runtime.h"

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    (void)magic;
    (void)info;
    serial_puts("executing an instruction KVM cannot emulate\n");
    __asm__ volatile("xor %%eax, %%eax\n\t"
                     ".globl bad_instruction\n"
                     "bad_instruction:\n\t"
                     "popcnt %%eax, %%eax"
                     : : : "eax", "cc");
    serial_puts("the instruction was executed\n");
    return 3;
}
