/*
 * ioloop.elf: a benchmark guest. Reads "n=N" from the command line (default
 * 1000) and runs ioloop_run(N): exactly N `outb %al, $0x10`, then reports.
 * The loop is in ioloop_run.S.
 */
#include "runtime.h"

#define DEFAULT_COUNT 1000

void ioloop_run(uint32_t count);

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    const char *value = cmdline_value(multiboot_cmdline(magic, info), "n");
    unsigned long count = DEFAULT_COUNT;
    if (value != NULL && parse_decimal(value, 0xFFFFFFFFul, &count) != 0) {
        serial_puts("ioloop: invalid n= value\n");
        return 127;
    }
    ioloop_run((uint32_t)count);
    serial_puts("ioloop done ");
    serial_put_dec(count);
    serial_putc('\n');
    return 0;
}
