/*
 * Entry of the plain 64-bit guests (ELF64 and flat64): the VMM enters _start in
 * 64-bit long mode at CPL 0 with its own identity map. We set our own stack and
 * call guest_main(0, 0); its return value goes to the debug-exit port.
 */
    .section .text.entry, "ax"
    .code64
    .globl _start
_start:
    cli
    mov $stack_top, %rsp
    xor %edi, %edi
    xor %esi, %esi
    call guest_main
    mov %eax, %edi
    call debug_exit
1:  cli
    hlt
    jmp 1b

    .section .bss
    .balign 16
stack:
    .skip 8192
stack_top:
