/*
 * Interrupt entry of the 32-bit guests that take interrupts (see irq.h):
 *  - gdt32: a flat GDT of our own (null, 0x08 code, 0x10 data). The IDT gates
 *    name selector 0x08, so the loader's GDT (which may not even be in guest
 *    memory) must be replaced before the first interrupt: gdt32_load().
 *  - isr_stubs: 256 stubs, one per vector, 16 bytes apart (vector v at
 *    isr_stubs + 16 * v). Each pushes a dummy error code when the CPU does not
 *    push one, then the vector number, and jumps to isr_common.
 *  - isr_common: saves the registers (pusha), calls isr_dispatch(frame) and
 *    returns with popf; ret (not iret, see below). The frame layout is
 *    struct interrupt_frame in irq.h.
 */
#include "irq.h"

    .section .text
    .code32

/* void gdt32_load(void): loads gdt32 and reloads every segment register. */
    .globl gdt32_load
gdt32_load:
    lgdt gdt32_pointer
    ljmp $GDT32_CODE, $1f
1:  mov $GDT32_DATA, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %eax, %fs
    mov %eax, %gs
    ret

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
                           (v) == 21 || (v) == 29 || (v) == 30)

    .balign 16
    .globl isr_stubs
isr_stubs:
    .set vector, 0
    .rept 256
    .balign 16
    .if HAS_ERROR_CODE(vector) == 0
    push $0
    .endif
    push $vector
    jmp isr_common
    .set vector, vector + 1
    .endr

isr_common:
    cld
    pusha
    push %esp                   /* struct interrupt_frame * */
    call isr_dispatch
    add $4, %esp
    /*
     * Return without IRET: KVM's instruction emulator, which runs guest ring 0
     * on the development host, cannot emulate IRET in protected mode (the vCPU
     * stops with an emulation failure). Every interrupt here comes from CPL 0
     * with CS = GDT32_CODE, so returning is only restoring EFLAGS and EIP:
     * rewrite the frame's CS slot with EFLAGS and its EFLAGS slot with EIP,
     * then popf; ret. (An interrupt taken between the two nests harmlessly on
     * this stack.) Offsets: pusha 0..31, vector 32, error 36, EIP 40, CS 44,
     * EFLAGS 48.
     */
    mov 48(%esp), %eax
    mov %eax, 44(%esp)
    mov 40(%esp), %eax
    mov %eax, 48(%esp)
    popa
    add $12, %esp               /* vector, error code, old EIP slot */
    popfl
    ret

    .section .rodata
    .balign 8
    .globl gdt32
gdt32:
    .quad 0                     /* 0x00 null */
    .quad 0x00cf9a000000ffff    /* 0x08 code: base 0, limit 4 GiB, 32-bit, DPL 0 */
    .quad 0x00cf92000000ffff    /* 0x10 data: base 0, limit 4 GiB, DPL 0 */
gdt32_end:
    .balign 8
    .word 0
    .globl gdt32_pointer
gdt32_pointer:
    .word gdt32_end - gdt32 - 1
    .long gdt32
    .if gdt32_end - gdt32 - 1 != GDT32_LIMIT
    .error "GDT32_LIMIT does not match gdt32"
    .endif
