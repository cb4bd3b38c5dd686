/* flat32: a flat binary at 0x100000, entered at its first byte in 32-bit protected mode. */
#include "runtime.h"

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    (void)magic;
    (void)info;
    serial_puts("flat protected mode\n");
    return 0;
}
