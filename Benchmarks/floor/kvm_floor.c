/*
 * kvm_floor: the smallest KVM monitor that runs the swift-vmm test guests
 * (32-bit multiboot ELF images such as ioloop.elf and hello.elf). It is the
 * "floor" the vmm's exit loop is measured against: same guest binary, same
 * boot state, and an exit loop that does as little as possible.
 *
 *   kvm_floor [-m MIB] [-H] [-k N] [-v] guest.elf [cmdline]
 *
 *   -m MIB  guest RAM in MiB (default 64), mapped at guest physical 0
 *   -H      do not madvise(MADV_HUGEPAGE) the guest RAM (default: advise, as vmm does)
 *   -k N    read CLOCK_MONOTONIC N times per exit (default 0): a diagnostic that
 *           prices the per-exit timing vmm does (2 reads per exit)
 *   -v      print the set-up time (image read to first KVM_RUN), the number of
 *           exits and the exit-loop time to stderr
 *
 * Boot: the ELF32 PT_LOAD segments are copied to their physical addresses; a
 * multiboot information block (flags: mem + cmdline, the command line being
 * "<kernel path> <cmdline>" as with vmm and QEMU) and a flat 32-bit GDT are
 * written to low memory; the vCPU starts in 32-bit protected mode (CR0.PE,
 * paging off, flat CS/DS) with EAX = 0x2BADB002 and EBX = the info block.
 *
 * Exits: port 0x3f8 writes go to stdout (buffered, flushed at exit), reads of
 * the line status register 0x3fd return 0x60 (transmitter empty), a write of V
 * to port 0xf4 ends the process with status (V << 1) | 1, other port writes are
 * dropped and other reads return 0xff. HLT or any other exit stops the VM
 * (status 2, with a message).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GDT_ADDR 0x1000u
#define INFO_ADDR 0x2000u
#define CMDLINE_ADDR 0x3000u
#define TSS_ADDR 0xfffbd000u

#define COM1 0x3f8
#define COM1_LSR (COM1 + 5)
#define DEBUG_EXIT 0xf4

static void die(const char *what)
{
    fprintf(stderr, "kvm_floor: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void fail(const char *what)
{
    fprintf(stderr, "kvm_floor: %s\n", what);
    exit(2);
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); } /* x86: little-endian */

/* Copies the PT_LOAD segments of an ELF32 image into guest RAM; returns the entry. */
static uint32_t load_elf32(const uint8_t *image, size_t size, uint8_t *ram, uint64_t ram_size)
{
    if (size < 52 || memcmp(image, "\177ELF", 4) != 0 || image[4] != 1 /* ELFCLASS32 */)
        fail("not an ELF32 image");
    uint32_t entry = rd32(image + 24);
    uint32_t phoff = rd32(image + 28);
    uint16_t phentsize = rd16(image + 42), phnum = rd16(image + 44);
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = image + phoff + (size_t)i * phentsize;
        if ((size_t)(ph - image) + 32 > size)
            fail("program header outside the file");
        if (rd32(ph) != 1 /* PT_LOAD */)
            continue;
        uint32_t offset = rd32(ph + 4), paddr = rd32(ph + 12), filesz = rd32(ph + 16), memsz = rd32(ph + 20);
        if ((uint64_t)offset + filesz > size || filesz > memsz || (uint64_t)paddr + memsz > ram_size)
            fail("PT_LOAD segment out of range");
        memcpy(ram + paddr, image + offset, filesz);
        memset(ram + paddr + filesz, 0, memsz - filesz);
    }
    return entry;
}

static void flat_segment(struct kvm_segment *s, uint16_t selector, uint8_t type)
{
    memset(s, 0, sizeof *s);
    s->base = 0;
    s->limit = 0xffffffff;
    s->selector = selector;
    s->type = type;
    s->present = 1;
    s->dpl = 0;
    s->db = 1;
    s->s = 1;
    s->l = 0;
    s->g = 1;
}

int main(int argc, char **argv)
{
    uint64_t ram_mib = 64;
    int huge = 1, verbose = 0, clock_reads = 0, opt;
    while ((opt = getopt(argc, argv, "m:Hk:v")) != -1) {
        switch (opt) {
        case 'm': ram_mib = strtoull(optarg, NULL, 10); break;
        case 'H': huge = 0; break;
        case 'k': clock_reads = atoi(optarg); break;
        case 'v': verbose = 1; break;
        default: fail("usage: kvm_floor [-m MIB] [-H] [-k N] [-v] guest.elf [cmdline]");
        }
    }
    if (optind >= argc || ram_mib < 2 || ram_mib > 3072 || clock_reads < 0)
        fail("usage: kvm_floor [-m MIB] [-H] [-k N] [-v] guest.elf [cmdline]");
    uint64_t began = now_ns();
    const char *path = argv[optind];
    const char *cmdline = optind + 1 < argc ? argv[optind + 1] : "";
    uint64_t ram_size = ram_mib << 20;

    /* The image. */
    int file = open(path, O_RDONLY | O_CLOEXEC);
    if (file < 0)
        die(path);
    struct stat st;
    if (fstat(file, &st) < 0)
        die("fstat");
    uint8_t *image = malloc((size_t)st.st_size);
    if (!image || read(file, image, (size_t)st.st_size) != st.st_size)
        die("read");
    close(file);

    /* KVM, the VM, its RAM (2 MiB-aligned, like vmm's). */
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        die("/dev/kvm");
    if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
        fail("unexpected KVM API version");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        die("KVM_CREATE_VM");
    if (ioctl(vm, KVM_SET_TSS_ADDR, (unsigned long)TSS_ADDR) < 0)
        die("KVM_SET_TSS_ADDR");
    const size_t align = 2u << 20;
    uint8_t *raw = mmap(NULL, ram_size + align, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED)
        die("mmap");
    uint8_t *ram = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
    if (ram > raw)
        munmap(raw, (size_t)(ram - raw));
    if (raw + ram_size + align > ram + ram_size)
        munmap(ram + ram_size, (size_t)(raw + ram_size + align - (ram + ram_size)));
    if (huge)
        madvise(ram, ram_size, MADV_HUGEPAGE);
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = ram_size, .userspace_addr = (uintptr_t)ram};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        die("KVM_SET_USER_MEMORY_REGION");

    /* Guest memory: kernel, GDT, multiboot info, command line. */
    uint32_t entry = load_elf32(image, (size_t)st.st_size, ram, ram_size);
    free(image);
    static const uint64_t gdt[3] = {0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull};
    memcpy(ram + GDT_ADDR, gdt, sizeof gdt);
    /* As GRUB, QEMU and vmm do: the guest sees "<kernel path> <cmdline>". */
    int cmdline_len = snprintf((char *)ram + CMDLINE_ADDR, 4096, "%s %s", path, cmdline);
    if (cmdline_len < 0 || cmdline_len >= 4096)
        fail("command line too long");
    uint8_t *info = ram + INFO_ADDR;
    memset(info, 0, 120);
    wr32(info + 0, (1u << 0) | (1u << 2)); /* flags: mem_lower/mem_upper, cmdline */
    wr32(info + 4, 640);                   /* mem_lower, KiB */
    wr32(info + 8, (uint32_t)((ram_size - (1u << 20)) >> 10)); /* mem_upper, KiB */
    wr32(info + 16, CMDLINE_ADDR);

    /* The vCPU. */
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < 0)
        die("KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        die("mmap kvm_run");

    int nent = 128;
    struct kvm_cpuid2 *cpuid;
    for (;;) {
        cpuid = calloc(1, sizeof *cpuid + (size_t)nent * sizeof cpuid->entries[0]);
        if (!cpuid)
            die("calloc");
        cpuid->nent = (uint32_t)nent;
        if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
            break;
        if (errno != E2BIG)
            die("KVM_GET_SUPPORTED_CPUID");
        free(cpuid);
        nent *= 2;
    }
    if (ioctl(vcpu, KVM_SET_CPUID2, cpuid) < 0)
        die("KVM_SET_CPUID2");
    free(cpuid);

    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        die("KVM_GET_SREGS");
    flat_segment(&sregs.cs, 0x08, 0xb); /* code: execute/read, accessed */
    flat_segment(&sregs.ds, 0x10, 0x3); /* data: read/write, accessed */
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    sregs.gdt.base = GDT_ADDR;
    sregs.gdt.limit = sizeof gdt - 1;
    sregs.cr0 = (sregs.cr0 | 0x1 /* PE */ | 0x10 /* ET */) & ~0x80000000ull /* PG */;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        die("KVM_SET_SREGS");
    struct kvm_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.rip = entry;
    regs.rax = 0x2badb002;
    regs.rbx = INFO_ADDR;
    regs.rflags = 0x2;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        die("KVM_SET_REGS");

    /* The exit loop. */
    uint64_t exits = 0, start = now_ns();
    volatile uint64_t clock_sink = 0;
    int status;
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            die("KVM_RUN");
        }
        exits++;
        for (int i = 0; i < clock_reads; i++)
            clock_sink += now_ns();
        if (run->exit_reason == KVM_EXIT_IO) {
            uint8_t *data = (uint8_t *)run + run->io.data_offset;
            uint32_t bytes = (uint32_t)run->io.size * run->io.count;
            if (run->io.direction == KVM_EXIT_IO_OUT) {
                if (run->io.port == COM1) {
                    for (uint32_t i = 0; i < run->io.count; i++)
                        putchar_unlocked(data[i * run->io.size]);
                } else if (run->io.port == DEBUG_EXIT) {
                    uint32_t value = 0;
                    memcpy(&value, data, run->io.size < 4 ? run->io.size : 4);
                    status = (int)((value << 1) | 1);
                    break;
                }
            } else {
                memset(data, run->io.port == COM1_LSR ? 0x60 : 0xff, bytes);
            }
            continue;
        }
        if (run->exit_reason == KVM_EXIT_HLT) {
            fprintf(stderr, "kvm_floor: guest halted\n");
        } else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
            fprintf(stderr, "kvm_floor: KVM_EXIT_INTERNAL_ERROR, suberror %u\n", run->internal.suberror);
        } else {
            fprintf(stderr, "kvm_floor: unhandled exit reason %u\n", run->exit_reason);
        }
        status = 2;
        break;
    }
    uint64_t elapsed = now_ns() - start;
    fflush(stdout);
    if (verbose)
        fprintf(stderr, "kvm_floor: set-up %llu ns; %llu exits in %llu ns (%.0f ns/exit)\n",
                (unsigned long long)(start - began), (unsigned long long)exits, (unsigned long long)elapsed,
                exits ? (double)elapsed / (double)exits : 0.0);
    return status;
}
