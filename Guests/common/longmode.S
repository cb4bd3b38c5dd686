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

    .section .multiboot, "a"
    .balign 4
multiboot_header:
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

    .section .text.entry, "ax"
    .code32
    .globl _start
_start:
    cli
    mov %eax, %edi              /* multiboot magic: first argument */
    mov %ebx, %esi              /* multiboot info: second argument */
    lgdt gdt64_pointer
    mov $pml4, %eax
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
