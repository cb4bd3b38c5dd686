/*
 * The demo guest built into the vmm binary (Sources/VMM/DemoGuest.swift is
 * generated from this file by embed.sh; do not edit that file by hand).
 *
 * A flat 32-bit protected-mode binary linked at 0x100000. The VMM enters it at
 * its first byte with flat segments and ESP = 0xA000 (the stack is used for
 * `call` only). Every instruction here runs in KVM's emulator, so it is short.
 *
 * Output (COM1, LSR polled before every byte):
 *   Hello from the swift-vmm demo guest!
 *   CPU vendor: <the 12 characters of CPUID leaf 0 EBX, EDX, ECX>
 *   MMIO read: 0x<the 32 bits read from 0xC0000000, 8 lowercase hex digits>
 *   Goodbye.
 * then one 32-bit MMIO write of 0x12345678 to 0xC0000000 happens between the
 * "MMIO read" and "Goodbye." lines, and the guest executes HLT with IF = 0.
 */
#define COM1_DATA 0x3f8
#define COM1_LSR  0x3fd
#define LSR_THRE  0x20
#define MMIO_ADDRESS 0xC0000000

    .code32
    .text
    .globl _start
_start:
    cli
    mov $hello, %esi
    call puts

    xor %eax, %eax
    cpuid                       /* vendor in EBX, EDX, ECX */
    mov %ebx, vendor
    mov %edx, vendor + 4
    mov %ecx, vendor + 8
    mov $vendor_line, %esi
    call puts

    mov MMIO_ADDRESS, %edi      /* one MMIO read */
    mov $mmio_line, %esi
    call puts
    mov $8, %ecx                /* EDI as 8 hex digits, most significant first */
hex_digit:
    rol $4, %edi
    mov %edi, %eax
    and $0xf, %eax
    mov hex_digits(%eax), %bl
    call putc
    loop hex_digit
    mov $'\n', %bl
    call putc
    movl $0x12345678, MMIO_ADDRESS  /* one MMIO write */

    mov $goodbye, %esi
    call puts
halt:
    hlt
    jmp halt

/* puts: writes the NUL-terminated string at ESI. Clobbers EAX, EBX, EDX, ESI. */
puts:
    mov (%esi), %bl
    test %bl, %bl
    jz 1f
    call putc
    inc %esi
    jmp puts
1:  ret

/* putc: writes BL to COM1 once THRE is set. Clobbers EAX, EDX. */
putc:
    mov $COM1_LSR, %dx
1:  inb %dx, %al
    test $LSR_THRE, %al
    jz 1b
    mov $COM1_DATA, %dx
    mov %bl, %al
    outb %al, %dx
    ret

hello:
    .asciz "Hello from the swift-vmm demo guest!\n"
vendor_line:
    .ascii "CPU vendor: "
vendor:
    .ascii "????????????\n\0"       /* the 12 "?" are overwritten by CPUID */
mmio_line:
    .asciz "MMIO read: 0x"
goodbye:
    .asciz "Goodbye.\n"
hex_digits:
    .ascii "0123456789abcdef"
