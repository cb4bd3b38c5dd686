/*
 * hostile.elf: what an attacker inside the guest would do to the VMM, one
 * attack ("storm") per run, picked by a `storm=<name>` token on the command line;
 * `seed=<n>` seeds the xorshift PRNG (default 1), so every run is the same.
 *
 *   pio     every I/O port 0..0xFFFF written with a random value (byte, word or
 *           dword), and read back below 0x1000 and at every 16th port above
 *           (each access is one exit; the ports above 0x1000 in a tight
 *           assembly loop, as emulated instructions are slow), then 5000 random accesses to the ports that
 *           have devices (8259, 8254, i8042, CMOS, 16550s, POST, PCI config)
 *   mmio    every register offset (0..0x1FF) of every virtio-mmio window on the
 *           command line written and read at random widths, 20 rounds, plus
 *           random accesses at offsets up to 0xFFF and 20000 in unmapped MMIO
 *   dma     virtio-blk with its largest queue: rings and descriptor tables
 *           beyond RAM, in the MMIO hole and wrapping at 2^64; indirect tables
 *           likewise, huge, misaligned, nested and looping; head and next
 *           indices out of range; an avail index 32768 ahead; a chain through
 *           every descriptor that loops; then a clean read, which must work
 *   irq     the 16550 THR-empty interrupt re-armed from its own handler,
 *           self-IPIs (hostile_irq.c), then virtio-rng requests that ask for an
 *           interrupt each, never acknowledged
 *   triple  a virtio-blk write of sector 1 in flight, then a triple fault
 *   int3, xsave
 *           the same write in flight, then an instruction KVM's emulator on
 *           the development host cannot run (an emulation failure there; on
 *           hardware, int3 or xsave with CR4.OSXSAVE clear faults, and with no
 *           IDT the guest triple faults)
 *
 * Each storm ends with "hostile: <storm> done" and debug-exit value 0, except
 * triple, int3 and xsave, which never come back. Port 0xF4-0xF7 (debug exit)
 * and the reset paths (i8042 commands >= 0x80 such as 0xFE, port 0x92 bit 0,
 * 0xCF9) are left out of the PIO storm: they end the run by design.
 * The MMIO storm sets bit 31 of every queue address it writes, so the devices
 * are never pointed into the guest's own RAM (the guest would only hurt itself).
 */
#include "runtime.h"
#include "virtio.h"

#define EXIT_OK        0
#define EXIT_USAGE     2
#define EXIT_NO_DEVICE 4
#define EXIT_SETUP     5
#define EXIT_BROKEN    10   /* the device did not work after the attacks */

#define POLLS 2000
#define QSIZE_MAX 256
#define SECTOR 512u

void irq_storm(uint32_t count);

static uint32_t prng_state = 1;

static uint32_t prng(void)
{
    uint32_t x = prng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    prng_state = x;
    return x;
}

static int token_is(const char *value, const char *name)
{
    unsigned i = 0;
    for (; name[i]; i++)
        if (value[i] != name[i])
            return 0;
    return value[i] == '\0' || value[i] == ' ';
}

/* --- port I/O ------------------------------------------------------------------ */

static inline void outw(uint16_t port, uint16_t value)
{
    __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t value;
    __asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t value;
    __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

/* Ports whose writes end the run on purpose. */
static int is_exit_port(uint32_t port)
{
    return (port >= 0xf4 && port <= 0xf7) || port == 0xcf9;
}

/* One write of a random value at `port`, and a read when `read`: bytes below
 * 0x100 and at the PCI configuration ports, else the width cycles with the port
 * number. Kept short: every instruction is emulated (~600 ns) on the
 * development host. */
static void port_access(uint32_t port, int read)
{
    uint32_t value = prng_state = prng_state * 1664525u + 1013904223u;
    if (port == 0x64)
        value &= 0x7f;          /* i8042 commands >= 0x80 include reset (0xFE) */
    if (port == 0x92)
        value &= ~1u;           /* fast reset */
    unsigned width = (port < 0x100 || (port & 0xfff8) == 0xcf8) ? 0 : port % 3;
    if (width == 0) {
        outb((uint16_t)port, (uint8_t)(value >> 24));
        if (read)
            (void)inb((uint16_t)port);
    } else if (width == 1) {
        outw((uint16_t)port, (uint16_t)(value >> 16));
        if (read)
            (void)inw((uint16_t)port);
    } else {
        outl((uint16_t)port, value);
        if (read)
            (void)inl((uint16_t)port);
    }
}

/* Ports 0x1000-0xFFFF (no device of ours, none that ends the run) in a tight
 * loop: a dword write where the port is a multiple of 4, a word write at the
 * other even ports, a byte write at odd ones, and a dword read at every 16th
 * port. Returns the number of ports written. */
static uint32_t port_sweep_high(void)
{
    uint32_t state = prng_state;
    __asm__ volatile("mov $0x1000, %%edx\n"
                     "1:\n\t"
                     "imul $1664525, %%ebx, %%ebx\n\t"
                     "add $1013904223, %%ebx\n\t"
                     "mov %%ebx, %%eax\n\t"
                     "test $1, %%dl\n\t"
                     "jnz 3f\n\t"
                     "test $2, %%dl\n\t"
                     "jnz 2f\n\t"
                     "outl %%eax, %%dx\n\t"
                     "test $15, %%dl\n\t"
                     "jnz 4f\n\t"
                     "inl %%dx, %%eax\n\t"
                     "jmp 4f\n"
                     "2:\n\t"
                     "outw %%ax, %%dx\n\t"
                     "jmp 4f\n"
                     "3:\n\t"
                     "outb %%al, %%dx\n"
                     "4:\n\t"
                     "inc %%edx\n\t"
                     "cmp $0x10000, %%edx\n\t"
                     "jb 1b"
                     : "+b"(state)
                     :
                     : "eax", "edx", "cc", "memory");
    prng_state = state;
    return 0x10000 - 0x1000;
}

static void serial_reinit(void)
{
    outb(0x3fb, 0x03);      /* LCR: 8N1, DLAB off */
    outb(0x3f9, 0x00);      /* IER: no interrupts */
    outb(0x3fc, 0x03);      /* MCR: DTR, RTS, no loopback */
    outb(0x3fa, 0x00);      /* FCR */
}

static const uint16_t device_ports[] = {
    0x20, 0x21, 0xa0, 0xa1, 0x40, 0x41, 0x42, 0x43, 0x61, 0x60, 0x64, 0x70, 0x71, 0x80,
    0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, 0x2f8, 0x2f9, 0x2fb, 0x2fd,
    0xcf8, 0xcfc, 0xcfd, 0xcfe, 0xcff,
};

static void pio_storm(void)
{
    uint32_t count = 0;
    for (uint32_t port = 0; port < 0x1000; port++) {
        if (is_exit_port(port))
            continue;
        port_access(port, 1);
        count++;
    }
    count += port_sweep_high();
    for (unsigned i = 0; i < 5000; i++) {
        port_access(device_ports[prng() % (sizeof(device_ports) / sizeof(device_ports[0]))], 1);
        count++;
    }
    serial_reinit();
    serial_puts("\nhostile: pio accesses ");
    serial_put_dec(count);
    serial_putc('\n');
}

/* --- virtio windows ------------------------------------------------------------ */

#define MAX_WINDOWS 16
static uint32_t windows[MAX_WINDOWS];
static uint32_t window_irqs[MAX_WINDOWS];
static unsigned window_count;

static void find_windows(const char *cmdline)
{
    static const char key[] = "virtio_mmio.device=";
    for (const char *p = cmdline; p && *p;) {
        while (*p == ' ')
            p++;
        unsigned k = 0;
        while (key[k] && p[k] == key[k])
            k++;
        uint64_t size, base, irq;
        if (!key[k] && window_count < MAX_WINDOWS && virtio_parse_device(p + k, &size, &base, &irq) == 0) {
            windows[window_count] = (uint32_t)base;
            window_irqs[window_count] = (uint32_t)irq;
            window_count++;
        }
        while (*p && *p != ' ')
            p++;
    }
}

static int find_device(struct virtio_dev *dev, uint32_t id)
{
    for (unsigned i = 0; i < window_count; i++)
        if (virtio_probe(dev, windows[i], window_irqs[i]) && dev->version == 2 && dev->device_id == id)
            return 1;
    return 0;
}

static void mmio_access(uint32_t address, uint32_t value, unsigned width)
{
    if (width == 1) {
        __asm__ volatile("movb %0, (%1)" : : "q"((uint8_t)value), "r"((uintptr_t)address) : "memory");
        (void)mmio_read8(address);
    } else if (width == 2) {
        __asm__ volatile("movw %0, (%1)" : : "r"((uint16_t)value), "r"((uintptr_t)address) : "memory");
        (void)mmio_read16(address);
    } else {
        mmio_write32(address, value);
        (void)mmio_read32(address);
    }
}

static int is_queue_address_low(uint32_t offset)
{
    return offset == VIRTIO_MMIO_QUEUE_DESC_LOW || offset == VIRTIO_MMIO_QUEUE_DRIVER_LOW
        || offset == VIRTIO_MMIO_QUEUE_DEVICE_LOW;
}

static void mmio_storm(void)
{
    uint32_t count = 0;
    for (unsigned round = 0; round < 20; round++)
        for (unsigned w = 0; w < window_count; w++) {
            for (uint32_t offset = 0; offset < 0x200; offset += 4) {
                uint32_t value = prng();
                if (is_queue_address_low(offset))
                    value |= 0x80000000u;       /* never into our own RAM */
                unsigned width = is_queue_address_low(offset) ? 4 : 1u << (prng() % 3);
                mmio_access(windows[w] + offset, value, width);
                count++;
            }
            for (unsigned i = 0; i < 16; i++) {
                uint32_t offset = 0x200 + (prng() % 0xe00);
                mmio_access(windows[w] + (offset & ~3u), prng(), 4);
                count++;
            }
        }
    for (unsigned i = 0; i < window_count; i++)
        virtio_write(&(struct virtio_dev){.base = windows[i]}, VIRTIO_MMIO_STATUS, 0);
    /* Unmapped MMIO: just past RAM, and the hole below 4 GiB apart from the
     * virtio windows (0xD0000000-0xD00FFFFF) and the APICs (0xFEC00000 up). */
    for (unsigned i = 0; i < 20000; i++) {
        uint32_t address;
        do {
            address = (i & 1) ? 0xc0000000u + prng() % 0x3ec00000u : 0x04000000u + prng() % 0x01000000u;
        } while (address >= 0xd0000000u && address < 0xd0100000u);
        mmio_access(address & ~3u, prng(), 4);
        count++;
    }
    serial_puts("hostile: mmio windows ");
    serial_put_dec(window_count);
    serial_puts(", accesses ");
    serial_put_dec(count);
    serial_putc('\n');
}

/* --- a virtio-blk queue of QueueNumMax entries ------------------------------------- */

static struct virtio_dev dev;
static struct {
    struct virtq_desc desc[QSIZE_MAX];                      /* page 0 */
    uint16_t avail_flags, avail_idx, avail_ring[QSIZE_MAX + 1];
    uint8_t pad0[4096 - 2 * (3 + QSIZE_MAX)];
    uint16_t used_flags, used_idx;                          /* page 2 */
    struct { uint32_t id, len; } used_ring[QSIZE_MAX];
    uint16_t avail_event;
} __attribute__((aligned(4096))) q;
static struct virtq_desc indirect[QSIZE_MAX] __attribute__((aligned(16)));
static uint16_t qsize;
static uint16_t last_used;
static struct {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
} __attribute__((aligned(16))) header;
static uint8_t data[SECTOR] __attribute__((aligned(4096)));
static volatile uint8_t status;

static int reset_device(struct virtio_dev *d)
{
    virtio_write(d, VIRTIO_MMIO_STATUS, 0);
    for (int polls = 1000; polls > 0; polls--)
        if (virtio_read(d, VIRTIO_MMIO_STATUS) == 0)
            return 0;
    return -1;
}

/* Reset, negotiate (INDIRECT_DESC if offered), queue 0 with QueueNumMax (at most
 * 256) entries at the given addresses (0: our own rings), DRIVER_OK. */
static int bring_up(uint64_t desc, uint64_t avail, uint64_t used)
{
    if (reset_device(&dev) != 0 || virtio_negotiate(&dev, 1ull << VIRTIO_F_INDIRECT_DESC) != VIRTIO_OK)
        return -1;
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_SEL, 0);
    uint32_t max = virtio_read(&dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
    qsize = (uint16_t)(max > QSIZE_MAX ? QSIZE_MAX : max);
    words_zero(&q, sizeof(q));
    last_used = 0;
    if (!desc)
        desc = (uint32_t)(uintptr_t)q.desc;
    if (!avail)
        avail = (uint32_t)(uintptr_t)&q.avail_flags;
    if (!used)
        used = (uint32_t)(uintptr_t)&q.used_flags;
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_NUM, qsize);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_READY, 1);
    virtio_driver_ok(&dev);
    return 0;
}

/* Makes `head` available `count` entries ahead (1: normal), notifies, and waits
 * (bounded) for a used entry or NEEDS_RESET. */
static const char *submit(uint16_t head, uint16_t count)
{
    q.avail_ring[q.avail_idx % qsize] = head;
    __asm__ volatile("" : : : "memory");
    *(volatile uint16_t *)&q.avail_idx = (uint16_t)(q.avail_idx + count);
    __asm__ volatile("lock; addl $0, (%%esp)" : : : "memory", "cc");
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    for (int polls = 0; polls < POLLS; polls++) {
        if (virtio_read(&dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
            return "needs-reset";
        if (*(volatile uint16_t *)&q.used_idx != last_used) {
            last_used++;
            return status == 0 ? "used, ok" : "used, error";
        }
    }
    return "ignored";
}

/* A blk request in descriptors 0..2: header, data, status. */
static void blk_request(uint32_t type, uint64_t sector)
{
    header.type = type;
    header.reserved = 0;
    header.sector = sector;
    status = 0xff;
    virtq_desc_set(&q.desc[0], &header, sizeof(header), VIRTQ_DESC_F_NEXT, 1);
    virtq_desc_set(&q.desc[1], data, SECTOR, (uint16_t)(VIRTQ_DESC_F_NEXT | (type == 0 ? VIRTQ_DESC_F_WRITE : 0)), 2);
    virtq_desc_set(&q.desc[2], (const void *)&status, 1, VIRTQ_DESC_F_WRITE, 0);
}

static void report(const char *what, const char *outcome)
{
    serial_puts("hostile: dma ");
    serial_puts(what);
    serial_puts(" -> ");
    serial_puts(outcome);
    serial_putc('\n');
}

/* One attack on the rings' addresses: a valid request, rings elsewhere. */
static void ring_attack(const char *what, uint64_t desc, uint64_t avail, uint64_t used)
{
    if (bring_up(desc, avail, used) != 0) {
        report(what, "refused at setup");
        return;
    }
    blk_request(0, 0);
    report(what, submit(0, 1));
}

/* One attack through an indirect descriptor at `addr` of `len` bytes. */
static void indirect_attack(const char *what, uint64_t addr, uint32_t len)
{
    if (bring_up(0, 0, 0) != 0) {
        report(what, "refused at setup");
        return;
    }
    q.desc[0].addr = addr;
    q.desc[0].len = len;
    q.desc[0].flags = VIRTQ_DESC_F_INDIRECT;
    q.desc[0].next = 0;
    report(what, submit(0, 1));
}

static int dma_storm(void)
{
    if (!find_device(&dev, VIRTIO_ID_BLOCK)) {
        serial_puts("hostile: no virtio-blk\n");
        return EXIT_NO_DEVICE;
    }
    if (bring_up(0, 0, 0) != 0)
        return EXIT_SETUP;
    serial_puts("hostile: dma queue size ");
    serial_put_dec(qsize);
    serial_puts(virtio_has(&dev, VIRTIO_F_INDIRECT_DESC) ? ", indirect\n" : ", no indirect\n");

    ring_attack("descriptor table beyond RAM", 0x100000000ull, 0, 0);
    ring_attack("descriptor table in the MMIO hole", 0xd0000000ull, 0, 0);
    ring_attack("descriptor table wrapping at 2^64", 0xfffffffffffff800ull, 0, 0);
    ring_attack("avail ring beyond RAM", 0, 0x200000000ull, 0);
    ring_attack("avail ring wrapping at 2^64", 0, 0xfffffffffffffffeull, 0);
    ring_attack("used ring in the MMIO hole", 0, 0, 0xfec00000ull);
    ring_attack("used ring wrapping at 2^64", 0, 0, 0xfffffffffffffffcull);

    uint32_t own = (uint32_t)(uintptr_t)indirect;
    indirect_attack("indirect table beyond RAM", 0x300000000ull, 16 * 3);
    indirect_attack("indirect table wrapping at 2^64", 0xfffffffffffffff0ull, 16 * 3);
    indirect_attack("indirect table of 2^32-16 bytes", own, 0xfffffff0u);
    indirect_attack("indirect table length 40", own, 40);
    indirect_attack("indirect table length 0", own, 0);
    /* Nested: the table's first entry is itself indirect. */
    indirect[0].addr = own;
    indirect[0].len = 16 * 2;
    indirect[0].flags = VIRTQ_DESC_F_INDIRECT;
    indirect[1] = indirect[0];
    indirect_attack("nested indirect table", own, 16 * 2);
    /* A table whose entries loop, and one whose next leaves the table. */
    for (unsigned i = 0; i < QSIZE_MAX; i++) {
        indirect[i].addr = (uint32_t)(uintptr_t)data;
        indirect[i].len = 16;
        indirect[i].flags = VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE;
        indirect[i].next = (uint16_t)((i + 1) % QSIZE_MAX);
    }
    indirect_attack("indirect table looping through 256 entries", own, 16 * QSIZE_MAX);
    indirect[0].next = 0xffff;
    indirect_attack("indirect next out of range", own, 16 * 2);

    /* Indices: a head beyond the queue, next beyond the queue, avail 32768 ahead. */
    if (bring_up(0, 0, 0) == 0) {
        blk_request(0, 0);
        report("head index 65535", submit(0xffff, 1));
    }
    if (bring_up(0, 0, 0) == 0) {
        blk_request(0, 0);
        q.desc[1].next = 0xfff0;
        report("next index 65520", submit(0, 1));
    }
    if (bring_up(0, 0, 0) == 0) {
        blk_request(0, 0);
        report("avail index 32768 ahead", submit(0, 0x8000));
    }
    /* A chain through every descriptor of the largest queue, back to the first. */
    if (bring_up(0, 0, 0) == 0) {
        for (unsigned i = 0; i < qsize; i++)
            virtq_desc_set(&q.desc[i], data, 16, VIRTQ_DESC_F_NEXT, (uint16_t)((i + 1) % qsize));
        report("chain looping through the whole queue", submit(0, 1));
    }
    /* A chain one longer than the queue cannot exist without a loop; one exactly
     * as long as the queue, with huge lengths that pass the end of RAM. */
    if (bring_up(0, 0, 0) == 0) {
        for (unsigned i = 0; i < qsize; i++)
            virtq_desc_set(&q.desc[i], data, 0xffffffffu,
                           (uint16_t)(i + 1 < qsize ? VIRTQ_DESC_F_NEXT : 0), (uint16_t)(i + 1));
        report("full-queue chain of 4 GiB buffers", submit(0, 1));
    }

    /* The device must still work after a reset. */
    if (bring_up(0, 0, 0) != 0)
        return EXIT_SETUP;
    blk_request(0, 0);
    const char *outcome = submit(0, 1);
    int ok = outcome[0] == 'u' && status == 0 && q.used_ring[0].len == SECTOR + 1;
    reset_device(&dev);
    serial_puts(ok ? "hostile: dma device still works\n" : "hostile: dma FAIL: the clean read failed\n");
    return ok ? EXIT_OK : EXIT_BROKEN;
}

/* --- interrupt flood from virtio-rng ------------------------------------------------ */

static int rng_flood(uint32_t count)
{
    struct virtio_dev rng;
    if (!find_device(&rng, VIRTIO_ID_RNG)) {
        serial_puts("hostile: no virtio-rng\n");
        return EXIT_NO_DEVICE;
    }
    static struct vq_page page;
    struct virtq vq;
    if (virtio_negotiate(&rng, 0) != VIRTIO_OK || virtq_setup(&rng, &vq, 0, &page, VQ_MAX_SIZE) != VIRTIO_OK)
        return EXIT_SETUP;
    virtio_driver_ok(&rng);
    uint32_t used = 0;
    for (uint32_t i = 0; i < count; i++) {
        virtq_desc_set(&page.desc[0], data, 16, VIRTQ_DESC_F_WRITE, 0);
        page.avail_ring[page.avail_idx % vq.size] = 0;
        __asm__ volatile("" : : : "memory");
        *(volatile uint16_t *)&page.avail_idx = (uint16_t)(page.avail_idx + 1);
        virtio_write(&rng, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        /* Bounded (~0.1 s) but generous: the I/O thread may be slow on a busy host. */
        for (int polls = 0; polls < 50 * POLLS; polls++)
            if (*(volatile uint16_t *)&page.used_idx == page.avail_idx) {
                used++;
                break;
            }
        /* InterruptStatus is never acknowledged. */
    }
    serial_puts("hostile: irq virtio-rng requests used ");
    serial_put_dec(used);
    serial_puts(", interrupt status ");
    serial_put_dec(virtio_read(&rng, VIRTIO_MMIO_INTERRUPT_STATUS));
    serial_putc('\n');
    reset_device(&rng);
    return EXIT_OK;
}

/* --- a request in flight, then something fatal -------------------------------------- */

static int write_in_flight(void)
{
    if (!find_device(&dev, VIRTIO_ID_BLOCK)) {
        serial_puts("hostile: no virtio-blk\n");
        return -1;
    }
    if (bring_up(0, 0, 0) != 0)
        return -1;
    for (unsigned i = 0; i < SECTOR; i++)
        data[i] = (uint8_t)(0xa0 + (i & 0xf));
    blk_request(1, 1);
    q.avail_ring[0] = 0;
    __asm__ volatile("" : : : "memory");
    *(volatile uint16_t *)&q.avail_idx = 1;
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    return 0;
}

static void triple_fault(void)
{
    static const struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) empty_idt = {0, 0};
    __asm__ volatile("lidt %0\n\t"
                     "xor %%ecx, %%ecx\n\t"
                     "div %%ecx"
                     : : "m"(empty_idt) : "eax", "ecx", "edx", "memory");
}

static uint8_t xsave_area[4096] __attribute__((aligned(64)));

/* --- main ------------------------------------------------------------------------- */

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    const char *cmdline = multiboot_cmdline(magic, info);
    const char *storm = cmdline_value(cmdline, "storm");
    const char *seed = cmdline_value(cmdline, "seed");
    unsigned long value;
    if (seed && parse_decimal(seed, 0xffffffffu, &value) == 0 && value != 0)
        prng_state = (uint32_t)value;
    find_windows(cmdline);
    if (!storm) {
        serial_puts("hostile: no storm= token\n");
        return EXIT_USAGE;
    }
    uint32_t result = EXIT_OK;
    if (token_is(storm, "none")) {
        serial_puts("hostile: benign run\n");
    } else if (token_is(storm, "pio")) {
        pio_storm();
    } else if (token_is(storm, "mmio")) {
        mmio_storm();
    } else if (token_is(storm, "dma")) {
        result = (uint32_t)dma_storm();
    } else if (token_is(storm, "irq")) {
        irq_storm(20000);
        result = (uint32_t)rng_flood(2000);
    } else if (token_is(storm, "triple") || token_is(storm, "int3") || token_is(storm, "xsave")) {
        if (write_in_flight() != 0)
            return EXIT_SETUP;
        serial_puts("hostile: write in flight\n");
        if (token_is(storm, "triple")) {
            triple_fault();
        } else if (token_is(storm, "int3")) {
            __asm__ volatile("int3");
        } else {
            __asm__ volatile("xsave (%0)" : : "r"(xsave_area), "a"(~0u), "d"(~0u) : "memory");
        }
        serial_puts("hostile: still running after the fatal instruction\n");
        return 3;
    } else {
        serial_puts("hostile: unknown storm\n");
        return EXIT_USAGE;
    }
    serial_puts(result == EXIT_OK ? "hostile: done\n" : "hostile: FAIL\n");
    return result;
}
