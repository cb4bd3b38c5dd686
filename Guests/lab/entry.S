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
#include "longmode.h"
#define PTE_FLAGS       (PTE_PRESENT | PTE_WRITE | PTE_USER)

    multiboot_header

    .section .text.entry, "ax"
    .code32
    .globl _start
_start:
    cli
    enter_long_mode lab_pml4, long_entry

    .code64
long_entry:
    load_data_segments
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
