/*
 * virtio.elf: a polled virtio-mmio (version 2) driver test for virtio-blk,
 * virtio-rng and virtio-console. The same binary runs under QEMU microvm and
 * under swift-vmm, so each side of the protocol checks the other. See
 * Guests/README.md ("virtio.elf") for the options, the output and the exit values.
 *
 * Devices come from `virtio_mmio.device=<size>@<base>:<irq>` tokens on the command
 * line (Linux's syntax); without any, the guest scans QEMU microvm's virtio-mmio
 * windows (0xFEB00000 + n * 0x200). Lines starting with "virtio-mmio:" carry what
 * differs between VMMs (addresses, IRQs, feature words); the other lines are the
 * same for any correct device model given the same disk.
 */
#include "runtime.h"
#include "virtio.h"
#include "virtio_guest.h"

/* QEMU microvm places its virtio-mmio transports here (see README). */
#define MICROVM_VIRTIO_BASE   0xFEB00000u
#define MICROVM_VIRTIO_STRIDE 0x200u
#define MICROVM_VIRTIO_SLOTS  24

#define MAX_DEVICES 32
#define IRQ_UNKNOWN 0xffffffffu

/* virtio-blk */
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14
#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK           0
#define VIRTIO_BLK_S_IOERR        1
#define VIRTIO_BLK_S_UNSUPP       2
#define VIRTIO_BLK_ID_BYTES       20
#define SECTOR 512u
#define CHUNK 4096u                 /* bytes per read of the checksum pass */
#define TEST_SECTOR 8u              /* the write test covers sectors 8-15 */
#define TEST_SECTORS (CHUNK / SECTOR)
#define PATTERN_XOR 0x76697274u     /* word at disk byte offset a = a ^ this */
#define FNV_OFFSET 0x811c9dc5u
#define FNV_PRIME  0x01000193u
#define SWAP_POLLS 4000000u        /* InterruptStatus reads (one exit each) before giving up */

/* virtio-console */
#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define CONSOLE_TRANSMITQ 1

enum blk_mode { BLK_READ, BLK_RW, BLK_RO };

#define NEED_BLK     1u
#define NEED_RNG     2u
#define NEED_CONSOLE 4u
#define NEED_NET     8u
#define NEED_VSOCK   16u

static struct virtio_dev devices[MAX_DEVICES];
static unsigned device_count;
static uint32_t failure;

static struct vq_page blk_queue, rng_queue, console_queue;

static struct {
    uint8_t data[CHUNK] __attribute__((aligned(4096)));
    uint8_t saved[CHUNK] __attribute__((aligned(4096)));
    struct virtq_desc indirect[4] __attribute__((aligned(16)));
    struct {
        uint32_t type;
        uint32_t reserved;
        uint64_t sector;
    } header;
    struct {
        uint64_t sector;
        uint32_t num_sectors;
        uint32_t flags;
    } segment;
    uint8_t id[VIRTIO_BLK_ID_BYTES] __attribute__((aligned(4)));
    volatile uint8_t status;
} blk;

static uint8_t rng_buffer[2][64] __attribute__((aligned(64)));
static const char console_line[] = "hello from virtio-console\n";

void fail(uint32_t code)
{
    if (failure == 0)
        failure = code;
}

uint32_t failures(void)
{
    return failure;
}

void put_hex(uint32_t value)
{
    serial_puts("0x");
    serial_put_hex32(value);
}

void put_hex64(uint64_t value)
{
    serial_puts("0x");
    serial_put_hex32((uint32_t)(value >> 32));
    serial_put_hex32((uint32_t)value);
}

static const char *device_name(uint32_t id)
{
    switch (id) {
    case VIRTIO_ID_NET:
        return "net";
    case VIRTIO_ID_BLOCK:
        return "blk";
    case VIRTIO_ID_CONSOLE:
        return "console";
    case VIRTIO_ID_RNG:
        return "rng";
    case VIRTIO_ID_VSOCK:
        return "vsock";
    default:
        return 0;
    }
}

/* --- command line ------------------------------------------------------ */

int is_end(char c)
{
    return c == '\0' || c == ' ';
}

const char *token_value(const char *token, const char *key)
{
    while (*key && *token == *key) {
        token++;
        key++;
    }
    return *key == '\0' ? token : 0;
}

static int parse_need(const char *s, uint32_t *need)
{
    while (!is_end(*s)) {
        const char *rest;
        if ((rest = token_value(s, "blk")) != 0)
            *need |= NEED_BLK;
        else if ((rest = token_value(s, "rng")) != 0)
            *need |= NEED_RNG;
        else if ((rest = token_value(s, "console")) != 0)
            *need |= NEED_CONSOLE;
        else if ((rest = token_value(s, "net")) != 0)
            *need |= NEED_NET;
        else if ((rest = token_value(s, "vsock")) != 0)
            *need |= NEED_VSOCK;
        else
            return -1;
        s = rest;
        if (*s == ',')
            s++;
        else if (!is_end(*s))
            return -1;
    }
    return 0;
}

/* Adds the device at `base` (from the command line or the scan). */
static void add_device(uint32_t base, uint32_t irq, int from_cmdline)
{
    struct virtio_dev probe;
    if (!virtio_probe(&probe, base, irq)) {
        if (from_cmdline) {
            serial_puts("virtio-mmio: no device at ");
            put_hex(base);
            serial_putc('\n');
            fail(EXIT_TRANSPORT);
        }
        return;
    }
    const char *name = device_name(probe.device_id);
    serial_puts("virtio-mmio: ");
    if (name) {
        serial_puts(name);
    } else {
        serial_puts("device ");
        serial_put_dec(probe.device_id);
    }
    serial_puts(" at ");
    put_hex(base);
    if (irq == IRQ_UNKNOWN) {
        serial_puts(" slot ");
        serial_put_dec((base - MICROVM_VIRTIO_BASE) / MICROVM_VIRTIO_STRIDE);
    } else {
        serial_puts(" irq ");
        serial_put_dec(irq);
    }
    serial_puts(" version ");
    serial_put_dec(probe.version);
    serial_puts(" vendor ");
    put_hex(virtio_read(&probe, VIRTIO_MMIO_VENDOR_ID));
    serial_putc('\n');
    if (device_count < MAX_DEVICES)
        devices[device_count++] = probe;
}

static struct virtio_dev *find_device(uint32_t id)
{
    for (unsigned i = 0; i < device_count; i++)
        if (devices[i].device_id == id)
            return &devices[i];
    return 0;
}

/* --- common steps -------------------------------------------------------- */

void report_transport(const char *prefix, int error)
{
    serial_puts(prefix);
    switch (error) {
    case VIRTIO_ERR_FEATURES:
        serial_puts("FAIL: features not accepted (or VERSION_1 not offered)\n");
        fail(EXIT_TRANSPORT);
        break;
    case VIRTIO_ERR_QUEUE:
        serial_puts("FAIL: queue unavailable\n");
        fail(EXIT_TRANSPORT);
        break;
    case VIRTIO_ERR_RESET:
        serial_puts("FAIL: status not 0 after reset\n");
        fail(EXIT_TRANSPORT);
        break;
    case VIRTIO_ERR_TIMEOUT:
        serial_puts("FAIL: request not completed (timeout)\n");
        fail(EXIT_TIMEOUT);
        break;
    case VIRTIO_ERR_NOTIFY:
        serial_puts("FAIL: no used buffer notification in InterruptStatus\n");
        fail(EXIT_PROTOCOL);
        break;
    case VIRTIO_ERR_USED:
        serial_puts("FAIL: used ring returned a wrong descriptor id\n");
        fail(EXIT_PROTOCOL);
        break;
    default:
        serial_puts("FAIL: transport error\n");
        fail(EXIT_TRANSPORT);
        break;
    }
}

/* Resets, negotiates, sets up `queues` (indices in `indices`) and sets DRIVER_OK.
 * Prints the implementation-specific feature line. Returns 0 on success. */
int bring_up(struct virtio_dev *dev, const char *name, const char *prefix,
             uint64_t wanted, struct virtq *vq, uint16_t index, struct vq_page *page)
{
    if (dev->version != 2) {
        serial_puts(prefix);
        serial_puts("FAIL: legacy virtio-mmio (version ");
        serial_put_dec(dev->version);
        serial_puts(") is not supported\n");
        fail(EXIT_TRANSPORT);
        return -1;
    }
    int error = virtio_negotiate(dev, wanted);
    serial_puts("virtio-mmio: ");
    serial_puts(name);
    serial_puts(" features offered ");
    put_hex64(dev->offered);
    serial_puts(" accepted ");
    put_hex64(dev->features);
    serial_putc('\n');
    if (error == VIRTIO_OK)
        error = virtq_setup(dev, vq, index, page, VQ_MAX_SIZE);
    if (error != VIRTIO_OK) {
        report_transport(prefix, error);
        virtio_fail(dev);
        return -1;
    }
    virtio_driver_ok(dev);
    return 0;
}

/* --- virtio-blk ---------------------------------------------------------------- */

static struct virtq blk_vq;

/* One request: header, optional data buffer, status byte. `indirect` puts the
 * three descriptors in an indirect table. Returns VIRTIO_OK with blk.status set
 * (and *used the used length), or a transport error. */
static int blk_request(uint32_t type, uint64_t sector, void *data, uint32_t len,
                       int device_writes, int indirect, uint32_t *used)
{
    blk.header.type = type;
    blk.header.reserved = 0;
    blk.header.sector = sector;
    blk.status = 0xff;

    struct virtq_desc *d = indirect ? blk.indirect : blk_vq.page->desc;
    uint16_t n = 0;
    virtq_desc_set(&d[n], &blk.header, sizeof(blk.header), VIRTQ_DESC_F_NEXT, (uint16_t)(n + 1));
    n++;
    if (len) {
        virtq_desc_set(&d[n], data, len,
                       (uint16_t)(VIRTQ_DESC_F_NEXT | (device_writes ? VIRTQ_DESC_F_WRITE : 0)),
                       (uint16_t)(n + 1));
        n++;
    }
    virtq_desc_set(&d[n], (const void *)&blk.status, 1, VIRTQ_DESC_F_WRITE, 0);
    n++;
    if (indirect)
        virtq_desc_set(&blk_vq.page->desc[0], blk.indirect, (uint32_t)(n * sizeof(struct virtq_desc)),
                       VIRTQ_DESC_F_INDIRECT, 0);
    return virtq_submit(&blk_vq, 0, 1, used, 0);
}

/* A request that must succeed; on failure prints why and returns -1. */
static int blk_expect(const char *what, uint32_t type, uint64_t sector, void *data,
                      uint32_t len, int device_writes, int indirect, uint8_t expected)
{
    uint32_t used = 0;
    int error = blk_request(type, sector, data, len, device_writes, indirect, &used);
    if (error != VIRTIO_OK) {
        serial_puts("virtio-blk: ");
        serial_puts(what);
        serial_putc(' ');
        report_transport("", error);
        return -1;
    }
    if (blk.status != expected) {
        serial_puts("virtio-blk: FAIL: ");
        serial_puts(what);
        serial_puts(" status ");
        serial_put_dec(blk.status);
        serial_puts(", expected ");
        serial_put_dec(expected);
        serial_putc('\n');
        fail(EXIT_BLK);
        return -1;
    }
    /* The used length counts the bytes written to device-writable buffers. */
    if (expected == VIRTIO_BLK_S_OK && type == VIRTIO_BLK_T_IN && used != len + 1) {
        serial_puts("virtio-blk: FAIL: ");
        serial_puts(what);
        serial_puts(" used length ");
        serial_put_dec(used);
        serial_puts(", expected ");
        serial_put_dec(len + 1);
        serial_putc('\n');
        fail(EXIT_PROTOCOL);
        return -1;
    }
    return 0;
}

static void fill_pattern(uint32_t *w, uint32_t byte_offset, uint32_t bytes)
{
    for (uint32_t i = 0; i < bytes / 4; i++)
        w[i] = (byte_offset + 4 * i) ^ PATTERN_XOR;
}

static void fill_words(void *p, uint32_t value, uint32_t bytes)
{
    uint32_t *w = p;
    for (uint32_t i = 0; i < bytes / 4; i++)
        w[i] = value;
}

static int all_zero(const void *p, uint32_t bytes)
{
    const uint32_t *w = p;
    for (uint32_t i = 0; i < bytes / 4; i++)
        if (w[i])
            return 0;
    return 1;
}

/* FNV-1a over 32-bit little-endian words: h = (h ^ word) * 16777619. */
static uint32_t fnv1a_words(uint32_t h, const uint32_t *w, uint32_t words)
{
    uint32_t i = 0;
    for (; i + 8 <= words; i += 8) {
        h = (h ^ w[i]) * FNV_PRIME;
        h = (h ^ w[i + 1]) * FNV_PRIME;
        h = (h ^ w[i + 2]) * FNV_PRIME;
        h = (h ^ w[i + 3]) * FNV_PRIME;
        h = (h ^ w[i + 4]) * FNV_PRIME;
        h = (h ^ w[i + 5]) * FNV_PRIME;
        h = (h ^ w[i + 6]) * FNV_PRIME;
        h = (h ^ w[i + 7]) * FNV_PRIME;
    }
    for (; i < words; i++)
        h = (h ^ w[i]) * FNV_PRIME;
    return h;
}

/* Checksum of the whole disk (or the first sum= sectors), 4 KiB at a time; the
 * first read goes through an indirect table when negotiated. */
static int blk_checksum(uint64_t capacity, uint64_t sum_limit, int indirect)
{
    uint32_t sectors = (uint32_t)(capacity < sum_limit ? capacity : sum_limit);
    uint32_t hash = FNV_OFFSET;
    for (uint32_t s = 0; s < sectors; s += TEST_SECTORS) {
        uint32_t n = sectors - s < TEST_SECTORS ? sectors - s : TEST_SECTORS;
        if (blk_expect("read", VIRTIO_BLK_T_IN, s, blk.data, n * SECTOR, 1, s == 0 && indirect,
                       VIRTIO_BLK_S_OK) != 0)
            return -1;
        hash = fnv1a_words(hash, (const uint32_t *)blk.data, n * SECTOR / 4);
    }
    serial_puts("virtio-blk: checksum ");
    put_hex(hash);
    serial_puts(" over ");
    serial_put_dec(sectors);
    serial_puts(" sectors\n");
    return 0;
}

/* swap: waits (polling InterruptStatus) for a configuration change, as when the
 * host replaced the disk's backing file, then reports ConfigGeneration and the
 * new capacity and checksums the new disk. */
static int blk_wait_for_swap(struct virtio_dev *dev, uint64_t sum_limit, int indirect)
{
    uint32_t before = mmio_read32(dev->base + VIRTIO_MMIO_CONFIG_GENERATION);
    serial_puts("virtio-blk: waiting for a configuration change\n");
    uint32_t polls = 0;
    while (!(mmio_read32(dev->base + VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG)) {
        if (++polls == SWAP_POLLS) {
            serial_puts("virtio-blk: FAIL: no configuration change interrupt\n");
            fail(EXIT_BLK);
            return -1;
        }
    }
    mmio_write32(dev->base + VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
    uint32_t generation = mmio_read32(dev->base + VIRTIO_MMIO_CONFIG_GENERATION);
    uint64_t capacity = virtio_config(dev, 0, 8);
    serial_puts("virtio-blk: configuration changed: generation ");
    serial_put_dec(before);
    serial_puts(" -> ");
    serial_put_dec(generation);
    serial_puts(", capacity ");
    serial_put_dec((unsigned long)capacity);
    serial_puts(" sectors\n");
    if (generation == before) {
        serial_puts("virtio-blk: FAIL: ConfigGeneration did not change\n");
        fail(EXIT_BLK);
        return -1;
    }
    return blk_checksum(capacity, sum_limit, indirect);
}

static void blk_test(struct virtio_dev *dev, enum blk_mode mode, uint64_t sum_limit, int swap)
{
    const char *P = "virtio-blk: ";
    uint64_t wanted = (1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_F_EVENT_IDX) |
                      (1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_FLUSH);
    if (mode == BLK_RW)
        wanted |= (1ull << VIRTIO_BLK_F_DISCARD) | (1ull << VIRTIO_BLK_F_WRITE_ZEROES);
    uint32_t failure_before = failure;
    if (bring_up(dev, "blk", P, wanted, &blk_vq, 0, &blk_queue) != 0)
        return;
    int indirect = virtio_has(dev, VIRTIO_F_INDIRECT_DESC);
    int read_only = virtio_has(dev, VIRTIO_BLK_F_RO);

    uint64_t capacity = virtio_config(dev, 0, 8);
    serial_puts(P);
    serial_puts("capacity ");
    serial_put_dec((unsigned long)capacity);
    serial_puts(" sectors");
    if (read_only)
        serial_puts(", read-only");
    serial_putc('\n');
    if (capacity > 0xffffffffull) {
        serial_puts("virtio-blk: FAIL: capacity beyond 2^32 sectors\n");
        fail(EXIT_BLK);
        return;
    }

    const uint64_t test_offset = (uint64_t)TEST_SECTOR * SECTOR;
    if (mode != BLK_READ && capacity < TEST_SECTOR + TEST_SECTORS) {
        serial_puts("virtio-blk: FAIL: the write test needs at least 16 sectors\n");
        fail(EXIT_BLK);
        return;
    }
    if (mode == BLK_RW) {
        if (read_only) {
            serial_puts("virtio-blk: FAIL: blk=rw but the device is read-only\n");
            fail(EXIT_BLK);
            return;
        }
        if (virtio_has(dev, VIRTIO_BLK_F_WRITE_ZEROES)) {
            blk.segment.sector = TEST_SECTOR;
            blk.segment.num_sectors = TEST_SECTORS;
            blk.segment.flags = 0;
            if (blk_expect("write-zeroes", VIRTIO_BLK_T_WRITE_ZEROES, 0, &blk.segment,
                           sizeof(blk.segment), 0, 0, VIRTIO_BLK_S_OK) != 0)
                return;
            fill_words(blk.data, 0xdeadbeef, CHUNK);
            if (blk_expect("read", VIRTIO_BLK_T_IN, TEST_SECTOR, blk.data, CHUNK, 1, 0,
                           VIRTIO_BLK_S_OK) != 0)
                return;
            if (!all_zero(blk.data, CHUNK)) {
                serial_puts("virtio-blk: FAIL: sectors 8-15 not zero after write-zeroes\n");
                fail(EXIT_BLK);
                return;
            }
            serial_puts("virtio-blk: write-zeroes sectors 8-15 ok\n");
        } else {
            serial_puts("virtio-blk: write-zeroes not offered\n");
        }
        if (virtio_has(dev, VIRTIO_BLK_F_DISCARD)) {
            blk.segment.sector = TEST_SECTOR;
            blk.segment.num_sectors = TEST_SECTORS;
            blk.segment.flags = 0;
            if (blk_expect("discard", VIRTIO_BLK_T_DISCARD, 0, &blk.segment,
                           sizeof(blk.segment), 0, 0, VIRTIO_BLK_S_OK) != 0)
                return;
            serial_puts("virtio-blk: discard sectors 8-15 ok\n");
        } else {
            serial_puts("virtio-blk: discard not offered\n");
        }
        fill_pattern((uint32_t *)blk.saved, (uint32_t)test_offset, CHUNK);
        if (blk_expect("write", VIRTIO_BLK_T_OUT, TEST_SECTOR, blk.saved, CHUNK, 0, 0,
                       VIRTIO_BLK_S_OK) != 0)
            return;
        serial_puts("virtio-blk: wrote sectors 8-15\n");
    } else if (mode == BLK_RO) {
        if (!read_only) {
            serial_puts("virtio-blk: FAIL: blk=ro but the device is not read-only\n");
            fail(EXIT_BLK);
            return;
        }
        if (blk_expect("read", VIRTIO_BLK_T_IN, TEST_SECTOR, blk.saved, CHUNK, 1, 0,
                       VIRTIO_BLK_S_OK) != 0)
            return;
        fill_pattern((uint32_t *)blk.data, (uint32_t)test_offset, CHUNK);
        if (words_equal(blk.data, blk.saved, CHUNK))
            fill_words(blk.data, 0x5a5a5a5a, CHUNK);    /* make the write a change */
        if (blk_expect("write to a read-only disk", VIRTIO_BLK_T_OUT, TEST_SECTOR, blk.data,
                       CHUNK, 0, 0, VIRTIO_BLK_S_IOERR) != 0)
            return;
        serial_puts("virtio-blk: write to a read-only disk failed with IOERR\n");
    }

    if (mode != BLK_READ) {
        /* Read back (through an indirect table when negotiated) and compare. */
        fill_words(blk.data, 0xdeadbeef, CHUNK);
        if (blk_expect("read-back", VIRTIO_BLK_T_IN, TEST_SECTOR, blk.data, CHUNK, 1, indirect,
                       VIRTIO_BLK_S_OK) != 0)
            return;
        if (!words_equal(blk.data, blk.saved, CHUNK)) {
            serial_puts(mode == BLK_RW ? "virtio-blk: FAIL: read-back differs from what was written\n"
                                       : "virtio-blk: FAIL: read-only sectors changed\n");
            fail(EXIT_BLK);
            return;
        }
        serial_puts(mode == BLK_RW ? "virtio-blk: read-back sectors 8-15 ok"
                                   : "virtio-blk: sectors 8-15 unchanged");
        serial_puts(indirect ? " (indirect descriptors)\n" : "\n");
    }

    if (virtio_has(dev, VIRTIO_BLK_F_FLUSH)) {
        if (blk_expect("flush", VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, 0, VIRTIO_BLK_S_OK) != 0)
            return;
        serial_puts("virtio-blk: flush ok\n");
    } else {
        serial_puts("virtio-blk: flush not offered\n");
    }

    uint32_t used = 0;
    words_zero(blk.id, VIRTIO_BLK_ID_BYTES);
    int error = blk_request(VIRTIO_BLK_T_GET_ID, 0, blk.id, VIRTIO_BLK_ID_BYTES, 1, 0, &used);
    if (error != VIRTIO_OK) {
        report_transport("virtio-blk: get-id ", error);
        return;
    }
    if (blk.status == VIRTIO_BLK_S_OK) {
        serial_puts("virtio-blk: id \"");
        for (unsigned i = 0; i < VIRTIO_BLK_ID_BYTES && blk.id[i]; i++) {
            char c = (char)blk.id[i];
            if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') {
                serial_putc(c);
            } else {
                serial_puts("\\x");
                serial_putc("0123456789abcdef"[(uint8_t)c >> 4]);
                serial_putc("0123456789abcdef"[c & 15]);
            }
        }
        serial_puts("\"\n");
    } else if (blk.status == VIRTIO_BLK_S_UNSUPP) {
        serial_puts("virtio-blk: id unsupported\n");
    } else {
        serial_puts("virtio-blk: FAIL: get-id status ");
        serial_put_dec(blk.status);
        serial_putc('\n');
        fail(EXIT_BLK);
        return;
    }

    if (blk_checksum(capacity, sum_limit, indirect) != 0)
        return;
    if (swap && blk_wait_for_swap(dev, sum_limit, indirect) != 0)
        return;

    if (failure == failure_before)
        serial_puts("virtio-blk: ok\n");
}

/* --- virtio-rng ---------------------------------------------------------------- */

static struct virtq rng_vq;

/* Fills `buffer` (64 bytes), possibly over several requests. With `quiet_first`
 * the first request asks for no used buffer notification. (Not the very first
 * request of the queue: QEMU always notifies once after a reset, which the
 * specification allows: "SHOULD NOT".) */
static int rng_fill(uint8_t *buffer, int quiet_first, int *unsuppressed)
{
    uint32_t got = 0;
    for (int requests = 0; got < 64; requests++) {
        if (requests == 64) {
            serial_puts("virtio-rng: FAIL: 64 requests gave fewer than 64 bytes\n");
            fail(EXIT_RNG);
            return -1;
        }
        uint32_t used = 0;
        virtq_desc_set(&rng_vq.page->desc[0], buffer + got, 64 - got, VIRTQ_DESC_F_WRITE, 0);
        int quiet = quiet_first && requests == 0;
        int error = virtq_submit(&rng_vq, 0, !quiet, &used, unsuppressed);
        if (error != VIRTIO_OK) {
            report_transport("virtio-rng: ", error);
            return -1;
        }
        if (used > 64 - got) {
            serial_puts("virtio-rng: FAIL: used length larger than the buffer\n");
            fail(EXIT_PROTOCOL);
            return -1;
        }
        got += used;
    }
    return 0;
}

static void rng_test(struct virtio_dev *dev)
{
    uint32_t failure_before = failure;
    if (bring_up(dev, "rng", "virtio-rng: ", (1ull << VIRTIO_F_EVENT_IDX), &rng_vq, 0,
                 &rng_queue) != 0)
        return;
    int unsuppressed = 0;
    words_zero(rng_buffer, sizeof(rng_buffer));
    if (rng_fill(rng_buffer[0], 0, 0) != 0 || rng_fill(rng_buffer[1], 1, &unsuppressed) != 0)
        return;
    serial_puts("virtio-rng: read 64 bytes twice\n");
    serial_puts("virtio-rng: used buffer notification ");
    serial_puts(unsuppressed ? "not suppressed" : "suppressed");
    serial_puts(virtio_has(dev, VIRTIO_F_EVENT_IDX) ? " (event-idx)\n" : " (no-interrupt flag)\n");
    if (all_zero(rng_buffer[0], 64) || all_zero(rng_buffer[1], 64)) {
        serial_puts("virtio-rng: FAIL: all zero\n");
        fail(EXIT_RNG);
    } else if (words_equal(rng_buffer[0], rng_buffer[1], 64)) {
        serial_puts("virtio-rng: FAIL: both reads gave the same bytes\n");
        fail(EXIT_RNG);
    }
    if (failure == failure_before)
        serial_puts("virtio-rng: ok\n");
}

/* --- virtio-console ------------------------------------------------------------ */

static struct virtq console_vq;

static void console_test(struct virtio_dev *dev)
{
    uint32_t failure_before = failure;
    /* Not VIRTIO_CONSOLE_F_MULTIPORT: port 0 then uses queues 0 (receive) and 1
     * (transmit); only the transmit queue is set up. */
    if (bring_up(dev, "console", "virtio-console: ", (1ull << VIRTIO_F_EVENT_IDX), &console_vq,
                 CONSOLE_TRANSMITQ, &console_queue) != 0)
        return;
    uint32_t used = 0;
    virtq_desc_set(&console_vq.page->desc[0], console_line, sizeof(console_line) - 1, 0, 0);
    int error = virtq_submit(&console_vq, 0, 1, &used, 0);
    if (error != VIRTIO_OK) {
        report_transport("virtio-console: ", error);
        return;
    }
    serial_puts("virtio-console: sent \"hello from virtio-console\"\n");
    if (failure == failure_before)
        serial_puts("virtio-console: ok\n");
}

/* --- main ------------------------------------------------------------------------ */

static const char *result(uint32_t need_bit, uint32_t need, const struct virtio_dev *dev,
                          uint32_t failure_before, uint32_t failure_after)
{
    if (!dev)
        return (need & need_bit) ? "MISSING" : "absent";
    return failure_before == failure_after ? "ok" : "FAILED";
}

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    const char *cmdline = multiboot_cmdline(magic, info);
    uint32_t need = 0;
    enum blk_mode mode = BLK_READ;
    uint64_t sum_limit = 0xffffffffull;
    int from_cmdline = 0;
    int swap = 0;

    failure = 0;
    device_count = 0;

    /* Options; every virtio_mmio.device= token is a device. */
    for (const char *p = cmdline; p && *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *v;
        int bad = 0;
        if ((v = token_value(p, "virtio_mmio.device=")) != 0) {
            uint64_t size, base, irq;
            if (virtio_parse_device(v, &size, &base, &irq) != 0) {
                bad = 1;
            } else {
                from_cmdline = 1;
                add_device((uint32_t)base, (uint32_t)irq, 1);
            }
        } else if ((v = token_value(p, "need=")) != 0) {
            bad = parse_need(v, &need) != 0;
        } else if ((v = token_value(p, "blk=")) != 0) {
            if (token_value(v, "rw") && is_end(v[2]))
                mode = BLK_RW;
            else if (token_value(v, "ro") && is_end(v[2]))
                mode = BLK_RO;
            else if (token_value(v, "read") && is_end(v[4]))
                mode = BLK_READ;
            else
                bad = 1;
        } else if (token_value(p, "swap") && is_end(p[4])) {
            swap = 1;
        } else if ((v = token_value(p, "sum=")) != 0) {
            unsigned long n;
            bad = parse_decimal(v, 0xffffffffUL, &n) != 0;
            if (!bad)
                sum_limit = n;
        }
        if (bad) {
            serial_puts("virtio: invalid command-line token: ");
            while (*p && *p != ' ')
                serial_putc(*p++);
            serial_putc('\n');
            return EXIT_CMDLINE;
        }
        while (*p && *p != ' ')
            p++;
    }
    if (!from_cmdline) {
        serial_puts("virtio-mmio: scanning ");
        put_hex(MICROVM_VIRTIO_BASE);
        serial_puts(" + n * 0x200\n");
        for (uint32_t i = 0; i < MICROVM_VIRTIO_SLOTS; i++)
            add_device(MICROVM_VIRTIO_BASE + i * MICROVM_VIRTIO_STRIDE, IRQ_UNKNOWN, 0);
    }

    struct virtio_dev *blk_dev = find_device(VIRTIO_ID_BLOCK);
    struct virtio_dev *rng_dev = find_device(VIRTIO_ID_RNG);
    struct virtio_dev *console_dev = find_device(VIRTIO_ID_CONSOLE);
    struct virtio_dev *net_dev = find_device(VIRTIO_ID_NET);
    struct virtio_dev *vsock_dev = find_device(VIRTIO_ID_VSOCK);

    uint32_t f0 = failure;
    if (blk_dev)
        blk_test(blk_dev, mode, sum_limit, swap);
    else
        serial_puts("virtio-blk: absent\n");
    uint32_t f1 = failure;
    if (rng_dev)
        rng_test(rng_dev);
    else
        serial_puts("virtio-rng: absent\n");
    uint32_t f2 = failure;
    if (console_dev)
        console_test(console_dev);
    else
        serial_puts("virtio-console: absent\n");
    uint32_t f3 = failure;
    if (net_dev)
        net_test(net_dev, cmdline);
    else
        serial_puts("virtio-net: absent\n");
    uint32_t f4 = failure;
    if (vsock_dev)
        vsock_test(vsock_dev, cmdline);
    else
        serial_puts("virtio-vsock: absent\n");
    uint32_t f5 = failure;

    if (((need & NEED_BLK) && !blk_dev) || ((need & NEED_RNG) && !rng_dev) ||
        ((need & NEED_CONSOLE) && !console_dev) || ((need & NEED_NET) && !net_dev) ||
        ((need & NEED_VSOCK) && !vsock_dev))
        fail(EXIT_ABSENT);

    serial_puts("virtio: blk ");
    serial_puts(result(NEED_BLK, need, blk_dev, f0, f1));
    serial_puts(", rng ");
    serial_puts(result(NEED_RNG, need, rng_dev, f1, f2));
    serial_puts(", console ");
    serial_puts(result(NEED_CONSOLE, need, console_dev, f2, f3));
    serial_puts(", net ");
    serial_puts(result(NEED_NET, need, net_dev, f3, f4));
    serial_puts(", vsock ");
    serial_puts(result(NEED_VSOCK, need, vsock_dev, f4, f5));
    serial_putc('\n');
    if (failure) {
        serial_puts("virtio: FAIL ");
        serial_put_dec(failure);
        serial_putc('\n');
    } else {
        serial_puts("virtio: PASS\n");
    }
    return failure;
}
