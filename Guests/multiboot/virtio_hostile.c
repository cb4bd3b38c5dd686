/*
 * virtio_hostile.elf: a hostile virtio-mmio driver. It finds the virtio-blk
 * device named by a `virtio_mmio.device=<size>@<base>:<irq>` token on the command
 * line and attacks it through the real transport, one attack after another, with
 * a reset (Status = 0) before each: a looping descriptor chain, buffers outside
 * guest RAM and wrapping past 2^64, a QueueNum that is not a power of two, a
 * notification before QueueReady, features renegotiated after DRIVER_OK, writes
 * beyond the disk's capacity; then a clean reset and a normal read, which must
 * still work. Each outcome is one `hostile: <attack> -> <outcome>` line. See
 * Guests/README.md ("virtio_hostile.elf").
 *
 * Every wait is bounded (POLLS iterations, each one MMIO read of Status), so a
 * device that ignores an attack costs at most a few tens of milliseconds.
 */
#include "runtime.h"
#include "virtio.h"

#define EXIT_OK         0
#define EXIT_NO_DEVICE  4   /* no virtio-blk at a virtio_mmio.device= window */
#define EXIT_SETUP      5   /* a clean bring-up failed */
#define EXIT_UNEXPECTED 10  /* some attack did not end in the expected safe outcome */

#define POLLS 3000

#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define SECTOR 512u

/* Outcomes of one submission. */
#define OUT_USED        0   /* a used entry appeared (Status without NEEDS_RESET) */
#define OUT_NEEDS_RESET 1   /* NEEDS_RESET set, no used entry */
#define OUT_NOTHING     2   /* neither within POLLS */
#define OUT_BOTH        3   /* a used entry and NEEDS_RESET */

static struct vq_page queue_page;
static struct virtq vq;
static struct virtio_dev dev;
static uint32_t failure;
static uint64_t capacity;

static struct {
    uint8_t data[2 * SECTOR] __attribute__((aligned(4096)));
    struct {
        uint32_t type;
        uint32_t reserved;
        uint64_t sector;
    } header;
    volatile uint8_t status;
} blk;

static void put_hex(uint32_t value)
{
    serial_puts("0x");
    serial_put_hex32(value);
}

/* --- command line ------------------------------------------------------------ */

/* Probes every `virtio_mmio.device=...@<base>:...` window and keeps the first
 * virtio-blk device. */
static int find_blk(const char *cmdline)
{
    static const char key[] = "virtio_mmio.device=";
    for (const char *p = cmdline; p && *p;) {
        while (*p == ' ')
            p++;
        unsigned k = 0;
        while (key[k] && p[k] == key[k])
            k++;
        if (!key[k]) {
            uint64_t size, base, irq;
            if (virtio_parse_device(p + k, &size, &base, &irq) == 0 &&
                virtio_probe(&dev, (uint32_t)base, (uint32_t)irq) && dev.version == 2 &&
                dev.device_id == VIRTIO_ID_BLOCK)
                return 1;
        }
        while (*p && *p != ' ')
            p++;
    }
    return 0;
}

/* --- transport ----------------------------------------------------------------- */

static int reset_device(void)
{
    virtio_write(&dev, VIRTIO_MMIO_STATUS, 0);
    for (int polls = 1000; polls > 0; polls--)
        if (virtio_read(&dev, VIRTIO_MMIO_STATUS) == 0)
            return 0;
    return -1;
}

/* Reset, negotiate VERSION_1 only, and set up queue 0 with `num` entries (no
 * check that it is valid), made ready when `ready`. Without `driver_ok` the
 * device is left before DRIVER_OK. Returns -1 (after printing why) on failure. */
static int bring_up(uint32_t num, int ready, int driver_ok)
{
    if (reset_device() != 0) {
        serial_puts("hostile: FAIL: Status did not read back 0 after a reset\n");
        return -1;
    }
    if (virtio_negotiate(&dev, 0) != VIRTIO_OK) {
        serial_puts("hostile: FAIL: feature negotiation failed\n");
        return -1;
    }
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_SEL, 0);
    uint32_t max = virtio_read(&dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max < VQ_MAX_SIZE) {
        serial_puts("hostile: FAIL: QueueNumMax below 16\n");
        return -1;
    }
    words_zero(&queue_page, sizeof(queue_page));
    vq.dev = &dev;
    vq.page = &queue_page;
    vq.index = 0;
    vq.size = (uint16_t)num;
    vq.last_used = 0;
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_NUM, num);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(uintptr_t)queue_page.desc);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(uintptr_t)&queue_page.avail_flags);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(uintptr_t)&queue_page.used_flags);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
    if (ready)
        virtio_write(&dev, VIRTIO_MMIO_QUEUE_READY, 1);
    if (driver_ok)
        virtio_driver_ok(&dev);
    return 0;
}

static int needs_reset(void)
{
    return (virtio_read(&dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) != 0;
}

/* Waits (bounded) for a used entry or NEEDS_RESET. */
static int wait_outcome(void)
{
    for (int polls = 0; polls < POLLS; polls++) {
        int reset = needs_reset();
        __asm__ volatile("" : : : "memory");
        int used = *(volatile uint16_t *)&queue_page.used_idx != vq.last_used;
        if (used || reset) {
            if (used && !reset)
                reset = needs_reset();   /* NEEDS_RESET may follow a used entry */
            if (used)
                vq.last_used++;
            return used ? (reset ? OUT_BOTH : OUT_USED) : OUT_NEEDS_RESET;
        }
    }
    return OUT_NOTHING;
}

/* Makes the chain at descriptor 0 available, notifies and waits. */
static int submit(void)
{
    uint16_t idx = queue_page.avail_idx;
    queue_page.avail_ring[idx % vq.size] = 0;
    __asm__ volatile("" : : : "memory");
    *(volatile uint16_t *)&queue_page.avail_idx = (uint16_t)(idx + 1);
    __asm__ volatile("lock; addl $0, (%%esp)" : : : "memory", "cc");
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    return wait_outcome();
}

/* A three-descriptor blk request: header, data (`addr`, `len`), status. */
static void blk_chain(uint32_t type, uint64_t sector, uint64_t addr, uint32_t len)
{
    struct virtq_desc *d = queue_page.desc;
    blk.header.type = type;
    blk.header.reserved = 0;
    blk.header.sector = sector;
    blk.status = 0xff;
    virtq_desc_set(&d[0], &blk.header, sizeof(blk.header), VIRTQ_DESC_F_NEXT, 1);
    d[1].addr = addr;
    d[1].len = len;
    d[1].flags = (uint16_t)(VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0));
    d[1].next = 2;
    virtq_desc_set(&d[2], (const void *)&blk.status, 1, VIRTQ_DESC_F_WRITE, 0);
}

/* Prints "hostile: <what> -> <outcome>" and records whether it was `expected`. */
static void report(const char *what, int outcome, int expected)
{
    serial_puts("hostile: ");
    serial_puts(what);
    serial_puts(" -> ");
    switch (outcome) {
    case OUT_NEEDS_RESET:
        serial_puts("needs-reset");
        break;
    case OUT_NOTHING:
        serial_puts("ignored");
        break;
    default:    /* OUT_USED, OUT_BOTH, or -1: used with a status other than IOERR */
        if (blk.status == VIRTIO_BLK_S_IOERR)
            serial_puts("ioerr");
        else {
            serial_puts("used, status ");
            serial_put_dec(blk.status);
        }
        if (outcome == OUT_BOTH)
            serial_puts(", needs-reset");
        break;
    }
    if (outcome != expected) {
        serial_puts(" (UNEXPECTED)");
        failure = EXIT_UNEXPECTED;
    }
    serial_putc('\n');
}

/* The outcome of a blk request that should end in a used entry with IOERR. */
static int ioerr_outcome(int outcome)
{
    return outcome == OUT_USED && blk.status != VIRTIO_BLK_S_IOERR ? -1 : outcome;
}

/* --- attacks --------------------------------------------------------------------- */

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    failure = 0;
    if (!find_blk(multiboot_cmdline(magic, info))) {
        serial_puts("hostile: no virtio-blk at a virtio_mmio.device= window\n");
        return EXIT_NO_DEVICE;
    }
    serial_puts("hostile: virtio-blk at ");
    put_hex(dev.base);
    serial_putc('\n');

    if (bring_up(VQ_MAX_SIZE, 1, 1) != 0)
        return EXIT_SETUP;
    capacity = virtio_config(&dev, 0, 8);
    serial_puts("hostile: capacity ");
    serial_put_dec((unsigned long)capacity);
    serial_puts(" sectors\n");

    /* 1. A chain that loops: 0 -> 1 -> 0 (both device-readable, so that only
     *    the loop is wrong). */
    struct virtq_desc *d = queue_page.desc;
    virtq_desc_set(&d[0], &blk.header, sizeof(blk.header), VIRTQ_DESC_F_NEXT, 1);
    virtq_desc_set(&d[1], blk.data, SECTOR, VIRTQ_DESC_F_NEXT, 0);
    blk.header.type = VIRTIO_BLK_T_IN;
    blk.header.sector = 0;
    report("loop", submit(), OUT_NEEDS_RESET);

    /* 2. A data buffer in the MMIO hole, beyond guest RAM. */
    if (bring_up(VQ_MAX_SIZE, 1, 1) != 0)
        return EXIT_SETUP;
    blk_chain(VIRTIO_BLK_T_IN, 0, 0xF0000000ull, SECTOR);
    report("buffer outside RAM", submit(), OUT_NEEDS_RESET);

    /* 3. address + length wraps past 2^64. */
    if (bring_up(VQ_MAX_SIZE, 1, 1) != 0)
        return EXIT_SETUP;
    blk_chain(VIRTIO_BLK_T_IN, 0, 0xFFFFFFFFFFFFFFF0ull, 4096);
    report("length overflow", submit(), OUT_NEEDS_RESET);

    /* 4. QueueNum 3 (not a power of two), made ready, a valid request. */
    if (bring_up(3, 1, 1) != 0)
        return EXIT_SETUP;
    blk_chain(VIRTIO_BLK_T_IN, 0, (uint32_t)(uintptr_t)blk.data, SECTOR);
    report("queue size 3", submit(), OUT_NEEDS_RESET);

    /* 5. A valid request and a notification for a queue that is not ready. */
    if (bring_up(VQ_MAX_SIZE, 0, 1) != 0)
        return EXIT_SETUP;
    blk_chain(VIRTIO_BLK_T_IN, 0, (uint32_t)(uintptr_t)blk.data, SECTOR);
    report("notify before ready", submit(), OUT_NOTHING);

    /* 6. DriverFeatures written again after DRIVER_OK; then a valid request,
     *    which a device that needs a reset must not serve. */
    if (bring_up(VQ_MAX_SIZE, 1, 1) != 0)
        return EXIT_SETUP;
    virtio_write(&dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    virtio_write(&dev, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffffu);
    report("features after DRIVER_OK", needs_reset() ? OUT_NEEDS_RESET : OUT_NOTHING,
           OUT_NEEDS_RESET);
    blk_chain(VIRTIO_BLK_T_IN, 0, (uint32_t)(uintptr_t)blk.data, SECTOR);
    {
        int outcome = submit();
        /* Status keeps NEEDS_RESET, so "needs-reset" here means: not served. */
        report("request after renegotiation", outcome, OUT_NEEDS_RESET);
    }

    /* 7. Writes at sector = capacity, and straddling the end of the disk. */
    for (unsigned i = 0; i < 2 * SECTOR / 4; i++)
        ((uint32_t *)blk.data)[i] = 0x5a5a5a5au;
    if (bring_up(VQ_MAX_SIZE, 1, 1) != 0)
        return EXIT_SETUP;
    blk_chain(VIRTIO_BLK_T_OUT, capacity, (uint32_t)(uintptr_t)blk.data, SECTOR);
    report("write at sector capacity", ioerr_outcome(submit()), OUT_USED);
    blk_chain(VIRTIO_BLK_T_OUT, capacity - 1, (uint32_t)(uintptr_t)blk.data, 2 * SECTOR);
    report("write across the end", ioerr_outcome(submit()), OUT_USED);

    /* 8. A clean reset and a normal one-sector read. */
    if (bring_up(VQ_MAX_SIZE, 1, 1) != 0)
        return EXIT_SETUP;
    words_zero(blk.data, SECTOR);
    blk_chain(VIRTIO_BLK_T_IN, 0, (uint32_t)(uintptr_t)blk.data, SECTOR);
    int outcome = submit();
    uint32_t len = queue_page.used_ring[0].len;
    if (outcome == OUT_USED && blk.status == VIRTIO_BLK_S_OK && len == SECTOR + 1) {
        serial_puts("hostile: device still works, sector 0 starts ");
        put_hex(((uint32_t *)blk.data)[0]);
        serial_putc('\n');
    } else {
        serial_puts("hostile: FAIL: clean read: ");
        report("read", outcome, OUT_USED);
        failure = EXIT_UNEXPECTED;
    }
    reset_device();

    serial_puts(failure ? "hostile: FAIL\n" : "hostile: PASS\n");
    return failure;
}
