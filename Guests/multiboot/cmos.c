/*
 * cmos.elf: reads the CMOS RTC the way firmware and Linux do (index to port 0x70,
 * value from port 0x71) and writes POST codes to port 0x80.
 *
 * Prints the memory-size registers, the CPU count register and whether the clock
 * reads as a valid BCD date; then writes "post=N" codes to port 0x80 (default 100)
 * and exits through the debug port. Output:
 *   cmos: base 640 KiB
 *   cmos: above 16M <N> x 64 KiB
 *   cmos: cpus <N>
 *   cmos: clock ok            (or "cmos: clock invalid")
 *   cmos: <N> post codes
 * When the VMM registers ports 0x70 and 0x80 as coalesced PIO zones, the index and
 * POST writes cost no exit: only the `in` from 0x71 does, and KVM's ring delivers
 * the writes before that exit is handled.
 */
#include "runtime.h"

static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static int bcd_ok(uint8_t value, unsigned max)
{
    unsigned low = value & 0xF, high = value >> 4;
    return low <= 9 && high <= 9 && high * 10 + low <= max;
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    unsigned long posts = 100;
    const char *value = cmdline_value(multiboot_cmdline(magic, info), "post");
    if (value != NULL && parse_decimal(value, 100000, &posts) != 0) {
        serial_puts("cmos: invalid post= value\n");
        return 3;
    }
    unsigned base = cmos_read(0x15) | (unsigned)cmos_read(0x16) << 8;
    unsigned above16 = cmos_read(0x34) | (unsigned)cmos_read(0x35) << 8;
    unsigned cpus = cmos_read(0x5F) + 1u;
    uint8_t status_b = cmos_read(0x0B);
    uint8_t seconds = cmos_read(0x00), minutes = cmos_read(0x02), hours = cmos_read(0x04);
    uint8_t day = cmos_read(0x07), month = cmos_read(0x08), year = cmos_read(0x09);
    int ok = (status_b & 0x04) == 0 && bcd_ok(seconds, 59) && bcd_ok(minutes, 59) && bcd_ok(hours, 23)
        && bcd_ok(day, 31) && day != 0 && bcd_ok(month, 12) && month != 0 && bcd_ok(year, 99)
        && (cmos_read(0x0D) & 0x80) != 0;

    serial_puts("cmos: base ");
    serial_put_dec(base);
    serial_puts(" KiB\ncmos: above 16M ");
    serial_put_dec(above16);
    serial_puts(" x 64 KiB\ncmos: cpus ");
    serial_put_dec(cpus);
    serial_puts(ok ? "\ncmos: clock ok\n" : "\ncmos: clock invalid\n");
    for (unsigned long i = 0; i < posts; i++)
        outb(0x80, (uint8_t)i);
    serial_puts("cmos: ");
    serial_put_dec(posts);
    serial_puts(" post codes\n");
    return 0;
}
