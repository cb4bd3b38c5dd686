/* The tiny runtime shared by the test guests: serial output on COM1, the
 * isa-debug-exit port, and command-line parsing. Built for i386 and x86-64.
 *
 * Every byte written costs exactly one `inb` of the line status register and
 * one `outb` of the data register, so a guest that prints B bytes and exits
 * through debug_exit() makes exactly 2*B + 1 port-I/O exits. */
#ifndef GUESTS_RUNTIME_H
#define GUESTS_RUNTIME_H

#include <stdint.h>
#include <stddef.h>
#include "multiboot.h"

#define COM1_DATA 0x3f8
#define COM1_LSR  0x3fd
#define LSR_THRE  0x20
#define DEBUG_EXIT_PORT 0xf4

static inline uint8_t inb(uint16_t port)
{
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static inline void outb(uint16_t port, uint8_t value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t value)
{
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

/* One byte to COM1, after waiting for THRE. */
void serial_putc(char c);
/* A NUL-terminated string. */
void serial_puts(const char *s);
/* An unsigned number in decimal, no padding. */
void serial_put_dec(unsigned long value);
/* A 32-bit number as exactly 8 lowercase hex digits, no "0x". */
void serial_put_hex32(uint32_t value);

/* Ends the VM: outl(0xf4, code). QEMU exits with status (code << 1) | 1. */
__attribute__((noreturn)) void debug_exit(uint32_t code);

/* The multiboot command line, or NULL when the loader gave none
 * (EAX was not the multiboot magic, or flags bit 2 is clear). */
const char *multiboot_cmdline(uint32_t magic, const struct multiboot_info *info);

/* Looks for a space-separated token "KEY=VALUE" in `cmdline` (which may be
 * NULL) and returns a pointer to VALUE, or NULL when there is none. The first
 * matching token wins. */
const char *cmdline_value(const char *cmdline, const char *key);

/* Parses a decimal number that ends at a space or NUL. Returns 0 on success,
 * -1 when `s` is NULL, empty, has a non-digit, or the value exceeds `max`. */
int parse_decimal(const char *s, unsigned long max, unsigned long *out);

/* Provided by each guest: called by the entry code with the values of EAX and
 * EBX at entry (both 0 for guests that are not booted by multiboot). Its return
 * value is passed to debug_exit(). */
uint32_t guest_main(uint32_t magic, const struct multiboot_info *info);

#endif
