/*
 * kbd_reset.elf: prints one line, then asks the i8042 keyboard controller to
 * pulse the CPU reset line (command 0xFE to port 0x64), the way PCs reboot.
 * Like other i8042 users it first reads the status port 0x64 until the input
 * buffer is empty (bit 1 clear), at most STATUS_POLLS times (a machine without
 * an i8042 reads 0xFF). If the VM is still running POST_RESET_SPINS `pause`
 * loops later, it prints "kbd-reset: still running" and exits with V = 3.
 */
#include "runtime.h"

#define I8042_STATUS 0x64
#define I8042_COMMAND 0x64
#define I8042_INPUT_FULL 0x02
#define I8042_PULSE_RESET 0xFE
#define STATUS_POLLS 16
#define POST_RESET_SPINS 1000

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    (void)magic;
    (void)info;
    serial_puts("kbd-reset: resetting through the keyboard controller\n");
    for (int i = 0; i < STATUS_POLLS; i++)
        if ((inb(I8042_STATUS) & I8042_INPUT_FULL) == 0)
            break;
    outb(I8042_COMMAND, I8042_PULSE_RESET);
    for (int i = 0; i < POST_RESET_SPINS; i++)
        __asm__ volatile("pause" ::: "memory");
    serial_puts("kbd-reset: still running\n");
    return 3;
}
