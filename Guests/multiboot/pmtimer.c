/*
 * pmtimer.elf: reads the ACPI PM timer (port from the command line token
 * "port=N", default 0x608) and the TSC over an interval of "ticks=N" PM timer
 * ticks (default 358000, about 0.1 s), and prints both counts for the test to
 * turn into a rate against the TSC frequency KVM reports:
 *
 *   pmtimer: ticks T tsc C reads R high 0
 *
 * Each read is an exit (~11 us here), so the interval is counted from many
 * reads, each delta taken modulo 2^24 (the counter is 24 bits and wraps every
 * ~4.7 s). "high" counts reads with any of bits 24-31 set, which must be 0.
 */
#include "runtime.h"

#define MASK24 0xFFFFFFu

static inline uint32_t inl(uint16_t port)
{
    uint32_t value;
    __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static void put_dec64(uint64_t value)
{
    /* Decimal without 64-bit division (no libgcc): subtract powers of ten. */
    static const uint64_t powers[] = {
        10000000000000000000ull, 1000000000000000000ull, 100000000000000000ull, 10000000000000000ull,
        1000000000000000ull, 100000000000000ull, 10000000000000ull, 1000000000000ull, 100000000000ull,
        10000000000ull, 1000000000ull, 100000000ull, 10000000ull, 1000000ull, 100000ull, 10000ull,
        1000ull, 100ull, 10ull, 1ull,
    };
    int started = 0;
    for (unsigned i = 0; i < sizeof powers / sizeof powers[0]; i++) {
        char digit = '0';
        while (value >= powers[i]) {
            value -= powers[i];
            digit++;
        }
        if (digit != '0' || started || powers[i] == 1) {
            serial_putc(digit);
            started = 1;
        }
    }
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    const char *cmdline = multiboot_cmdline(magic, info);
    unsigned long port = 0x608, interval = 358000;
    const char *value = cmdline_value(cmdline, "port");
    if (value && parse_decimal(value, 0xFFFF, &port) != 0)
        return 1;
    value = cmdline_value(cmdline, "ticks");
    if (value && parse_decimal(value, 0x7FFFFFFF, &interval) != 0)
        return 1;

    uint32_t high = 0, reads = 1;
    uint32_t last = inl((uint16_t)port);
    uint64_t tsc_start = rdtsc();
    uint32_t first = last;
    uint64_t elapsed = 0;
    high += (first & ~MASK24) != 0;
    while (elapsed < interval) {
        uint32_t now = inl((uint16_t)port);
        reads++;
        high += (now & ~MASK24) != 0;
        elapsed += (now - last) & MASK24;
        last = now;
    }
    uint64_t tsc_end = rdtsc();
    serial_puts("pmtimer: ticks ");
    put_dec64(elapsed);
    serial_puts(" tsc ");
    put_dec64(tsc_end - tsc_start);
    serial_puts(" reads ");
    serial_put_dec(reads);
    serial_puts(" high ");
    serial_put_dec(high);
    serial_putc('\n');
    return 0;
}
