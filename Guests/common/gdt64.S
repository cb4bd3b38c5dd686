/*
 * The long-mode GDT of the 64-bit guests (entries in the order of gdt64.h), and
 * the pointer `lgdt gdt64_pointer` loads, shared by longmode.S and lab/entry.S.
 * Loaded while still in 32-bit protected mode, so the base is a 32-bit address.
 */
    .section .rodata
    .balign 8
gdt:
    .quad 0                     /* 0x00 null */
    .quad 0x00af9a000000ffff    /* 0x08 code, 64-bit, DPL 0 */
    .quad 0x00cf92000000ffff    /* 0x10 data, DPL 0 */
    .quad 0x00cff2000000ffff    /* 0x18 data, DPL 3 */
    .quad 0x00affa000000ffff    /* 0x20 code, 64-bit, DPL 3 */
gdt_end:
    .balign 8
    .word 0
    .globl gdt64_pointer
gdt64_pointer:
    .word gdt_end - gdt - 1
    .long gdt

    .section .note.GNU-stack, "", @progbits
