/*
 * real.bin: a 16-bit real-mode guest linked at 0x7C00, entered at its first
 * byte (CS:IP = 0000:7C00, or any CS:IP with the same linear address). It is
 * exactly 512 bytes and ends with the 0x55 0xAA boot signature, so it is also a
 * valid boot sector (a BIOS loads and runs it the same way).
 *
 * Prints "real mode\n" on COM1 and writes 0 to the debug-exit port.
 */
    .code16
    .text
    .globl _start
_start:
    cli
    ljmp $0, $normalized        /* CS = 0 whatever CS:IP we were entered with */
normalized:
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7c00, %sp
    mov $message, %si
next_byte:
    lodsb
    test %al, %al
    jz done
    mov %al, %bl
    mov $0x3fd, %dx             /* line status register */
wait_thre:
    inb %dx, %al
    test $0x20, %al
    jz wait_thre
    mov $0x3f8, %dx             /* data register */
    mov %bl, %al
    outb %al, %dx
    jmp next_byte
done:
    xor %eax, %eax
    mov $0xf4, %dx
    outl %eax, %dx              /* debug exit, V = 0 */
halt:
    cli
    hlt
    jmp halt

message:
    .asciz "real mode\n"

    .org 510
    .byte 0x55, 0xaa
