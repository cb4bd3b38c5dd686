/*
 * Entry of pvh.elf: the Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY (type 18, owner
 * "Xen", a 4-byte physical address) names pvh_start. The loader enters it in
 * 32-bit protected mode, paging off, flat segments, EBX = hvm_start_info. No
 * multiboot header: the image is a plain ELF32 that only PVH can start.
 */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4                     /* n_namesz: "Xen\0" */
    .long 4                     /* n_descsz */
    .long 18                    /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .long pvh_start
    .balign 4

    .section .text.entry, "ax"
    .code32
    .globl pvh_start
pvh_start:
    pushf                       /* EFLAGS at entry, before anything changes it */
    pop %eax
    mov $stack_top, %esp
    sub $4, %esp                /* 16-byte aligned at the call */
    push %eax                   /* eflags */
    push %ebx                   /* start info */
    push %cs
    call pvh_main
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
