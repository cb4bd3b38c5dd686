/*
 * A minimal virtio-mmio (version 2, "modern") transport and split-virtqueue
 * driver for the 32-bit test guests. Written from the virtio 1.2 specification
 * (section 4.2 "Virtio Over MMIO", section 2.7 "Split Virtqueues").
 *
 * Built for i386 (virtio.elf, virtio_hostile.elf) and x86-64 (virtio_bench.elf);
 * every address is below 4 GiB.
 *
 * Everything is synchronous and polled: the caller writes a descriptor chain,
 * vq_submit() makes it available, notifies the device (respecting
 * VIRTIO_F_EVENT_IDX or VIRTQ_USED_F_NO_NOTIFY) and spins on the used ring.
 * Interrupts are never enabled in the CPU; the InterruptStatus register is read
 * and acknowledged instead, which also checks the device's notification logic.
 */
#ifndef GUESTS_VIRTIO_H
#define GUESTS_VIRTIO_H

#include <stdint.h>

/* --- virtio-mmio registers (offsets from the window base) --- */
#define VIRTIO_MMIO_MAGIC_VALUE        0x000  /* 0x74726976, "virt" */
#define VIRTIO_MMIO_VERSION            0x004  /* 2: modern, 1: legacy */
#define VIRTIO_MMIO_DEVICE_ID          0x008  /* 0: no device behind the window */
#define VIRTIO_MMIO_VENDOR_ID          0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES    0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES    0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL          0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX      0x034
#define VIRTIO_MMIO_QUEUE_NUM          0x038
#define VIRTIO_MMIO_QUEUE_READY        0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY       0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS   0x060
#define VIRTIO_MMIO_INTERRUPT_ACK      0x064
#define VIRTIO_MMIO_STATUS             0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW     0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH    0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW   0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH  0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW   0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH  0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION  0x0fc
#define VIRTIO_MMIO_CONFIG             0x100

#define VIRTIO_MMIO_MAGIC 0x74726976u

/* InterruptStatus bits */
#define VIRTIO_MMIO_INT_VRING  1u   /* used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG 2u   /* configuration change */

/* Device status bits */
#define VIRTIO_STATUS_ACKNOWLEDGE        1u
#define VIRTIO_STATUS_DRIVER             2u
#define VIRTIO_STATUS_DRIVER_OK          4u
#define VIRTIO_STATUS_FEATURES_OK        8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED             128u

/* Device-independent feature bits */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32

/* Device IDs */
#define VIRTIO_ID_NET     1
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG     4
#define VIRTIO_ID_VSOCK   19

/* --- split virtqueue layout --- */
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* The largest queue this driver uses; the rings of one queue fit in 1 KiB. */
#define VQ_MAX_SIZE 16

/* One 4 KiB page per queue: descriptor table at 0, driver (available) ring at
 * 256, device (used) ring at 512. The caller provides the page. With a queue
 * size N below VQ_MAX_SIZE the rings are shorter: used_event is then
 * avail_ring[N] and avail_event the 16-bit word just past used_ring[N - 1]
 * (see virtq_used_event() and virtq_avail_event()). */
struct vq_page {
    struct virtq_desc desc[VQ_MAX_SIZE];                 /* 256 bytes, 16-aligned */
    uint16_t avail_flags, avail_idx, avail_ring[VQ_MAX_SIZE + 1];
    uint8_t pad0[256 - 2 * (3 + VQ_MAX_SIZE)];
    uint16_t used_flags, used_idx;                       /* 4-aligned */
    struct { uint32_t id, len; } used_ring[VQ_MAX_SIZE];
    uint16_t used_tail;                                  /* avail_event when N = VQ_MAX_SIZE */
    uint8_t pad1[4096 - 512 - 4 - 8 * VQ_MAX_SIZE - 2];
} __attribute__((aligned(4096)));

struct virtio_dev {
    uint32_t base;          /* physical address of the window */
    uint32_t irq;           /* from the command line; 0xffffffff when unknown */
    uint32_t device_id;
    uint32_t version;
    uint64_t offered;       /* device features */
    uint64_t features;      /* negotiated */
};

struct virtq {
    struct virtio_dev *dev;
    struct vq_page *page;
    uint16_t index;         /* queue number */
    uint16_t size;          /* QueueNum */
    uint16_t last_used;     /* next used-ring entry we expect */
    uint16_t notifications; /* QueueNotify writes made */
    uint16_t kicks_skipped; /* submissions the device asked not to be notified of */
};

/* Results of the transport functions. */
#define VIRTIO_OK           0
#define VIRTIO_ERR_FEATURES 1   /* FEATURES_OK not kept, or VERSION_1 not offered */
#define VIRTIO_ERR_QUEUE    2   /* queue missing, too small or already live */
#define VIRTIO_ERR_TIMEOUT  3   /* the used ring did not advance */
#define VIRTIO_ERR_RESET    4   /* status did not read back 0 after the reset */
#define VIRTIO_ERR_NOTIFY   5   /* a used buffer notification that MUST happen did not */
#define VIRTIO_ERR_USED     6   /* the used ring returned an unexpected id */

static inline uint32_t mmio_read32(uint32_t address)
{
    uint32_t value;
    __asm__ volatile("movl (%1), %0" : "=r"(value) : "r"((uintptr_t)address) : "memory");
    return value;
}

static inline void mmio_write32(uint32_t address, uint32_t value)
{
    __asm__ volatile("movl %0, (%1)" : : "r"(value), "r"((uintptr_t)address) : "memory");
}

static inline uint16_t mmio_read16(uint32_t address)
{
    uint16_t value;
    __asm__ volatile("movw (%1), %0" : "=r"(value) : "r"((uintptr_t)address) : "memory");
    return value;
}

static inline uint8_t mmio_read8(uint32_t address)
{
    uint8_t value;
    __asm__ volatile("movb (%1), %0" : "=q"(value) : "r"((uintptr_t)address) : "memory");
    return value;
}

static inline uint32_t virtio_read(const struct virtio_dev *dev, uint32_t reg)
{
    return mmio_read32(dev->base + reg);
}

static inline void virtio_write(const struct virtio_dev *dev, uint32_t reg, uint32_t value)
{
    mmio_write32(dev->base + reg, value);
}

static inline int virtio_has(const struct virtio_dev *dev, unsigned bit)
{
    return (int)((dev->features >> bit) & 1);
}

/* Reads the magic, version and device ID at `base`. Returns 1 when a virtio-mmio
 * window with a device (ID != 0) is there, filling dev; 0 otherwise. */
/* Parses the value of a `virtio_mmio.device=` entry, Linux's
 * "<size>[KMG]@<base>:<irq>[:<id>]" (numbers 0x-hex or decimal), up to a space or
 * the end. Returns 0 when well formed and the window fits below 4 GiB. */
int virtio_parse_device(const char *s, uint64_t *size, uint64_t *base, uint64_t *irq);

int virtio_probe(struct virtio_dev *dev, uint32_t base, uint32_t irq);

/* Reset, ACKNOWLEDGE, DRIVER, read the 64 offered feature bits, accept
 * `wanted & offered` (VERSION_1 is required), FEATURES_OK and read it back.
 * The device is left before DRIVER_OK: set up queues, then virtio_driver_ok(). */
int virtio_negotiate(struct virtio_dev *dev, uint64_t wanted);

/* Sets up queue `index` (QueueSel, QueueNumMax, QueueNum = min(max, want),
 * the three addresses, QueueReady) on `page`, which is zeroed first. */
int virtq_setup(struct virtio_dev *dev, struct virtq *vq, uint16_t index,
                struct vq_page *page, uint16_t want);

void virtio_driver_ok(struct virtio_dev *dev);

/* Sets FAILED in the status register (after a transport error). */
void virtio_fail(struct virtio_dev *dev);

/* Reads a configuration-space field of 1, 2, 4 or 8 bytes at `offset` (naturally
 * aligned) with accesses of the field's width (two 32-bit reads for 8 bytes),
 * repeated until ConfigGeneration is the same before and after. */
uint64_t virtio_config(struct virtio_dev *dev, uint32_t offset, unsigned size);

/* Makes the chain starting at descriptor `head` available and waits for the
 * device to use it. `interrupt`: 1 to request a used buffer notification (with
 * EVENT_IDX: used_event = this entry; without: avail flags 0) and require the
 * InterruptStatus bit to appear, 0 to ask for none (EVENT_IDX: used_event one
 * behind; without: VIRTQ_AVAIL_F_NO_INTERRUPT) and only record in
 * *unsuppressed whether it appeared anyway. *len gets the used length. */
int virtq_submit(struct virtq *vq, uint16_t head, int interrupt,
                 uint32_t *len, int *unsuppressed);

/* used_event (written by the driver) and avail_event (written by the device)
 * of a queue of vq->size entries. */
static inline volatile uint16_t *virtq_used_event(const struct virtq *vq)
{
    return &vq->page->avail_ring[vq->size];
}

static inline volatile uint16_t *virtq_avail_event(const struct virtq *vq)
{
    return (volatile uint16_t *)&vq->page->used_ring[vq->size];
}

/* Fills descriptor `i` of vq: buffer, length, flags; `next` is used only with
 * VIRTQ_DESC_F_NEXT. */
static inline void virtq_desc_set(struct virtq_desc *d, const void *buffer, uint32_t len,
                                  uint16_t flags, uint16_t next)
{
    d->addr = (uint32_t)(uintptr_t)buffer;
    d->len = len;
    d->flags = flags;
    d->next = next;
}

/* Word-wise memory helpers (the guests have no libc). n is in bytes and a
 * multiple of 4; pointers are 4-aligned. */
void words_zero(void *p, uint32_t n);
void words_copy(void *dst, const void *src, uint32_t n);
int words_equal(const void *a, const void *b, uint32_t n);

#endif
