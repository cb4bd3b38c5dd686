/* virtio-mmio transport and split virtqueues for the test guests (see virtio.h). */
#include "virtio.h"

#define RESET_POLLS 1000
/* Waits are measured with the TSC: 2^34 ticks is about 4-8 s at 2-4 GHz. */
#define WAIT_TICKS (1ull << 34)
/* Reads of InterruptStatus after the used ring advanced, waiting for the
 * notification that must follow (a device may update the ring a moment before
 * it raises the interrupt). */
#define ISR_POLLS 100000

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* A full barrier: the store of avail->idx must be visible before we read
 * avail_event / used->flags (x86 may reorder a later load before a store). */
static inline void full_barrier(void)
{
#ifdef __x86_64__
    __asm__ volatile("lock; addl $0, (%%rsp)" : : : "memory", "cc");
#else
    __asm__ volatile("lock; addl $0, (%%esp)" : : : "memory", "cc");
#endif
}

static inline void compiler_barrier(void)
{
    __asm__ volatile("" : : : "memory");
}

int virtio_probe(struct virtio_dev *dev, uint32_t base, uint32_t irq)
{
    if (mmio_read32(base + VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
        return 0;
    dev->base = base;
    dev->irq = irq;
    dev->version = mmio_read32(base + VIRTIO_MMIO_VERSION);
    dev->device_id = mmio_read32(base + VIRTIO_MMIO_DEVICE_ID);
    dev->offered = 0;
    dev->features = 0;
    return dev->device_id != 0;
}

int virtio_negotiate(struct virtio_dev *dev, uint64_t wanted)
{
    virtio_write(dev, VIRTIO_MMIO_STATUS, 0);
    int polls = RESET_POLLS;
    while (virtio_read(dev, VIRTIO_MMIO_STATUS) != 0)
        if (--polls == 0)
            return VIRTIO_ERR_RESET;

    uint32_t status = VIRTIO_STATUS_ACKNOWLEDGE;
    virtio_write(dev, VIRTIO_MMIO_STATUS, status);
    status |= VIRTIO_STATUS_DRIVER;
    virtio_write(dev, VIRTIO_MMIO_STATUS, status);

    virtio_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint32_t low = virtio_read(dev, VIRTIO_MMIO_DEVICE_FEATURES);
    virtio_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    uint32_t high = virtio_read(dev, VIRTIO_MMIO_DEVICE_FEATURES);
    dev->offered = ((uint64_t)high << 32) | low;
    if (((dev->offered >> VIRTIO_F_VERSION_1) & 1) == 0) {
        virtio_fail(dev);
        return VIRTIO_ERR_FEATURES;
    }

    dev->features = (wanted & dev->offered) | (1ull << VIRTIO_F_VERSION_1);
    virtio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    virtio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)dev->features);
    virtio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    virtio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(dev->features >> 32));

    status |= VIRTIO_STATUS_FEATURES_OK;
    virtio_write(dev, VIRTIO_MMIO_STATUS, status);
    if ((virtio_read(dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) == 0) {
        virtio_fail(dev);
        return VIRTIO_ERR_FEATURES;
    }
    return VIRTIO_OK;
}

int virtq_setup(struct virtio_dev *dev, struct virtq *vq, uint16_t index,
                struct vq_page *page, uint16_t want)
{
    virtio_write(dev, VIRTIO_MMIO_QUEUE_SEL, index);
    if (virtio_read(dev, VIRTIO_MMIO_QUEUE_READY) != 0)
        return VIRTIO_ERR_QUEUE;
    uint32_t max = virtio_read(dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max == 0)
        return VIRTIO_ERR_QUEUE;
    uint32_t size = want;
    if (size > VQ_MAX_SIZE)
        size = VQ_MAX_SIZE;
    while (size > max)
        size >>= 1;
    if (size == 0)
        return VIRTIO_ERR_QUEUE;

    /* The descriptor table, the available ring and the used ring up to and
     * including avail_event (our .bss is not zeroed by the loader). */
    words_zero(page, 512 + 4 + 8 * VQ_MAX_SIZE + 4);

    vq->dev = dev;
    vq->page = page;
    vq->index = index;
    vq->size = (uint16_t)size;
    vq->last_used = 0;
    vq->notifications = 0;
    vq->kicks_skipped = 0;

    uint32_t desc = (uint32_t)(uintptr_t)page->desc;
    uint32_t driver = (uint32_t)(uintptr_t)&page->avail_flags;
    uint32_t device = (uint32_t)(uintptr_t)&page->used_flags;
    virtio_write(dev, VIRTIO_MMIO_QUEUE_NUM, size);
    virtio_write(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
    virtio_write(dev, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    virtio_write(dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, driver);
    virtio_write(dev, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
    virtio_write(dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, device);
    virtio_write(dev, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
    virtio_write(dev, VIRTIO_MMIO_QUEUE_READY, 1);
    if (virtio_read(dev, VIRTIO_MMIO_QUEUE_READY) != 1)
        return VIRTIO_ERR_QUEUE;
    return VIRTIO_OK;
}

void virtio_driver_ok(struct virtio_dev *dev)
{
    uint32_t status = virtio_read(dev, VIRTIO_MMIO_STATUS);
    virtio_write(dev, VIRTIO_MMIO_STATUS, status | VIRTIO_STATUS_DRIVER_OK);
}

void virtio_fail(struct virtio_dev *dev)
{
    uint32_t status = virtio_read(dev, VIRTIO_MMIO_STATUS);
    virtio_write(dev, VIRTIO_MMIO_STATUS, status | VIRTIO_STATUS_FAILED);
}

uint64_t virtio_config(struct virtio_dev *dev, uint32_t offset, unsigned size)
{
    uint32_t address = dev->base + VIRTIO_MMIO_CONFIG + offset;
    for (;;) {
        uint32_t generation = virtio_read(dev, VIRTIO_MMIO_CONFIG_GENERATION);
        uint64_t value;
        switch (size) {
        case 1:
            value = mmio_read8(address);
            break;
        case 2:
            value = mmio_read16(address);
            break;
        case 4:
            value = mmio_read32(address);
            break;
        default:
            value = mmio_read32(address);
            value |= (uint64_t)mmio_read32(address + 4) << 32;
            break;
        }
        if (virtio_read(dev, VIRTIO_MMIO_CONFIG_GENERATION) == generation)
            return value;
    }
}

int virtq_submit(struct virtq *vq, uint16_t head, int interrupt,
                 uint32_t *len, int *unsuppressed)
{
    struct vq_page *page = vq->page;
    struct virtio_dev *dev = vq->dev;
    int event_idx = virtio_has(dev, VIRTIO_F_EVENT_IDX);
    uint16_t old = page->avail_idx;
    uint16_t new = (uint16_t)(old + 1);

    page->avail_ring[old % vq->size] = head;
    if (event_idx) {
        /* Notify when the used index moves past used_event: asking for the
         * entry this request will take, or for the one before it (already
         * passed: no notification). */
        *virtq_used_event(vq) = interrupt ? vq->last_used : (uint16_t)(vq->last_used - 1);
        page->avail_flags = 0;
    } else {
        page->avail_flags = interrupt ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
    }
    compiler_barrier();
    *(volatile uint16_t *)&page->avail_idx = new;
    full_barrier();

    int notify;
    if (event_idx) {
        uint16_t event = *virtq_avail_event(vq);
        notify = (uint16_t)(new - event - 1) < (uint16_t)(new - old);
    } else {
        notify = (*(volatile uint16_t *)&page->used_flags & VIRTQ_USED_F_NO_NOTIFY) == 0;
    }
    if (notify) {
        virtio_write(dev, VIRTIO_MMIO_QUEUE_NOTIFY, vq->index);
        vq->notifications++;
    } else {
        vq->kicks_skipped++;
    }

    uint64_t start = rdtsc();
    unsigned spins = 0;
    while (*(volatile uint16_t *)&page->used_idx == vq->last_used) {
        if ((++spins & 255) == 0 && rdtsc() - start > WAIT_TICKS)
            return VIRTIO_ERR_TIMEOUT;
    }
    compiler_barrier();
    uint32_t slot = vq->last_used % vq->size;
    uint32_t id = *(volatile uint32_t *)&page->used_ring[slot].id;
    *len = *(volatile uint32_t *)&page->used_ring[slot].len;
    vq->last_used++;
    if (id != head)
        return VIRTIO_ERR_USED;

    uint32_t isr = virtio_read(dev, VIRTIO_MMIO_INTERRUPT_STATUS);
    if (interrupt) {
        int polls = ISR_POLLS;
        while ((isr & VIRTIO_MMIO_INT_VRING) == 0 && --polls > 0)
            isr = virtio_read(dev, VIRTIO_MMIO_INTERRUPT_STATUS);
        if (isr)
            virtio_write(dev, VIRTIO_MMIO_INTERRUPT_ACK, isr);
        if ((isr & VIRTIO_MMIO_INT_VRING) == 0)
            return VIRTIO_ERR_NOTIFY;
    } else {
        if (unsuppressed)
            *unsuppressed = (isr & VIRTIO_MMIO_INT_VRING) != 0;
        if (isr)
            virtio_write(dev, VIRTIO_MMIO_INTERRUPT_ACK, isr);
    }
    return VIRTIO_OK;
}

void words_zero(void *p, uint32_t n)
{
    uint32_t *w = p;
    for (uint32_t i = 0; i < n / 4; i++)
        w[i] = 0;
}

void words_copy(void *dst, const void *src, uint32_t n)
{
    uint32_t *d = dst;
    const uint32_t *s = src;
    for (uint32_t i = 0; i < n / 4; i++)
        d[i] = s[i];
}

int words_equal(const void *a, const void *b, uint32_t n)
{
    const uint32_t *x = a, *y = b;
    for (uint32_t i = 0; i < n / 4; i++)
        if (x[i] != y[i])
            return 0;
    return 1;
}

/* --- virtio_mmio.device= entries ---------------------------------------- */

/* A number as Linux's memparse()/simple_strtoul(…, 0) read it: 0x… hex, else
 * decimal (a leading 0 is decimal here: no octal). */
static const char *parse_number(const char *s, uint64_t *out)
{
    uint64_t value = 0;
    int digits = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        for (;; s++, digits++) {
            char c = *s;
            uint32_t d;
            if (c >= '0' && c <= '9')
                d = (uint32_t)(c - '0');
            else if (c >= 'a' && c <= 'f')
                d = (uint32_t)(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                d = (uint32_t)(c - 'A' + 10);
            else
                break;
            if (value >> 60)
                return 0;
            value = (value << 4) | d;
        }
    } else {
        for (; *s >= '0' && *s <= '9'; s++, digits++) {
            if (value > 0xffffffffffffull)
                return 0;
            value = value * 10 + (uint64_t)(*s - '0');
        }
    }
    if (digits == 0)
        return 0;
    *out = value;
    return s;
}

int virtio_parse_device(const char *s, uint64_t *size, uint64_t *base, uint64_t *irq)
{
    s = parse_number(s, size);
    if (!s)
        return -1;
    if (*s == 'K' || *s == 'k') {
        *size <<= 10;
        s++;
    } else if (*s == 'M' || *s == 'm') {
        *size <<= 20;
        s++;
    } else if (*s == 'G' || *s == 'g') {
        *size <<= 30;
        s++;
    }
    if (*s++ != '@')
        return -1;
    s = parse_number(s, base);
    if (!s || *s++ != ':')
        return -1;
    s = parse_number(s, irq);
    if (!s)
        return -1;
    if (*s == ':') {            /* optional platform device id */
        uint64_t id;
        s = parse_number(s + 1, &id);
        if (!s)
            return -1;
    }
    if (*s != '\0' && *s != ' ')
        return -1;
    if (*size < 0x100 || *base > 0xffffffffull - 0xfff || *irq > 0xffffffffull)
        return -1;
    return 0;
}
