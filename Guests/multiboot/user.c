/*
 * user.elf: entered by longmode.S in 64-bit mode at CPL 0, drops to CPL 3 with
 * iretq (RFLAGS.IOPL = 3, so ring 3 may use the serial and debug-exit ports),
 * runs a loop natively there and exits from ring 3. There is no IDT and no TSS:
 * ring 3 never returns to ring 0, and any fault would end in a triple fault.
 */
#include "runtime.h"
#include "cpu64.h"

#define LOOP_COUNT      1000000ul

static uint8_t user_stack[8192] __attribute__((aligned(16)));

static uint16_t current_cpl(void)
{
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    return cs & 3;
}

__attribute__((noreturn, used)) static void user_main(void)
{
    /* Sum LOOP_COUNT..1 in asm so the compiler cannot fold the loop away. */
    unsigned long sum = 0, i = LOOP_COUNT;
    __asm__ volatile("1: add %1, %0\n\t"
                     "dec %1\n\t"
                     "jnz 1b"
                     : "+r"(sum), "+r"(i) : : "cc");
    serial_puts("sum 1..1000000 = ");
    serial_put_dec(sum);
    serial_putc('\n');

    uint16_t cpl = current_cpl();
    serial_puts("long mode, CPL ");
    serial_put_dec(cpl);
    serial_putc('\n');
    debug_exit(cpl == 3 ? 0 : 3);
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    (void)magic;
    (void)info;
    uint16_t cpl = current_cpl();
    serial_puts("long mode, CPL ");
    serial_put_dec(cpl);
    serial_putc('\n');
    if (cpl != 0)
        return 3;

    /* iretq frame: SS, RSP, RFLAGS, CS, RIP. RSP is 8 below a 16-byte boundary,
     * as at the entry of a function that was called. */
    enter_cpl3(user_main, user_stack + sizeof(user_stack));
}
