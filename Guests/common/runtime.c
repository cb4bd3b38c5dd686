/* The tiny runtime shared by the test guests (see runtime.h). */
#include "runtime.h"

void serial_putc(char c)
{
    while ((inb(COM1_LSR) & LSR_THRE) == 0)
        ;
    outb(COM1_DATA, (uint8_t)c);
}

void serial_puts(const char *s)
{
    while (*s)
        serial_putc(*s++);
}

void serial_put_dec(unsigned long value)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0)
        serial_putc(digits[--n]);
}

void serial_put_hex32(uint32_t value)
{
    for (int shift = 28; shift >= 0; shift -= 4)
        serial_putc("0123456789abcdef"[(value >> shift) & 0xf]);
}

void debug_exit(uint32_t code)
{
    outl(DEBUG_EXIT_PORT, code);
    /* Not reached on a VMM with the debug-exit device; stop here otherwise. */
    for (;;)
        __asm__ volatile("cli; hlt");
}

const char *multiboot_cmdline(uint32_t magic, const struct multiboot_info *info)
{
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC || info == NULL)
        return NULL;
    if ((info->flags & MULTIBOOT_INFO_CMDLINE) == 0 || info->cmdline == 0)
        return NULL;
    return (const char *)(uintptr_t)info->cmdline;
}

const char *cmdline_value(const char *cmdline, const char *key)
{
    if (cmdline == NULL)
        return NULL;
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *k = key;
        const char *t = p;
        while (*k && *t == *k) {
            t++;
            k++;
        }
        if (*k == '\0' && *t == '=')
            return t + 1;
        while (*p && *p != ' ')
            p++;
    }
    return NULL;
}

int parse_decimal(const char *s, unsigned long max, unsigned long *out)
{
    if (s == NULL || *s == '\0' || *s == ' ')
        return -1;
    unsigned long value = 0;
    for (; *s && *s != ' '; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned long digit = (unsigned long)(*s - '0');
        if (digit > max || value > (max - digit) / 10)
            return -1;
        value = value * 10 + digit;
    }
    *out = value;
    return 0;
}
