/*
 * void ioloop_run(uint32_t count)  (cdecl)
 *
 * Exactly `count` writes of AL = 0 to port 0x10, which no device claims, so
 * each one is one port-I/O exit. The loop, from ioloop_start to ioloop_end,
 * is three instructions: out, dec, jnz.
 */
    .text
    .code32
    .globl ioloop_run
ioloop_run:
    mov 4(%esp), %ecx
    test %ecx, %ecx
    jz ioloop_end
    xor %eax, %eax
    .globl ioloop_start
ioloop_start:
    outb %al, $0x10
    dec %ecx
    jnz ioloop_start
    .globl ioloop_end
ioloop_end:
    ret
