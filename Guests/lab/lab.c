/*
 * lab.elf: the built-in guest of `vmm lab`. At CPL 0 (emulated on the development
 * host, so kept to a few instructions) it enables SYSCALL and drops to CPL 3 with
 * IOPL 3 (or runs one of the CPL 0 operations, WRMSR, HALT, FPU, there). At CPL 3 (native) it reads `lab_params`, runs one operation n times
 * between two rdtsc, writes `lab_results` and ends through the debug-exit port.
 * Nothing is printed on the serial port unless the parameters are wrong, so the
 * only exits are the ones the experiment measures, plus the final debug exit.
 */
#include "runtime.h"
#include "cpu64.h"
#include "lab.h"

#define MSR_EFER        0xC0000080u
#define MSR_STAR        0xC0000081u
#define MSR_LSTAR       0xC0000082u
#define MSR_SFMASK      0xC0000084u
#define EFER_SCE        1u
#define KVM_HC_VAPIC_POLL_IRQ 1

/* Written by the host before the vCPU starts: in .data so it is part of the image. */
volatile struct lab_params lab_params __attribute__((aligned(64))) = { 0 };
volatile struct lab_results lab_results __attribute__((aligned(64)));

static uint8_t user_stack[16384] __attribute__((aligned(16)));

static inline void wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t low, high;
    __asm__ volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(msr));
    return ((uint64_t)high << 32) | low;
}

static inline uint64_t rdtsc(void)
{
    uint32_t low, high;
    __asm__ volatile("rdtsc" : "=a"(low), "=d"(high) : : "memory");
    return ((uint64_t)high << 32) | low;
}

/* The CPL 0 side of LAB_OP_SYSCALL: return at once to RCX with RFLAGS = R11.
 * Not with SYSRETQ: on the development host guest ring 0 runs in KVM's
 * instruction emulator, which does not implement SYSRET (the guest triple-faulted).
 * IRETQ through a frame on the caller's stack does the same (RAX is clobbered). */
__asm__(".text\n"
        ".globl lab_syscall_entry\n"
        "lab_syscall_entry:\n"
        "    mov %rsp, %rax\n"
        "    pushq $0x1b\n"  /* USER_DS | 3 */
        "    pushq %rax\n"
        "    pushq %r11\n"
        "    pushq $0x23\n"  /* USER_CS | 3 */
        "    pushq %rcx\n"
        "    iretq\n");
void lab_syscall_entry(void);

static uint16_t current_cpl(void)
{
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    return cs & 3;
}

static int is_amd(void)
{
    uint32_t a = 0, b, c, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    return b == 0x68747541; /* "Auth" of AuthenticAMD */
}

/* A 64-bit xorshift generator (the permutation of LAB_OP_CHASE). */
static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

/* Where the chase's node for page `page` lives: one 64-byte line per page, the
 * line varying with the page so that the nodes spread over the cache sets. */
static inline uint64_t *chase_node(uint64_t base, uint64_t page)
{
    return (uint64_t *)(base + page * 4096 + (page % 64) * 64);
}

/* Links every page of the buffer into one cycle in random order (Sattolo's
 * shuffle over a scratch array placed right after the buffer). Returns the first node. */
static uint64_t *build_chase(uint64_t base, uint64_t size, uint64_t seed)
{
    uint64_t pages = size / 4096;
    uint32_t *order = (uint32_t *)(base + size);
    uint64_t state = seed | 1;
    for (uint64_t i = 0; i < pages; i++)
        order[i] = (uint32_t)i;
    for (uint64_t i = pages - 1; i > 0; i--) {
        uint64_t j = next_random(&state) % i;
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    /* order is a single cycle: page order[k] -> order[k + 1] -> ... */
    for (uint64_t k = 0; k < pages; k++) {
        uint64_t from = order[k], to = order[(k + 1) % pages];
        *chase_node(base, from) = (uint64_t)chase_node(base, to);
    }
    return chase_node(base, order[0]);
}

static void finish(uint64_t status)
{
    lab_results.status = status;
    lab_results.magic = LAB_RESULTS_MAGIC;
    debug_exit((uint32_t)status);
}

__attribute__((noreturn, used)) static void lab_user_main(void)
{
    uint64_t op = lab_params.op, n = lab_params.n;
    uint64_t port = lab_params.port, address = lab_params.address;
    uint64_t size = lab_params.size;
    uint64_t value = 0, begin = 0, end = 0;

    lab_results.op = op;
    lab_results.n = n;
    lab_results.cpl = current_cpl();
    if (lab_params.magic != LAB_PARAMS_MAGIC) {
        serial_puts("lab: no parameters\n");
        finish(LAB_STATUS_NO_PARAMS);
    }
    if ((op == LAB_OP_CHASE || op == LAB_OP_SPIN) && (size < 4096 || size % 4096 != 0 || address % 4096 != 0)) {
        serial_puts("lab: bad buffer\n");
        finish(LAB_STATUS_BAD_BUFFER);
    }

    switch (op) {
    case LAB_OP_NATIVE: {
        uint64_t i = n, acc = 0;
        begin = rdtsc();
        if (i) __asm__ volatile("1: add $1, %0\n\tdec %1\n\tjnz 1b" : "+r"(acc), "+r"(i) : : "cc");
        end = rdtsc();
        value = acc;
        break;
    }
    case LAB_OP_RDTSC: {
        uint64_t i = n;
        begin = rdtsc();
        if (i) __asm__ volatile("1: rdtsc\n\tdec %0\n\tjnz 1b" : "+r"(i) : : "rax", "rdx", "cc");
        end = rdtsc();
        break;
    }
    case LAB_OP_CPUID: {
        uint64_t i = n;
        begin = rdtsc();
        if (i) __asm__ volatile("1: xor %%eax, %%eax\n\tcpuid\n\tdec %0\n\tjnz 1b"
                                : "+r"(i) : : "rax", "rbx", "rcx", "rdx", "cc");
        end = rdtsc();
        break;
    }
    case LAB_OP_PIO_OUT: {
        uint64_t i = n;
        begin = rdtsc();
        if (i) __asm__ volatile("1: outb %%al, %%dx\n\tdec %0\n\tjnz 1b"
                                : "+r"(i) : "a"(0), "d"((uint16_t)port) : "cc");
        end = rdtsc();
        break;
    }
    case LAB_OP_PIO_IN: {
        uint64_t i = n, sum = 0;
        begin = rdtsc();
        if (i) __asm__ volatile("1: inl %%dx, %%eax\n\tadd %%rax, %1\n\tdec %0\n\tjnz 1b"
                                : "+r"(i), "+r"(sum) : "d"((uint16_t)port) : "rax", "cc");
        end = rdtsc();
        value = sum;
        break;
    }
    case LAB_OP_MMIO_WRITE: {
        uint64_t i = n;
        begin = rdtsc();
        if (i) __asm__ volatile("1: movl %k0, (%1)\n\tdec %0\n\tjnz 1b"
                                : "+r"(i) : "r"(address) : "cc", "memory");
        end = rdtsc();
        break;
    }
    case LAB_OP_VMCALL: {
        uint64_t i = n, result = 0;
        int amd = is_amd();
        begin = rdtsc();
        if (i && amd)
            __asm__ volatile("1: mov %2, %%eax\n\tvmmcall\n\tdec %0\n\tjnz 1b"
                             : "+r"(i), "=a"(result) : "i"(KVM_HC_VAPIC_POLL_IRQ) : "rbx", "rcx", "rdx", "rsi", "cc");
        else if (i)
            __asm__ volatile("1: mov %2, %%eax\n\tvmcall\n\tdec %0\n\tjnz 1b"
                             : "+r"(i), "=a"(result) : "i"(KVM_HC_VAPIC_POLL_IRQ) : "rbx", "rcx", "rdx", "rsi", "cc");
        end = rdtsc();
        value = result;
        break;
    }
    case LAB_OP_SYSCALL: {
        uint64_t i = n;
        begin = rdtsc();
        if (i) __asm__ volatile("1: syscall\n\tdec %0\n\tjnz 1b" : "+r"(i) : : "rax", "rcx", "r11", "cc", "memory");
        end = rdtsc();
        break;
    }
    case LAB_OP_RAM_WRITE: {
        uint64_t i = n;
        begin = rdtsc();
        if (i && size == 0) {
            __asm__ volatile("1: mov %0, (%1)\n\tdec %0\n\tjnz 1b"
                             : "+r"(i) : "r"(address) : "cc", "memory");
        } else {
            /* Paced: one write every `size` cycles (a device written at a steady rate). */
            uint64_t next = begin;
            for (; i > 0; i--) {
                *(volatile uint64_t *)address = i;
                next += size;
                while (rdtsc() < next)
                    __asm__ volatile("pause");
            }
        }
        end = rdtsc();
        /* The last value left in the shared page: n, then a final marker the poller can wait for. */
        *(volatile uint64_t *)(address + 8) = n;
        break;
    }
    case LAB_OP_CHASE: {
        uint64_t *p = build_chase(address, size, lab_params.seed);
        uint64_t pages = size / 4096;
        /* One untimed pass so every page is mapped and in the TLB/cache state of steady running. */
        for (uint64_t k = 0; k < pages; k++)
            p = (uint64_t *)*p;
        uint64_t i = n;
        begin = rdtsc();
        if (i) __asm__ volatile("1: mov (%0), %0\n\tdec %1\n\tjnz 1b" : "+r"(p), "+r"(i) : : "cc", "memory");
        end = rdtsc();
        value = (uint64_t)p;
        break;
    }
    case LAB_OP_SPIN: {
        for (uint64_t offset = 0; offset < size; offset += 4096)
            *(volatile uint64_t *)(address + offset) = offset;
        lab_results.status = LAB_STATUS_RUNNING;
        for (;;)
            __asm__ volatile("pause" ::: "memory");
    }
    default:
        serial_puts("lab: unknown op\n");
        finish(LAB_STATUS_BAD_OP);
    }
    lab_results.tsc_begin = begin;
    lab_results.tsc_end = end;
    lab_results.value = value;
    finish(LAB_STATUS_DONE);
    __builtin_unreachable();
}

/* --- CPL 0 operations: WRMSR, HALT, FPU ------------------------------------ */

#define LAPIC_BASE        0xFEE00000ull
#define LAPIC_EOI         0x0B0
#define LAPIC_SVR         0x0F0
#define LAPIC_LVT_TIMER   0x320
#define LAPIC_TIMER_INIT  0x380
#define LAPIC_TIMER_DIV   0x3E0
#define LAPIC_MASKED      (1u << 16)
#define LAPIC_PERIODIC    (1u << 17)
#define VECTOR_NM         7
#define VECTOR_TIMER      0x20
#define CR0_EM            (1ull << 2)
#define CR0_TS            (1ull << 3)

static struct idt_gate lab_idt[VECTOR_TIMER + 1] __attribute__((aligned(16)));

/* Counted by the handlers below. */
volatile uint64_t lab_ticks;
volatile uint64_t lab_nm_count;

void lab_timer_entry(void);
void lab_nm_entry(void);

/* Timer: count the tick, EOI to the local APIC, return. */
__asm__(".text\n"
        ".globl lab_timer_entry\n"
        "lab_timer_entry:\n"
        "    incq lab_ticks(%rip)\n"
        "    pushq %rax\n"
        "    movabsq $0xfee000b0, %rax\n"
        "    movl $0, (%rax)\n"
        "    popq %rax\n"
        "    iretq\n");

/* #NM: count it and resume after the 2-byte fninit (what an x87 emulator would
 * run in software). */
__asm__(".text\n"
        ".globl lab_nm_entry\n"
        "lab_nm_entry:\n"
        "    incq lab_nm_count(%rip)\n"
        "    addq $2, (%rsp)\n"
        "    iretq\n");

static void set_gate(unsigned vector, void (*handler)(void))
{
    lab_idt[vector] = idt_interrupt_gate(handler);
}

static void load_idt(void)
{
    idt_load(lab_idt, sizeof(lab_idt));
}

static inline void lapic_write(uint32_t reg, uint32_t value)
{
    *(volatile uint32_t *)(LAPIC_BASE + reg) = value;
}

static void finish_kernel_op(uint64_t begin, uint64_t end, uint64_t value, uint64_t aux)
{
    lab_results.tsc_begin = begin;
    lab_results.tsc_end = end;
    lab_results.value = value;
    lab_results.aux = aux;
    finish(LAB_STATUS_DONE);
}

/* WRMSR: n writes of the MSR named by `port` (the VMM's MSR policy decides whether
 * each one reaches user space), then one read back. */
static void op_wrmsr(uint64_t n, uint32_t msr)
{
    uint64_t begin = rdtsc();
    for (uint64_t i = n; i > 0; i--)
        wrmsr(msr, i);
    uint64_t end = rdtsc();
    finish_kernel_op(begin, end, rdmsr(msr), 0);
}

/* HALT: an idle guest woken by a periodic LAPIC timer tick every `period` ns. */
static void op_halt(uint64_t n, uint64_t period)
{
    uint64_t halts = 0;
    set_gate(VECTOR_TIMER, lab_timer_entry);
    load_idt();
    lapic_write(LAPIC_SVR, 0x1FF);             /* enabled, spurious vector 0xff */
    lapic_write(LAPIC_TIMER_DIV, 0xB);         /* divide by 1 */
    lapic_write(LAPIC_LVT_TIMER, LAPIC_PERIODIC | VECTOR_TIMER);
    uint64_t begin = rdtsc();
    lapic_write(LAPIC_TIMER_INIT, (uint32_t)period);
    lab_results.status = LAB_STATUS_RUNNING;
    while (lab_ticks < n) {
        __asm__ volatile("sti\n\thlt\n\tcli" ::: "memory");
        halts++;
    }
    uint64_t end = rdtsc();
    lapic_write(LAPIC_LVT_TIMER, LAPIC_MASKED | VECTOR_TIMER);
    lapic_write(LAPIC_TIMER_INIT, 0);
    finish_kernel_op(begin, end, lab_ticks, halts);
}

/* FPU: what CPUID says, and the path an OS takes: without an FPU it sets CR0.EM
 * so that every x87 instruction raises #NM for a software emulator. */
static void op_fpu(uint64_t n, uint64_t forced_absent)
{
    uint32_t a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    uint64_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 &= ~CR0_TS;
    if ((d & 1) == 0 || forced_absent) {
        set_gate(VECTOR_NM, lab_nm_entry);
        load_idt();
        cr0 |= CR0_EM;
    } else {
        cr0 &= ~CR0_EM;
    }
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
    uint64_t begin = rdtsc();
    for (uint64_t i = n; i > 0; i--)
        __asm__ volatile("fninit" ::: "memory");
    uint64_t end = rdtsc();
    finish_kernel_op(begin, end, lab_nm_count, d);
}

/* CPL 0: SYSCALL to lab_syscall_entry (CS 0x08, SS 0x10; STAR also names CS 0x23,
 * SS 0x1b for SYSRET), then iretq to lab_user_main at CPL 3 with IOPL 3 and IF clear. */
void lab_kernel_main(void)
{
    if (lab_params.magic == LAB_PARAMS_MAGIC) {
        uint64_t op = lab_params.op, n = lab_params.n;
        if (op == LAB_OP_WRMSR || op == LAB_OP_HALT || op == LAB_OP_FPU) {
            lab_results.op = op;
            lab_results.n = n;
            lab_results.cpl = current_cpl();
        }
        if (op == LAB_OP_WRMSR)
            op_wrmsr(n, (uint32_t)lab_params.port);
        else if (op == LAB_OP_HALT)
            op_halt(n, lab_params.size);
        else if (op == LAB_OP_FPU)
            op_fpu(n, lab_params.port);
    }
    wrmsr(MSR_STAR, ((uint64_t)KERNEL_DS << 48) | ((uint64_t)KERNEL_CS << 32));
    wrmsr(MSR_LSTAR, (uint64_t)lab_syscall_entry);
    wrmsr(MSR_SFMASK, 0);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    enter_cpl3(lab_user_main, user_stack + sizeof(user_stack));
}
