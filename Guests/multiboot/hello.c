/* hello.elf: the smallest multiboot guest. */
#include "runtime.h"

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    (void)magic;
    (void)info;
    serial_puts("Hello from a multiboot guest\n");
    return 0;
}
