/*
 * Multiboot entry of the long-mode guests (long.elf, user.elf).
 *
 * Assembled and linked as x86-64, then converted to ELF32 with
 * `objcopy -O elf32-i386` so that multiboot loaders (QEMU included) accept it.
 * The multiboot loader enters _start in 32-bit protected mode; this code
 *  1. loads its own GDT,
 *  2. points CR3 at static identity page tables (2 MiB pages, first 4 GiB,
 *     all user-accessible so user.elf can run at CPL 3; built at assembly time,
 *     so no page-table loop runs at CPL 0),
 *  3. sets CR4.PAE, EFER.LME, then CR0.PG,
 *  4. far-jumps to 64-bit code, which loads the data segments, sets a stack and
 *     calls guest_main(magic, info). Its return value goes to debug_exit().
 */
#include "longmode.h"

    multiboot_header

    .section .text.entry, "ax"
    .code32
    .globl _start
_start:
    cli
    mov %eax, %edi              /* multiboot magic: first argument */
    mov %ebx, %esi              /* multiboot info: second argument */
    enter_long_mode pml4, long_entry

    .code64
long_entry:
    load_data_segments
    mov $stack_top, %rsp
    mov %edi, %edi              /* zero-extend both arguments */
    mov %esi, %esi
    call guest_main
    mov %eax, %edi
    call debug_exit
1:  cli
    hlt
    jmp 1b

    .section .data
    .balign 4096
pml4:
    .quad pdpt + (PTE_PRESENT | PTE_WRITE | PTE_USER)
    .fill 511, 8, 0
pdpt:
    .quad page_directories + 0x0000 + (PTE_PRESENT | PTE_WRITE | PTE_USER)
    .quad page_directories + 0x1000 + (PTE_PRESENT | PTE_WRITE | PTE_USER)
    .quad page_directories + 0x2000 + (PTE_PRESENT | PTE_WRITE | PTE_USER)
    .quad page_directories + 0x3000 + (PTE_PRESENT | PTE_WRITE | PTE_USER)
    .fill 508, 8, 0
page_directories:               /* 2048 entries x 2 MiB = 4 GiB */
    .set page, 0
    .rept 2048
    .quad (page << 21) + (PTE_PRESENT | PTE_WRITE | PTE_USER | PTE_LARGE)
    .set page, page + 1
    .endr

    .section .bss
    .balign 16
stack:
    .skip 8192
stack_top:
