/*
 * The lab guest's interface with `vmm lab` (Sources/Lab). The host writes a
 * `struct lab_params` at the symbol `lab_params` before the vCPU starts and reads
 * `struct lab_results` at `lab_results` after the guest's debug exit.
 * Guests/lab/embed.sh copies the addresses of both symbols and every LAB_OP_ and
 * LAB_STATUS_ value below into Sources/Lab/LabGuestImage.swift.
 */
#ifndef GUESTS_LAB_H
#define GUESTS_LAB_H

#define LAB_PARAMS_MAGIC   0x4d41524150424c4cull /* "LLBPARAM" */
#define LAB_RESULTS_MAGIC  0x544c555345524c4cull /* "LLRESULT" */

/* What the CPL 3 loop does, n times (each timed with rdtsc around the loop). */
#define LAB_OP_NATIVE      1  /* add $1, %rax: never exits */
#define LAB_OP_RDTSC       2  /* rdtsc */
#define LAB_OP_CPUID       3  /* cpuid leaf 0: exits to KVM, handled in the kernel */
#define LAB_OP_PIO_OUT     4  /* outb %al, (port): exits to the VMM when trapped */
#define LAB_OP_PIO_IN      5  /* inl (port), %eax: a call into the VMM that answers */
#define LAB_OP_MMIO_WRITE  6  /* movl %eax, (address) with eax = the loop counter */
#define LAB_OP_VMCALL      7  /* vmcall (Intel) or vmmcall (AMD), rax = KVM_HC_VAPIC_POLL_IRQ */
#define LAB_OP_SYSCALL     8  /* syscall into the guest's own CPL 0 handler (returns with iretq) */
#define LAB_OP_RAM_WRITE   9  /* movq %rcx, (address): plain RAM, the shared page; one write
                              * every `size` TSC cycles when size > 0 */
#define LAB_OP_CHASE      10  /* pointer chase over a buffer, one load per 4 KiB page */
#define LAB_OP_SPIN       11  /* touch the buffer, set status RUNNING, loop until stopped */
/* These three run at CPL 0 (lab_results.cpl = 0): the instructions they study are
 * privileged. On a host that emulates guest ring 0 every instruction is emulated. */
#define LAB_OP_WRMSR      12  /* wrmsr(MSR `port`, i) for i = n..1, then one rdmsr -> value */
#define LAB_OP_HALT       13  /* LAPIC timer every `size` ns (periodic); sti; hlt until n ticks;
                              * value = ticks taken, aux = hlt instructions executed */
#define LAB_OP_FPU        14  /* aux = CPUID.1:EDX; if its FPU bit is 0, or `port` != 0 (forced),
                              * set CR0.EM; then n x fninit; value = #NM taken */

#define LAB_STATUS_RUNNING 1
#define LAB_STATUS_DONE    2
#define LAB_STATUS_BAD_OP  3
#define LAB_STATUS_NO_PARAMS 4
#define LAB_STATUS_BAD_BUFFER 5

#ifndef __ASSEMBLER__
#include <stdint.h>

struct lab_params {
    uint64_t magic;     /* LAB_PARAMS_MAGIC, written by the host */
    uint64_t op;        /* LAB_OP_* */
    uint64_t n;         /* iterations */
    uint64_t port;      /* LAB_OP_PIO_* */
    uint64_t address;   /* LAB_OP_MMIO_WRITE, LAB_OP_RAM_WRITE, buffer of CHASE/SPIN */
    uint64_t size;      /* buffer bytes (CHASE, SPIN), a multiple of 4096; RAM_WRITE: spacing */
    uint64_t seed;      /* CHASE: permutation seed */
};

struct lab_results {
    uint64_t magic;     /* LAB_RESULTS_MAGIC once the guest wrote its results */
    uint64_t status;    /* LAB_STATUS_* */
    uint64_t op;
    uint64_t n;
    uint64_t tsc_begin; /* rdtsc right before the loop */
    uint64_t tsc_end;   /* rdtsc right after it */
    uint64_t value;     /* op-specific: last rax (VMCALL, PIO_IN sum), chase end */
    uint64_t cpl;       /* CPL the loop ran at (3; 0 for WRMSR, HALT, FPU) */
    uint64_t aux;       /* op-specific: HALT: hlt count; FPU: CPUID.1:EDX */
};
#endif

#endif
