/*
 * cpuid.elf: what a CPUID policy gives the guest. Entered by longmode.S in
 * 64-bit mode at CPL 0. Prints the leaves the policy decides, one line each:
 *
 *   cpuid LLLLLLLL.S EAX EBX ECX EDX      (hex; S is the subleaf in decimal)
 *
 * leaf 0, 1, 6, 7.0 and 7.1, 0xD.0 and 0xD.1, 0x80000000, 0x80000001,
 * 0x80000007, 0x80000008 (each only if the maximum leaf reaches it), then
 * 0x40000000 and 0x40000100 (the hypervisor signature blocks) and 0x40000001
 * when 0x40000000 reports it. Each CPUID is an exit to the hypervisor, so there
 * are at most 15.
 *
 * Then the FPU, the way an OS decides (the seeds' example):
 *  - CPUID.1:EDX.FPU = 0 (or `fpu=absent` on the command line, to exercise
 *    this path on a host whose KVM does not let a VMM hide the FPU; see
 *    docs/cpuid.md): no x87. It sets CR0.EM, so that every x87
 *    instruction raises #NM for a software emulator, executes one `fninit`
 *    with a #NM handler installed, and reports the trap. V = 0, or 5 if
 *    `fninit` did not trap exactly there.
 *  - FPU present: `fninit`, `fnstsw`, `fnstcw` must give FSW 0 and FCW 0x037f
 *    (the classic FPU probe; the instructions KVM's emulator handles at CPL 0),
 *    then at CPL 3 (native on every host) fld1 + fld1 stored as a double must
 *    be 2.0. V = 0, or 4 on a wrong value. Ends with a debug exit from CPL 3.
 */
#include "runtime.h"
#include "cpu64.h"

#define CR0_MP          (1ul << 1)
#define CR0_EM          (1ul << 2)
#define VECTOR_NM       7
#define DOUBLE_TWO      0x4000000000000000ull

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static struct idt_gate idt[VECTOR_NM + 1] __attribute__((aligned(16)));
static uint8_t user_stack[8192] __attribute__((aligned(16)));

/* Set by nm_entry: how many #NM it took, and the RIP of the last one. */
volatile uint32_t nm_count;
volatile uint64_t nm_rip;

void nm_entry(void);
void nm_trap_instruction(void);
void nm_trap_resume(void);

/* #NM handler: count it, remember the faulting RIP, resume after the 2-byte fninit. */
__asm__(".text\n"
        ".globl nm_entry\n"
        "nm_entry:\n"
        "    pushq %rax\n"
        "    incl nm_count(%rip)\n"
        "    movq 8(%rsp), %rax\n"
        "    movq %rax, nm_rip(%rip)\n"
        "    addq $2, 8(%rsp)\n"
        "    popq %rax\n"
        "    iretq\n");

static struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

/* Executes CPUID and prints its line. */
static struct cpuid_regs dump(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r = cpuid(leaf, subleaf);
    serial_puts("cpuid ");
    serial_put_hex32(leaf);
    serial_putc('.');
    serial_put_dec(subleaf);
    const uint32_t values[4] = {r.eax, r.ebx, r.ecx, r.edx};
    for (int i = 0; i < 4; i++) {
        serial_putc(' ');
        serial_put_hex32(values[i]);
    }
    serial_putc('\n');
    return r;
}

static void put_hex64(uint64_t value)
{
    serial_put_hex32((uint32_t)(value >> 32));
    serial_put_hex32((uint32_t)value);
}

static uint32_t no_fpu_path(const char *reason)
{
    unsigned long cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 = (cr0 | CR0_EM) & ~CR0_MP;
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
    serial_puts("fpu: absent (");
    serial_puts(reason);
    serial_puts("): CR0.EM set, x87 emulation path\n");

    idt[VECTOR_NM] = idt_interrupt_gate(nm_entry);
    idt_load(idt, sizeof(idt));

    nm_count = 0;
    nm_rip = 0;
    __asm__ volatile(".globl nm_trap_instruction, nm_trap_resume\n"
                     "nm_trap_instruction: fninit\n"
                     "nm_trap_resume:" ::: "memory");
    if (nm_count != 1 || nm_rip != (uint64_t)nm_trap_instruction) {
        serial_puts("fpu: FAIL: fninit with CR0.EM set took ");
        serial_put_dec(nm_count);
        serial_puts(" #NM\n");
        return 5;
    }
    serial_puts("fpu: fninit raised #NM (vector 7): an emulator would run it in software\n");
    return 0;
}

__attribute__((noreturn, used)) static void fpu_at_cpl3(void)
{
    uint64_t result = 0;
    __asm__ volatile("fld1\n\t"
                     "fld1\n\t"
                     "faddp\n\t"
                     "fstpl %0"
                     : "=m"(result));
    serial_puts("fpu: fld1 + fld1 at CPL 3 = 0x");
    put_hex64(result);
    serial_putc('\n');
    debug_exit(result == DOUBLE_TWO ? 0 : 4);
}

static uint32_t fpu_path(void)
{
    uint16_t status = 0xffff, control = 0;
    __asm__ volatile("fninit\n\t"
                     "fnstsw %0\n\t"
                     "fnstcw %1"
                     : "=m"(status), "=m"(control));
    if (status != 0 || control != 0x037f) {
        serial_puts("fpu: FAIL: after fninit fsw 0x");
        serial_put_hex32(status);
        serial_puts(" fcw 0x");
        serial_put_hex32(control);
        serial_putc('\n');
        return 4;
    }
    serial_puts("fpu: present: fninit gives fsw 0x0000, fcw 0x037f\n");
    /* iretq to CPL 3 (IOPL 3 for the serial port); there is no way back. */
    enter_cpl3(fpu_at_cpl3, user_stack + sizeof(user_stack));
}

/* Whether the command line has the token `fpu=absent`. */
static int fpu_forced_absent(uint32_t magic, const struct multiboot_info *info)
{
    const char *value = cmdline_value(multiboot_cmdline(magic, info), "fpu");
    const char *want = "absent";
    if (!value)
        return 0;
    while (*want && *value == *want) {
        value++;
        want++;
    }
    return *want == 0 && (*value == 0 || *value == ' ');
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    uint32_t max_basic = dump(0, 0).eax;
    struct cpuid_regs leaf1 = dump(1, 0);
    if (max_basic >= 6)
        dump(6, 0);
    if (max_basic >= 7 && dump(7, 0).eax >= 1)
        dump(7, 1);
    if (max_basic >= 0xd) {
        dump(0xd, 0);
        dump(0xd, 1);
    }
    uint32_t max_extended = dump(0x80000000, 0).eax;
    if (max_extended >= 0x80000001)
        dump(0x80000001, 0);
    if (max_extended >= 0x80000007)
        dump(0x80000007, 0);
    if (max_extended >= 0x80000008)
        dump(0x80000008, 0);
    uint32_t max_hypervisor = dump(0x40000000, 0).eax;
    if (max_hypervisor >= 0x40000001 && max_hypervisor < 0x40000100)
        dump(0x40000001, 0);
    dump(0x40000100, 0);

    if (!(leaf1.edx & 1))
        return no_fpu_path("CPUID.1:EDX.FPU = 0");
    if (fpu_forced_absent(magic, info))
        return no_fpu_path("fpu=absent on the command line");
    return fpu_path();
}
