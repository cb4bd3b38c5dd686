/*
 * The AP side of smp.elf's startup.
 *
 * ap_trampoline .. ap_trampoline_end is position-independent 16-bit real-mode
 * code that the BSP copies to a page-aligned address below 1 MiB (AP_TRAMPOLINE
 * in smp.c) and names in the STARTUP IPI (vector = address >> 12). An AP starts
 * there in real mode with CS = address >> 4, IP = 0. It loads gdt32 (isr.S)
 * through a pseudo-descriptor inside the copied page, sets CR0.PE and far-jumps
 * to ap_entry32 (in the image at 1 MiB) with CS = GDT32_CODE.
 *
 * ap_entry32 loads the data segments, takes the next free 4 KiB stack with
 * `lock xadd` on ap_stack_ticket (the BSP sets it to 0 before the first INIT),
 * and calls ap_main(), which does not return. An AP beyond AP_STACKS parks.
 */
#include "irq.h"

#define AP_STACK_SIZE 4096
#define AP_STACKS 15

    .section .text
    .code16
    .globl ap_trampoline, ap_trampoline_end
ap_trampoline:
    cli
    cld
    mov %cs, %ax
    mov %ax, %ds
    lgdtl ap_gdt_pointer - ap_trampoline    /* DS-relative: inside the copy */
    mov %cr0, %eax
    or $1, %eax                             /* PE */
    mov %eax, %cr0
    ljmpl $GDT32_CODE, $ap_entry32
    .balign 4
    .word 0
ap_gdt_pointer:
    .word GDT32_LIMIT
    .long gdt32
ap_trampoline_end:

    .code32
ap_entry32:
    mov $GDT32_DATA, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %eax, %fs
    mov %eax, %gs
    mov $1, %eax
    lock xadd %eax, ap_stack_ticket
    cmp $AP_STACKS, %eax
    jae ap_park
    inc %eax
    shl $12, %eax                           /* AP_STACK_SIZE */
    add $ap_stacks, %eax
    mov %eax, %esp
    call ap_main
ap_park:
    cli
    hlt
    jmp ap_park

    .section .data
    .balign 4
    .globl ap_stack_ticket
ap_stack_ticket:
    .long 0

    .section .bss
    .balign 16
ap_stacks:
    .skip AP_STACK_SIZE * AP_STACKS
