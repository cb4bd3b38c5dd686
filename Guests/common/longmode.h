/*
 * Assembler pieces shared by the long-mode entries (common/longmode.S and
 * lab/entry.S): constants, the multiboot header and the switch from 32-bit
 * protected mode to 64-bit mode. Include from .S files only.
 */
#ifndef GUESTS_LONGMODE_H
#define GUESTS_LONGMODE_H

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

/* The multiboot v1 header (page-align and memory info; no address fields). */
.macro multiboot_header
    .section .multiboot, "a"
    .balign 4
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
.endm

/* 32-bit code: loads the shared GDT (gdt64.S), CR3 = \pml4, then CR4.PAE,
 * EFER.LME and CR0.PG, and far-jumps to the 64-bit code at \target. Keeps EDI
 * and ESI. */
.macro enter_long_mode pml4, target
    lgdt gdt64_pointer
    mov $\pml4, %eax
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
    ljmp $KERNEL_CS, $\target
.endm

/* 64-bit code: every data segment register = KERNEL_DS. */
.macro load_data_segments
    mov $KERNEL_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %eax, %fs
    mov %eax, %gs
.endm

#endif
