/*
 * Entry of the 32-bit guests. Built twice:
 *  - as entry32-mb.o, with the multiboot v1 header (multiboot guests);
 *  - as entry32-plain.o, with -DNO_MULTIBOOT (plain ELF32 and flat guests).
 *
 * The loader enters _start in 32-bit protected mode, flat segments, paging off.
 * We never load a segment register, so no GDT of ours is needed, and we set our
 * own stack. guest_main(EAX, EBX) is called, and its return value goes to the
 * debug-exit port.
 */
#define MB_HEADER_MAGIC 0x1BADB002
/* bit 0: page-align modules, bit 1: memory information. No bit 16: the loader
 * uses the ELF program headers. */
#define MB_HEADER_FLAGS 0x00000003

#ifndef NO_MULTIBOOT
    .section .multiboot, "a"
    .balign 4
multiboot_header:
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
#endif

    .section .text.entry, "ax"
    .code32
    .globl _start
_start:
    cli
    mov $stack_top, %esp
#ifdef NO_MULTIBOOT
    xor %eax, %eax
    xor %ebx, %ebx
#endif
    sub $8, %esp                /* keep the stack 16-byte aligned at the call */
    push %ebx                   /* info */
    push %eax                   /* magic */
    call guest_main
    mov %eax, (%esp)
    call debug_exit
1:  cli
    hlt
    jmp 1b

    .section .bss
    .balign 16
stack:
    .skip 8192
stack_top:
