/*
 * virtio_bench.elf: the virtio-blk IOPS benchmark guest (Benchmarks/, section e).
 *
 * Entered by longmode.S in 64-bit mode at CPL 0, it drops to CPL 3 at once (as
 * user.elf does: iretq with RFLAGS.IOPL = 3, no IDT, no TSS) and does everything
 * there, because on the development host KVM emulates guest ring-0 code at about
 * 600 ns per instruction while ring-3 code runs natively (../shared/HOST.md).
 *
 * It finds the virtio-blk device as virtio.elf does (`virtio_mmio.device=`
 * tokens, else QEMU microvm's windows at 0xFEB00000 + n * 0x200), negotiates
 * VERSION_1 and EVENT_IDX, sets up queue 0 with up to 256 entries, and keeps
 * `depth=` requests in flight until `requests=` requests have completed: 4 KiB
 * each, a read or (with probability `writes=` %) a write, at a random 4 KiB-aligned
 * offset of the disk (xorshift64*, fixed seed). Completions are found by polling
 * the used ring; used-buffer interrupts are suppressed (used_event kept half the
 * index space ahead) and InterruptStatus is never read in the loop. The queue is
 * notified only when EVENT_IDX says the device asked for it (vring_need_event on
 * avail_event). The loop is timed with rdtsc.
 *
 * Data check: block b written with generation g holds the 64-bit words
 * [b, g, mix(b, g, 2), ..., mix(b, g, 511)]; a block never written since the image
 * was made holds zeroes. Every read is checked in full against that (and against
 * the exact g when this run wrote the block); a read buffer is poisoned first, so a
 * device that does nothing fails. At the end the last blocks written are read back
 * and must hold exactly what was written. No two requests in flight touch the same
 * block.
 *
 * Output (every number zero-padded to a fixed width, so the serial output, and with
 * it the exits it costs, does not depend on the figures):
 *
 *   bench: virtio-blk at 0x........ (cmdline|scan)
 *   bench: features 0x................ queue NNN depth NNN writes NNN%
 *   bench: disk NNNNNNNNNNNN blocks of 4 KiB, using NNNNNNNNNNNN
 *   bench: requests NNNNNNNNNNNN reads NNNNNNNNNNNN writes NNNNNNNNNNNN
 *   bench: cycles NNNNNNNNNNNNNNNNNNNN notifications NNNNNNNNNNNN
 *   bench: checked NNNNNNNNNNNN reads (NNNNNNNNNNNN of blocks written in this run), readback NNN
 *   bench: PASS                      (or bench: FAIL: <why>)
 *
 * Exit value V (debug-exit port): 0 pass, 2 bad command line, 3 no virtio-blk,
 * 4 transport error, 5 timeout, 6 protocol error (used id, length or status),
 * 7 data check failed. With `hold=1` the guest spins at CPL 3 after the last line
 * instead of exiting (QEMU's statistics can then be read over QMP).
 */
#include "runtime.h"
#include "gdt64.h"
#include "virtio.h"

#define MICROVM_VIRTIO_BASE   0xFEB00000u
#define MICROVM_VIRTIO_STRIDE 0x200u
#define MICROVM_VIRTIO_SLOTS  24

#define RFLAGS_RESERVED 0x2
#define RFLAGS_IOPL3    0x3000

#define VIRTIO_BLK_T_IN  0
#define VIRTIO_BLK_T_OUT 1
#define BLOCK            4096u
#define WORDS            (BLOCK / 8)
#define SECTORS_PER_BLOCK (BLOCK / 512)

#define QUEUE_MAX   256
#define DESC_PER_REQUEST 3
#define DEPTH_MAX   (QUEUE_MAX / DESC_PER_REQUEST)
#define DEFAULT_DEPTH 32
#define DEFAULT_REQUESTS 100000ul
#define DEFAULT_WRITES 50
#define DEFAULT_SEED 0x2545F4914F6CDD1Dull
/* Blocks the guest keeps state for: 2^18 x 4 KiB = 1 GiB of disk. */
#define BLOCKS_MAX  (1u << 18)
#define READBACK_MAX 64
/* No progress for 2^35 TSC ticks (about 13 s at 2.6 GHz): give up. */
#define WAIT_TICKS (1ull << 35)
#define POISON 0xdeadbeefdeadbeefull

#define EXIT_OK        0
#define EXIT_CMDLINE   2
#define EXIT_ABSENT    3
#define EXIT_TRANSPORT 4
#define EXIT_TIMEOUT   5
#define EXIT_PROTOCOL  6
#define EXIT_DATA      7

/* --- the queue: descriptor table, driver area, device area ------------------ */
static struct {
    struct virtq_desc desc[QUEUE_MAX];                    /* 4 KiB */
    uint16_t avail_flags, avail_idx, avail_ring[QUEUE_MAX], used_event;
    uint8_t pad0[4096 - 2 * (3 + QUEUE_MAX)];
    uint16_t used_flags, used_idx;
    struct { uint32_t id, len; } used_ring[QUEUE_MAX];
    uint16_t avail_event;
    uint8_t pad1[4096 - 4 - 8 * QUEUE_MAX - 2];
} ring __attribute__((aligned(4096)));

/* --- per-request buffers (slot s uses descriptors 3s, 3s+1, 3s+2) ------------ */
static uint64_t data[DEPTH_MAX][WORDS] __attribute__((aligned(4096)));
static struct {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
} header[DEPTH_MAX] __attribute__((aligned(16)));
static volatile uint8_t status[DEPTH_MAX];
static struct {
    uint32_t block;
    uint32_t write;
    uint64_t generation;   /* written (writes), expected or 0 (reads) */
} slot_state[DEPTH_MAX];

/* The generation this run last wrote to each block (0: not written in this run),
 * and whether a request for it is in flight. Zeroed at start (.bss is not zeroed
 * by the loader). */
static uint64_t written[BLOCKS_MAX];
static uint8_t in_flight[BLOCKS_MAX];
static uint32_t recent[READBACK_MAX];
static uint32_t recent_count, recent_next;

static uint8_t user_stack[16384] __attribute__((aligned(16)));
static uint32_t boot_magic;
static const struct multiboot_info *boot_info;

static struct virtio_dev dev;
static uint16_t queue_size;
static uint16_t last_used;      /* next used entry expected */
static uint16_t avail_shadow;   /* our avail idx */
static uint16_t kicked_at;      /* avail idx at the last notification decision */
static uint64_t notifications;
static int event_idx;

static uint64_t rng_state;
static uint32_t blocks;         /* blocks in use (disk capacity, at most BLOCKS_MAX) */
static uint32_t write_percent;
static uint64_t salt;
static uint64_t write_sequence;
static uint64_t reads_checked, reads_of_written, zero_blocks;
static uint32_t failure;
static const char *failure_text;

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void full_barrier(void)
{
    __asm__ volatile("lock; addl $0, (%%rsp)" : : : "memory", "cc");
}

static inline void compiler_barrier(void)
{
    __asm__ volatile("" : : : "memory");
}

static void fail(uint32_t code, const char *why)
{
    if (failure == 0) {
        failure = code;
        failure_text = why;
    }
}

/* --- output -------------------------------------------------------------- */

static void put_padded(uint64_t value, int width)
{
    char digits[24];
    for (int i = width - 1; i >= 0; i--) {
        digits[i] = (char)('0' + value % 10);
        value /= 10;
    }
    for (int i = 0; i < width; i++)
        serial_putc(digits[i]);
}

static void put_hex64(uint64_t value)
{
    serial_puts("0x");
    serial_put_hex32((uint32_t)(value >> 32));
    serial_put_hex32((uint32_t)value);
}

/* --- the data pattern ------------------------------------------------------ */

static inline uint64_t pattern_base(uint32_t block, uint64_t generation)
{
    return generation * 0x9E3779B97F4A7C15ull ^ ((uint64_t)block << 24) ^ 0x5bd1e995ull;
}

static void fill_block(uint64_t *w, uint32_t block, uint64_t generation)
{
    uint64_t base = pattern_base(block, generation);
    w[0] = block;
    w[1] = generation;
    for (uint32_t i = 2; i < WORDS; i++)
        w[i] = base ^ ((uint64_t)i * 0xff51afd7ed558ccdull);
}

/* 1 if `w` is a valid block `block`: zeroes (only if this run did not write it)
 * or the pattern of some generation (exactly `expected` if nonzero). */
static int check_block(const uint64_t *w, uint32_t block, uint64_t expected)
{
    if (w[0] == 0 && w[1] == 0) {
        if (expected != 0)
            return 0;
        for (uint32_t i = 2; i < WORDS; i++)
            if (w[i] != 0)
                return 0;
        zero_blocks++;
        return 1;
    }
    uint64_t generation = w[1];
    if (w[0] != block || generation == 0)
        return 0;
    if (expected != 0 && generation != expected)
        return 0;
    uint64_t base = pattern_base(block, generation);
    for (uint32_t i = 2; i < WORDS; i++)
        if (w[i] != (base ^ ((uint64_t)i * 0xff51afd7ed558ccdull)))
            return 0;
    return 1;
}

static inline uint64_t next_random(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* --- requests --------------------------------------------------------------- */

/* Fills slot s with a request for `block` and puts it in the avail ring (not yet
 * published: see publish()). */
static void prepare(uint32_t s, uint32_t block, int write)
{
    uint64_t generation = 0;
    in_flight[block] = 1;
    header[s].type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
    header[s].reserved = 0;
    header[s].sector = (uint64_t)block * SECTORS_PER_BLOCK;
    status[s] = 0xff;
    if (write) {
        generation = salt + ++write_sequence;
        fill_block(data[s], block, generation);
        ring.desc[3 * s + 1].flags = VIRTQ_DESC_F_NEXT;
    } else {
        /* Poison the first and last word of every sector. */
        for (uint32_t i = 0; i < WORDS; i += 64) {
            data[s][i] = POISON;
            data[s][i + 63] = POISON;
        }
        ring.desc[3 * s + 1].flags = VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE;
    }
    slot_state[s].block = block;
    slot_state[s].write = (uint32_t)write;
    slot_state[s].generation = write ? generation : written[block];
    ring.avail_ring[avail_shadow % queue_size] = (uint16_t)(DESC_PER_REQUEST * s);
    avail_shadow++;
}

/* A random block not in flight, and whether to write it. */
static void prepare_random(uint32_t s)
{
    uint32_t block;
    do
        block = (uint32_t)(next_random() % blocks);
    while (in_flight[block]);
    int write = (uint32_t)(next_random() % 100) < write_percent;
    prepare(s, block, write);
}

/* Publishes the avail entries added since the last call and notifies the device
 * if it asked for it. */
static void publish(void)
{
    compiler_barrier();
    *(volatile uint16_t *)&ring.avail_idx = avail_shadow;
    full_barrier();
    uint16_t new = avail_shadow, old = kicked_at;
    kicked_at = new;
    int notify;
    if (event_idx) {
        uint16_t event = *(volatile uint16_t *)&ring.avail_event;
        notify = (uint16_t)(new - event - 1) < (uint16_t)(new - old);
    } else {
        notify = (*(volatile uint16_t *)&ring.used_flags & VIRTQ_USED_F_NO_NOTIFY) == 0;
    }
    if (notify && new != old) {
        virtio_write(&dev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        notifications++;
    }
}

/* Takes one used entry; checks it and the data; returns the slot. */
static uint32_t complete(void)
{
    uint32_t entry = last_used % queue_size;
    uint32_t id = *(volatile uint32_t *)&ring.used_ring[entry].id;
    uint32_t len = *(volatile uint32_t *)&ring.used_ring[entry].len;
    last_used++;
    uint32_t s = id / DESC_PER_REQUEST;
    if (id % DESC_PER_REQUEST != 0 || s >= DEPTH_MAX) {
        fail(EXIT_PROTOCOL, "used ring returned a descriptor that is no request head");
        return DEPTH_MAX;
    }
    uint32_t block = slot_state[s].block;
    in_flight[block] = 0;
    if (status[s] != 0) {
        fail(EXIT_PROTOCOL, "request status not OK");
        return s;
    }
    if (slot_state[s].write) {
        if (len != 1 && len != 0)
            fail(EXIT_PROTOCOL, "write: unexpected used length");
        written[block] = slot_state[s].generation;
        recent[recent_next] = block;
        recent_next = (recent_next + 1) % READBACK_MAX;
        if (recent_count < READBACK_MAX)
            recent_count++;
    } else {
        if (len != BLOCK + 1)
            fail(EXIT_PROTOCOL, "read: used length is not 4097");
        reads_checked++;
        if (slot_state[s].generation != 0)
            reads_of_written++;
        if (!check_block(data[s], block, slot_state[s].generation))
            fail(EXIT_DATA, "read returned data that is not what the block holds");
    }
    return s;
}

/* Keeps `depth` requests in flight until `total` have completed. `readback`:
 * read the blocks of recent[] instead of random ones. Returns 0 or a failure. */
static int run_requests(uint32_t depth, uint64_t total, int readback)
{
    uint64_t submitted = 0, completed = 0;
    uint32_t free_slots[DEPTH_MAX];
    uint32_t free_count = 0;
    for (uint32_t s = 0; s < depth; s++)
        free_slots[free_count++] = s;

    uint64_t last_progress = rdtsc();
    unsigned spins = 0;
    while (completed < total) {
        /* Refill every free slot, then publish once. */
        while (free_count > 0 && submitted < total) {
            uint32_t s = free_slots[--free_count];
            if (readback)
                prepare(s, recent[submitted], 0);
            else
                prepare_random(s);
            submitted++;
        }
        if (avail_shadow != kicked_at)
            publish();
        /* Wait for at least one completion. */
        while (*(volatile uint16_t *)&ring.used_idx == last_used) {
            if ((++spins & 1023) == 0 && rdtsc() - last_progress > WAIT_TICKS) {
                fail(EXIT_TIMEOUT, "requests not completed (timeout)");
                return EXIT_TIMEOUT;
            }
        }
        compiler_barrier();
        uint16_t used = *(volatile uint16_t *)&ring.used_idx;
        compiler_barrier();
        while (last_used != used) {
            uint32_t s = complete();
            if (s >= DEPTH_MAX)
                return EXIT_PROTOCOL;
            free_slots[free_count++] = s;
            completed++;
        }
        /* Keep used-buffer notifications off: used_event half the index space ahead. */
        *(volatile uint16_t *)&ring.used_event = (uint16_t)(last_used + 0x8000);
        last_progress = rdtsc();
    }
    return failure;
}

/* --- set-up ------------------------------------------------------------------- */

static int find_device(const char *cmdline, int *from_cmdline)
{
    /* virtio_mmio.device=<size>@<base>:<irq> tokens, as virtio.elf reads them. */
    const char *p = cmdline;
    while (p && *p) {
        while (*p == ' ')
            p++;
        const char *key = "virtio_mmio.device=";
        const char *t = p;
        while (*key && *t == *key) {
            t++;
            key++;
        }
        if (*key == '\0') {
            uint64_t size, base, irq;
            if (virtio_parse_device(t, &size, &base, &irq) != 0)
                return -1;
            if (virtio_probe(&dev, (uint32_t)base, (uint32_t)irq) && dev.device_id == VIRTIO_ID_BLOCK) {
                *from_cmdline = 1;
                return 1;
            }
        }
        while (*p && *p != ' ')
            p++;
    }
    for (uint32_t n = 0; n < MICROVM_VIRTIO_SLOTS; n++) {
        uint32_t base = MICROVM_VIRTIO_BASE + n * MICROVM_VIRTIO_STRIDE;
        if (virtio_probe(&dev, base, 0xffffffffu) && dev.device_id == VIRTIO_ID_BLOCK) {
            *from_cmdline = 0;
            return 1;
        }
    }
    return 0;
}

static int option(const char *cmdline, const char *key, unsigned long max, unsigned long fallback,
                  unsigned long *out)
{
    const char *value = cmdline_value(cmdline, key);
    if (!value) {
        *out = fallback;
        return 0;
    }
    return parse_decimal(value, max, out);
}

static void words_clear(void *p, uint64_t bytes)
{
    uint64_t *w = p;
    for (uint64_t i = 0; i < bytes / 8; i++)
        w[i] = 0;
}

static uint32_t setup_queue(uint32_t depth)
{
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_SEL, 0);
    if (virtio_read(&dev, VIRTIO_MMIO_QUEUE_READY) != 0)
        return 0;
    uint32_t max = virtio_read(&dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
    uint32_t size = QUEUE_MAX;
    while (size > max)
        size >>= 1;
    if (size < DESC_PER_REQUEST * depth)
        return 0;
    words_clear(&ring, sizeof(ring));
    queue_size = (uint16_t)size;
    /* Fixed chains: header (readable), data, status (writable). */
    for (uint32_t s = 0; s < depth; s++) {
        uint16_t head = (uint16_t)(DESC_PER_REQUEST * s);
        virtq_desc_set(&ring.desc[head], &header[s], sizeof(header[s]), VIRTQ_DESC_F_NEXT, (uint16_t)(head + 1));
        virtq_desc_set(&ring.desc[head + 1], data[s], BLOCK, VIRTQ_DESC_F_NEXT, (uint16_t)(head + 2));
        virtq_desc_set(&ring.desc[head + 2], (const void *)&status[s], 1, VIRTQ_DESC_F_WRITE, 0);
    }
    ring.avail_flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    ring.used_event = 0x8000;
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_NUM, size);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(uintptr_t)ring.desc);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(uintptr_t)&ring.avail_flags);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(uintptr_t)&ring.used_flags);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
    virtio_write(&dev, VIRTIO_MMIO_QUEUE_READY, 1);
    return size;
}

static uint32_t bench(void)
{
    const char *cmdline = multiboot_cmdline(boot_magic, boot_info);
    unsigned long requests, depth, writes, seed, hold;
    if (option(cmdline, "requests", 0xffffffffffffull, DEFAULT_REQUESTS, &requests) != 0
        || option(cmdline, "depth", DEPTH_MAX, DEFAULT_DEPTH, &depth) != 0 || depth == 0
        || option(cmdline, "writes", 100, DEFAULT_WRITES, &writes) != 0
        || option(cmdline, "seed", ~0ul, DEFAULT_SEED, &seed) != 0
        || option(cmdline, "hold", 1, 0, &hold) != 0) {
        serial_puts("bench: FAIL: bad command line (requests=N depth=1..85 writes=0..100 seed=N hold=0|1)\n");
        return EXIT_CMDLINE;
    }
    write_percent = (uint32_t)writes;
    rng_state = seed ? seed : DEFAULT_SEED;

    int from_cmdline = 0;
    int found = find_device(cmdline, &from_cmdline);
    if (found <= 0) {
        serial_puts(found < 0 ? "bench: FAIL: bad virtio_mmio.device= entry\n" : "bench: FAIL: no virtio-blk\n");
        return found < 0 ? EXIT_CMDLINE : EXIT_ABSENT;
    }
    serial_puts("bench: virtio-blk at 0x");
    serial_put_hex32(dev.base);
    serial_puts(from_cmdline ? " (cmdline)\n" : " (scan)\n");
    if (dev.version != 2) {
        serial_puts("bench: FAIL: legacy virtio-mmio\n");
        return EXIT_TRANSPORT;
    }
    if (virtio_negotiate(&dev, (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_EVENT_IDX)) != VIRTIO_OK) {
        serial_puts("bench: FAIL: features not accepted\n");
        return EXIT_TRANSPORT;
    }
    event_idx = virtio_has(&dev, VIRTIO_F_EVENT_IDX);
    uint32_t size = setup_queue((uint32_t)depth);
    if (size == 0) {
        serial_puts("bench: FAIL: queue unavailable or too small for depth\n");
        virtio_fail(&dev);
        return EXIT_TRANSPORT;
    }
    uint64_t capacity = virtio_config(&dev, 0, 8);
    uint64_t disk_blocks = capacity / SECTORS_PER_BLOCK;
    blocks = disk_blocks > BLOCKS_MAX ? BLOCKS_MAX : (uint32_t)disk_blocks;
    if (blocks < 2 * depth) {
        serial_puts("bench: FAIL: disk too small (needs 2 x depth blocks of 4 KiB)\n");
        return EXIT_TRANSPORT;
    }
    virtio_driver_ok(&dev);

    serial_puts("bench: features ");
    put_hex64(dev.features);
    serial_puts(" queue ");
    put_padded(size, 3);
    serial_puts(" depth ");
    put_padded(depth, 3);
    serial_puts(" writes ");
    put_padded(writes, 3);
    serial_puts("%\nbench: disk ");
    put_padded(disk_blocks, 12);
    serial_puts(" blocks of 4 KiB, using ");
    put_padded(blocks, 12);
    serial_putc('\n');

    words_clear(written, sizeof(written));
    words_clear(in_flight, sizeof(in_flight));
    salt = (rdtsc() & 0x7fffffffull) << 32;

    uint64_t start = rdtsc();
    run_requests((uint32_t)depth, requests, 0);
    uint64_t cycles = rdtsc() - start;
    uint64_t main_notifications = notifications;
    uint64_t reads = reads_checked, writes_done = write_sequence;

    /* Read back the last blocks written: they must hold exactly what was written. */
    uint64_t before = reads_of_written;
    uint32_t readback = 0;
    if (failure == 0 && recent_count > 0) {
        uint32_t count = recent_count;
        /* recent[] is a ring: reorder oldest first is not needed, any order reads. */
        run_requests(count < depth ? count : (uint32_t)depth, count, 1);
        readback = (uint32_t)(reads_of_written - before);
        if (failure == 0 && readback != count)
            fail(EXIT_DATA, "read-back of written blocks incomplete");
    }

    serial_puts("bench: requests ");
    put_padded(reads + writes_done, 12);
    serial_puts(" reads ");
    put_padded(reads, 12);
    serial_puts(" writes ");
    put_padded(writes_done, 12);
    serial_puts("\nbench: cycles ");
    put_padded(cycles, 20);
    serial_puts(" notifications ");
    put_padded(main_notifications, 12);
    serial_puts("\nbench: checked ");
    put_padded(reads, 12);
    serial_puts(" reads (");
    put_padded(before, 12);
    serial_puts(" of blocks written in this run), readback ");
    put_padded(readback, 3);
    serial_putc('\n');
    if (failure) {
        serial_puts("bench: FAIL: ");
        serial_puts(failure_text);
        serial_putc('\n');
    } else {
        serial_puts("bench: PASS\n");
    }
    if (hold)
        for (;;)
            compiler_barrier();
    return failure;
}

__attribute__((noreturn, used)) static void user_main(void)
{
    debug_exit(bench());
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    boot_magic = magic;
    boot_info = info;
    /* iretq to CPL 3 at once (see user.c): SS, RSP, RFLAGS (IOPL 3), CS, RIP. */
    __asm__ volatile("pushq %0\n\t"
                     "pushq %1\n\t"
                     "pushq %2\n\t"
                     "pushq %3\n\t"
                     "pushq %4\n\t"
                     "iretq"
                     :
                     : "i"(USER_DS | 3), "r"(user_stack + sizeof(user_stack) - 8),
                       "i"(RFLAGS_RESERVED | RFLAGS_IOPL3), "i"(USER_CS | 3), "r"(user_main)
                     : "memory");
    __builtin_unreachable();
}
