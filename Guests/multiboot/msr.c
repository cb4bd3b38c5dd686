/*
 * msr.elf: writes one MSR N times, then reads it back, counting #GP faults, so
 * the tests can see what the VMM's MSR policy (`--msr`) makes of each access.
 *
 * Command line: `n=N` writes (default 100, at most 1000000), `msr=HEX` the MSR
 * (default 0x175, IA32_SYSENTER_ESP: harmless, and KVM handles it in the kernel
 * unless filtered). Write i (1..N) stores the value i; then one RDMSR. A #GP
 * skips the faulting 2-byte instruction and is counted. Output:
 *   msr: 0x175 written 100 times, read 0x0000000000000064, 0 #GP
 */
#include "irq.h"
#include "runtime.h"

static volatile unsigned long faults;

static void on_general_protection(struct interrupt_frame *frame)
{
    faults++;
    frame->eip += 2;  /* wrmsr and rdmsr are 0F 30 and 0F 32 */
}

static void msr_write(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) : "memory");
}

static uint64_t msr_read(uint32_t msr)
{
    uint32_t low = 0, high = 0;
    __asm__ volatile("rdmsr" : "+a"(low), "+d"(high) : "c"(msr) : "memory");
    return (uint64_t)high << 32 | low;
}

static int parse_hex(const char *s, uint32_t *out)
{
    uint32_t value = 0;
    int digits = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    for (; *s && *s != ' '; s++, digits++) {
        char c = *s;
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (uint32_t)(c - 'A' + 10);
        else
            return -1;
        if (digits == 8)
            return -1;
        value = value << 4 | d;
    }
    if (digits == 0)
        return -1;
    *out = value;
    return 0;
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    const char *cmdline = multiboot_cmdline(magic, info);
    unsigned long n = 100;
    uint32_t msr = 0x175;
    const char *value = cmdline_value(cmdline, "n");
    if (value != NULL && parse_decimal(value, 1000000, &n) != 0) {
        serial_puts("msr: invalid n= value\n");
        return 3;
    }
    value = cmdline_value(cmdline, "msr");
    if (value != NULL && parse_hex(value, &msr) != 0) {
        serial_puts("msr: invalid msr= value\n");
        return 3;
    }
    irq_init();
    irq_set_handler(13, on_general_protection);
    for (unsigned long i = 1; i <= n; i++)
        msr_write(msr, i);
    uint64_t read = msr_read(msr); /* 0 if it faults */
    serial_puts("msr: 0x");
    serial_put_hex32(msr);
    serial_puts(" written ");
    serial_put_dec(n);
    serial_puts(" times, read 0x");
    serial_put_hex32((uint32_t)(read >> 32));
    serial_put_hex32((uint32_t)read);
    serial_puts(", ");
    serial_put_dec(faults);
    serial_puts(" #GP\n");
    return 0;
}
