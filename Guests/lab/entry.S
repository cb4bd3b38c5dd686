/*
 * Multiboot entry of the lab guest (lab.elf), like common/longmode.S but with
 * page tables that mix page sizes, so `vmm lab page-walk` finds both:
 *   0 - 2 MiB      4 KiB pages (one page table: the image, its stack, its data)
 *   2 MiB - 4 GiB  2 MiB pages (RAM buffers, the MMIO hole with the probe windows)
 * Every entry is present, writable and user-accessible: the experiments run at
 * CPL 3. The tables are built at assembly time (no loop runs at CPL 0, which is
 * emulated on the development host). Then EFER.LME, CR4.PAE, CR0.PG, and
 * lab_kernel_main() in 64-bit mode at CPL 0, which drops to CPL 3.
 */
#include "gdt64.h"

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_HEADER_FLAGS 0x00000003
#define MSR_EFER        0xC0000080
#define EFER_LME        (1 << 8)
#define CR4_PAE         (1 << 5)
#define CR0_PG          (1 << 31)

#define PTE_PRESENT     0x001
#define PTE_WRITE       0x002
#define PTE_USER        0x004
#define PTE_LARGE       0x080
#define PTE_FLAGS       (PTE_PRESENT | PTE_WRITE | PTE_USER)

    .section .multiboot, "a"
    .balign 4
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

    .section .text.entry, "ax"
    .code32
    .globl _start
_start:
    cli
    lgdt gdt64_pointer
    mov $lab_pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $CR0_PG, %eax
    mov %eax, %cr0
    ljmp $KERNEL_CS, $long_entry

    .code64
long_entry:
    mov $KERNEL_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %eax, %fs
    mov %eax, %gs
    mov $kernel_stack_top, %rsp
    call lab_kernel_main
1:  cli
    hlt
    jmp 1b

    .section .data
    .balign 4096
    .globl lab_pml4
lab_pml4:
    .quad lab_pdpt + PTE_FLAGS
    .fill 511, 8, 0
lab_pdpt:
    .quad lab_pd + 0x0000 + PTE_FLAGS
    .quad lab_pd + 0x1000 + PTE_FLAGS
    .quad lab_pd + 0x2000 + PTE_FLAGS
    .quad lab_pd + 0x3000 + PTE_FLAGS
    .fill 508, 8, 0
lab_pd:                         /* 2048 entries: 4 GiB */
    .quad lab_pt + PTE_FLAGS    /* 0 - 2 MiB: 4 KiB pages */
    .set page, 1
    .rept 2047
    .quad (page << 21) + (PTE_FLAGS | PTE_LARGE)
    .set page, page + 1
    .endr
lab_pt:                         /* 512 x 4 KiB: 0 - 2 MiB */
    .set page, 0
    .rept 512
    .quad (page << 12) + PTE_FLAGS
    .set page, page + 1
    .endr

    .section .bss
    .balign 16
kernel_stack:
    .skip 4096
kernel_stack_top:
