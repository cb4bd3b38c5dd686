/* exitcode.elf: exits with the code given as "code=N" on the command line. */
#include "runtime.h"

#define DEFAULT_CODE 42
#define MAX_CODE 127        /* (127 << 1) | 1 = 255, the largest exit status */
#define INVALID_CODE 127

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    const char *value = cmdline_value(multiboot_cmdline(magic, info), "code");
    unsigned long code = DEFAULT_CODE;
    if (value != NULL && parse_decimal(value, MAX_CODE, &code) != 0) {
        serial_puts("exit code: invalid code= value\n");
        return INVALID_CODE;
    }
    serial_puts("exit code ");
    serial_put_dec(code);
    serial_putc('\n');
    return (uint32_t)code;
}
