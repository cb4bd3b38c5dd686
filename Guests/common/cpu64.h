/*
 * Long-mode helpers shared by the 64-bit guests (user.c, cpuid.c, lab/lab.c):
 * IDT gates and the one-way iretq from CPL 0 to CPL 3. Selectors: gdt64.h.
 */
#ifndef GUESTS_CPU64_H
#define GUESTS_CPU64_H

#include <stdint.h>
#include "gdt64.h"

#define RFLAGS_RESERVED 0x2     /* bit 1 is always set */
#define RFLAGS_IOPL3    0x3000  /* CPL 3 may use in/out (the serial port) */

/* A 64-bit interrupt gate. */
struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} __attribute__((packed));

struct idt_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* A present, DPL 0 interrupt gate (IF cleared on entry) to `handler` in KERNEL_CS. */
static inline struct idt_gate idt_interrupt_gate(void (*handler)(void))
{
    uint64_t address = (uint64_t)handler;
    return (struct idt_gate){
        .offset_low = (uint16_t)address,
        .selector = KERNEL_CS,
        .ist = 0,
        .type = 0x8E,
        .offset_mid = (uint16_t)(address >> 16),
        .offset_high = (uint32_t)(address >> 32),
        .reserved = 0,
    };
}

/* Loads the IDT at `table`, `bytes` long. */
static inline void idt_load(const struct idt_gate *table, uint64_t bytes)
{
    struct idt_pointer pointer = {(uint16_t)(bytes - 1), (uint64_t)table};
    __asm__ volatile("lidt %0" : : "m"(pointer));
}

/* iretq to `entry` at CPL 3 with IOPL 3 and IF clear, on the stack ending at
 * `stack_end` (RSP is set 8 below it, as at the entry of a called function, so
 * pass a 16-byte aligned end). There is no way back. */
__attribute__((noreturn)) static inline void enter_cpl3(void (*entry)(void), uint8_t *stack_end)
{
    __asm__ volatile("pushq %0\n\t"
                     "pushq %1\n\t"
                     "pushq %2\n\t"
                     "pushq %3\n\t"
                     "pushq %4\n\t"
                     "iretq"
                     :
                     : "i"(USER_DS | 3), "r"(stack_end - 8), "i"(RFLAGS_RESERVED | RFLAGS_IOPL3),
                       "i"(USER_CS | 3), "r"(entry)
                     : "memory");
    __builtin_unreachable();
}

#endif
