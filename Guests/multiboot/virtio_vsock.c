/*
 * virtio-vsock test for virtio.elf (virtio 1.2 section 5.10): a polled driver
 * for one stream connection at a time.
 *
 *   vsock=P          connect to the host (CID 2) port P, send a 28-byte message,
 *                    expect it echoed back, shut down, expect the host's RST;
 *   vsock-listen=L   wait for a host REQUEST to port L, accept it, echo every
 *                    byte the host sends until it shuts down or resets.
 *
 * Queues: 0 receive (RX_BUFFERS buffers kept posted), 1 transmit (one packet at
 * a time through virtq_submit), 2 event (one buffer, never used by a device
 * without transport resets). Only VIRTIO_F_VERSION_1 is negotiated.
 */
#include "runtime.h"
#include "virtio.h"
#include "virtio_guest.h"

#define VSOCK_RXQ 0
#define VSOCK_TXQ 1
#define VSOCK_EVQ 2

#define HOST_CID 2
#define TYPE_STREAM 1
#define OP_REQUEST        1
#define OP_RESPONSE       2
#define OP_RST            3
#define OP_SHUTDOWN       4
#define OP_RW             5
#define OP_CREDIT_UPDATE  6
#define OP_CREDIT_REQUEST 7
#define SHUTDOWN_BOTH     3

#define GUEST_PORT  49152u       /* our port for the connection we open */
#define BUF_ALLOC   4096u        /* we consume every byte at once */
#define RX_BUFFERS  8
#define RX_BUFFER   256u
#define HEADER      44u
#define WAIT_TICKS  (1ull << 34) /* about 4-8 s at 2-4 GHz */
#define LISTEN_TICKS (1ull << 35)

struct vsock_hdr {
    uint64_t src_cid;
    uint64_t dst_cid;
    uint32_t src_port;
    uint32_t dst_port;
    uint32_t len;
    uint16_t type;
    uint16_t op;
    uint32_t flags;
    uint32_t buf_alloc;
    uint32_t fwd_cnt;
} __attribute__((packed));

_Static_assert(sizeof(struct vsock_hdr) == HEADER, "virtio-vsock header is 44 bytes");

struct rx_buffer {
    struct vsock_hdr hdr;
    uint8_t data[RX_BUFFER - HEADER];
} __attribute__((aligned(4)));

/* One connection: ports, and credit both ways. */
struct conn {
    uint32_t port;           /* ours */
    uint32_t peer_port;
    uint32_t tx_cnt;         /* payload bytes sent */
    uint32_t fwd_cnt;        /* payload bytes received and consumed */
    uint32_t peer_buf_alloc;
    uint32_t peer_fwd_cnt;
};

static struct vq_page vsock_pages[3];
static struct virtq rxq, txq, evq;
static struct rx_buffer rx_buffers[RX_BUFFERS];
static struct vsock_hdr tx_hdr;
static uint8_t event_buffer[8] __attribute__((aligned(8)));
static uint8_t echo[RX_BUFFER] __attribute__((aligned(4)));
static uint64_t guest_cid;

/* Exactly 28 bytes. */
static const char message[] = "ping from the virtio-vsock!\n";

static const char *P = "virtio-vsock: ";

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void full_barrier(void)
{
    __asm__ volatile("lock; addl $0, (%%esp)" : : : "memory", "cc");
}

static void vsock_fail(const char *what)
{
    serial_puts(P);
    serial_puts("FAIL: ");
    serial_puts(what);
    serial_putc('\n');
    fail(EXIT_VSOCK);
}

/* --- receive queue ----------------------------------------------------- */

/* Makes receive buffer `i` available again (descriptor i) and notifies. */
static void rx_post(uint16_t i)
{
    struct vq_page *page = rxq.page;
    virtq_desc_set(&page->desc[i], &rx_buffers[i], RX_BUFFER, VIRTQ_DESC_F_WRITE, 0);
    page->avail_ring[page->avail_idx % rxq.size] = i;
    __asm__ volatile("" : : : "memory");
    *(volatile uint16_t *)&page->avail_idx = (uint16_t)(page->avail_idx + 1);
    full_barrier();
    if ((*(volatile uint16_t *)&page->used_flags & VIRTQ_USED_F_NO_NOTIFY) == 0)
        virtio_write(rxq.dev, VIRTIO_MMIO_QUEUE_NOTIFY, VSOCK_RXQ);
}

/* The next used receive buffer (its index in *id), or 0 when there is none. */
static struct rx_buffer *rx_next(uint16_t *id, uint32_t *len)
{
    struct vq_page *page = rxq.page;
    if (*(volatile uint16_t *)&page->used_idx == rxq.last_used)
        return 0;
    __asm__ volatile("" : : : "memory");
    uint32_t slot = rxq.last_used % rxq.size;
    uint32_t used_id = *(volatile uint32_t *)&page->used_ring[slot].id;
    *len = *(volatile uint32_t *)&page->used_ring[slot].len;
    rxq.last_used++;
    if (used_id >= RX_BUFFERS)
        return 0;
    *id = (uint16_t)used_id;
    return &rx_buffers[used_id];
}

/* --- transmit queue ------------------------------------------------------ */

static int send_packet(const struct conn *c, uint16_t op, uint32_t flags, const void *data, uint32_t len)
{
    tx_hdr.src_cid = guest_cid;
    tx_hdr.dst_cid = HOST_CID;
    tx_hdr.src_port = c->port;
    tx_hdr.dst_port = c->peer_port;
    tx_hdr.len = len;
    tx_hdr.type = TYPE_STREAM;
    tx_hdr.op = op;
    tx_hdr.flags = flags;
    tx_hdr.buf_alloc = BUF_ALLOC;
    tx_hdr.fwd_cnt = c->fwd_cnt;
    struct virtq_desc *d = txq.page->desc;
    virtq_desc_set(&d[0], &tx_hdr, HEADER, len ? VIRTQ_DESC_F_NEXT : 0, 1);
    if (len)
        virtq_desc_set(&d[1], data, len, 0, 0);
    uint32_t used = 0;
    int error = virtq_submit(&txq, 0, 1, &used, 0);
    if (error != VIRTIO_OK) {
        report_transport(P, error);
        return -1;
    }
    return 0;
}

/* --- packets for a connection --------------------------------------------- */

#define GOT_NONE    0
#define GOT_PACKET  1
#define GOT_TIMEOUT 2
#define GOT_ERROR   3

/* Waits up to `ticks` for a packet for connection `c` (ports matching; with
 * c->peer_port 0 any host port) and copies its header to *out and its payload
 * to `echo`. Credit fields are taken from every packet; CREDIT_REQUEST is
 * answered and CREDIT_UPDATE absorbed here. Packets for other ports get RST. */
static int wait_packet(struct conn *c, struct vsock_hdr *out, uint64_t ticks)
{
    uint64_t start = rdtsc();
    unsigned spins = 0;
    for (;;) {
        uint16_t id;
        uint32_t len;
        struct rx_buffer *b = rx_next(&id, &len);
        if (!b) {
            if ((++spins & 255) == 0 && rdtsc() - start > ticks)
                return GOT_TIMEOUT;
            continue;
        }
        struct vsock_hdr h = b->hdr;
        int usable = len >= HEADER && h.len <= len - HEADER && h.len <= sizeof(echo);
        if (usable)
            words_copy(echo, b->data, (h.len + 3) & ~3u);
        rx_post(id);
        if (!usable || h.src_cid != HOST_CID || h.dst_cid != guest_cid || h.type != TYPE_STREAM) {
            vsock_fail("malformed packet from the device");
            return GOT_ERROR;
        }
        int ours = h.dst_port == c->port && (c->peer_port == 0 || h.src_port == c->peer_port);
        if (!ours) {
            if (h.op != OP_RST) {
                struct conn other = { h.dst_port, h.src_port, 0, 0, 0, 0 };
                if (send_packet(&other, OP_RST, 0, 0, 0) != 0)
                    return GOT_ERROR;
            }
            continue;
        }
        c->peer_buf_alloc = h.buf_alloc;
        c->peer_fwd_cnt = h.fwd_cnt;
        if (h.op == OP_CREDIT_REQUEST) {
            if (send_packet(c, OP_CREDIT_UPDATE, 0, 0, 0) != 0)
                return GOT_ERROR;
            continue;
        }
        if (h.op == OP_CREDIT_UPDATE)
            continue;
        *out = h;
        return GOT_PACKET;
    }
}

/* Sends `len` bytes as RW once the host's credit allows it. */
static int send_data(struct conn *c, const void *data, uint32_t len)
{
    for (;;) {
        uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;
        uint32_t credit = in_flight <= c->peer_buf_alloc ? c->peer_buf_alloc - in_flight : 0;
        if (credit >= len)
            break;
        struct vsock_hdr h;
        if (send_packet(c, OP_CREDIT_REQUEST, 0, 0, 0) != 0)
            return -1;
        int got = wait_packet(c, &h, WAIT_TICKS);
        if (got == GOT_TIMEOUT)
            vsock_fail("no credit from the host");
        else if (got == GOT_PACKET)
            vsock_fail("unexpected packet while waiting for credit");
        if (got != GOT_PACKET || c->peer_buf_alloc == 0)
            return -1;
    }
    if (send_packet(c, OP_RW, 0, data, len) != 0)
        return -1;
    c->tx_cnt += len;
    return 0;
}

static void print_port_line(const char *text, uint32_t port)
{
    serial_puts(P);
    serial_puts(text);
    serial_put_dec(port);
    serial_putc('\n');
}

/* --- vsock=P: connect, echo, shut down -------------------------------------- */

static void connect_test(uint32_t port)
{
    struct conn c = { GUEST_PORT, port, 0, 0, 0, 0 };
    struct vsock_hdr h;
    if (send_packet(&c, OP_REQUEST, 0, 0, 0) != 0)
        return;
    int got = wait_packet(&c, &h, WAIT_TICKS);
    if (got == GOT_TIMEOUT) {
        print_port_line("FAIL: no answer to the connection request to 2:", port);
        fail(EXIT_VSOCK);
        return;
    }
    if (got != GOT_PACKET)
        return;
    if (h.op == OP_RST) {
        serial_puts(P);
        serial_puts("FAIL: connection to 2:");
        serial_put_dec(port);
        serial_puts(" refused (RST)\n");
        fail(EXIT_VSOCK);
        return;
    }
    if (h.op != OP_RESPONSE) {
        vsock_fail("connection request not answered with RESPONSE");
        return;
    }
    print_port_line("connected to 2:", port);

    if (send_data(&c, message, sizeof(message) - 1) != 0)
        return;
    uint8_t back[sizeof(message) - 1];
    uint32_t have = 0;
    while (have < sizeof(back)) {
        got = wait_packet(&c, &h, WAIT_TICKS);
        if (got == GOT_TIMEOUT) {
            vsock_fail("the echo did not come back");
            return;
        }
        if (got != GOT_PACKET)
            return;
        if (h.op != OP_RW || h.len == 0 || h.len > sizeof(back) - have) {
            vsock_fail(h.op == OP_RW ? "more bytes came back than were sent"
                                     : "connection closed before the echo came back");
            return;
        }
        for (uint32_t i = 0; i < h.len; i++)
            back[have + i] = echo[i];
        have += h.len;
        c.fwd_cnt += h.len;
    }
    for (uint32_t i = 0; i < sizeof(back); i++) {
        if (back[i] != (uint8_t)message[i]) {
            vsock_fail("the echo differs from the message");
            return;
        }
    }
    serial_puts(P);
    serial_puts("echo of ");
    serial_put_dec(sizeof(back));
    serial_puts(" bytes matched\n");

    /* Shut down both directions; the host answers with RST. */
    if (send_packet(&c, OP_SHUTDOWN, SHUTDOWN_BOTH, 0, 0) != 0)
        return;
    got = wait_packet(&c, &h, WAIT_TICKS);
    if (got == GOT_TIMEOUT || (got == GOT_PACKET && h.op != OP_RST)) {
        vsock_fail("no RST after SHUTDOWN");
        return;
    }
    if (got == GOT_PACKET)
        print_port_line("closed the connection to 2:", port);
}

/* --- vsock-listen=L: accept, echo until the host closes ---------------------- */

static void listen_test(uint32_t port)
{
    struct conn c = { port, 0, 0, 0, 0, 0 };
    struct vsock_hdr h;
    print_port_line("listening on port ", port);
    int got = wait_packet(&c, &h, LISTEN_TICKS);
    if (got == GOT_TIMEOUT) {
        print_port_line("FAIL: no host connection to port ", port);
        fail(EXIT_VSOCK);
        return;
    }
    if (got != GOT_PACKET)
        return;
    if (h.op != OP_REQUEST) {
        vsock_fail("the host's first packet is not a REQUEST");
        return;
    }
    c.peer_port = h.src_port;
    if (send_packet(&c, OP_RESPONSE, 0, 0, 0) != 0)
        return;
    print_port_line("accepted host connection on port ", port);

    uint32_t echoed = 0;
    for (;;) {
        got = wait_packet(&c, &h, WAIT_TICKS);
        if (got == GOT_TIMEOUT) {
            vsock_fail("the host neither sent data nor closed");
            return;
        }
        if (got != GOT_PACKET)
            return;
        if (h.op == OP_RW) {
            c.fwd_cnt += h.len;
            if (h.len && send_data(&c, echo, h.len) != 0)
                return;
            echoed += h.len;
            continue;
        }
        if (h.op == OP_SHUTDOWN || h.op == OP_RST)
            break;
        vsock_fail("unexpected packet on the accepted connection");
        return;
    }
    serial_puts(P);
    serial_puts("echoed ");
    serial_put_dec(echoed);
    serial_puts(" bytes back\n");
    if (h.op == OP_SHUTDOWN) {
        /* The host will send no more: close our side too. */
        if (send_packet(&c, OP_RST, 0, 0, 0) != 0)
            return;
        serial_puts("virtio-vsock: host shut the connection down\n");
    } else {
        serial_puts("virtio-vsock: host reset the connection\n");
    }
}

/* --- bring-up --------------------------------------------------------------- */

static int parse_port(const char *cmdline, const char *key, uint32_t *port)
{
    const char *v = cmdline_value(cmdline, key);
    if (!v)
        return 0;
    unsigned long n;
    if (parse_decimal(v, 0xffffffffUL, &n) != 0) {
        serial_puts(P);
        serial_puts("FAIL: invalid ");
        serial_puts(key);
        serial_puts("= value\n");
        fail(EXIT_CMDLINE);
        return -1;
    }
    *port = (uint32_t)n;
    return 1;
}

void vsock_test(struct virtio_dev *dev, const char *cmdline)
{
    uint32_t failure_before = failures();
    uint32_t connect_port = 0, listen_port = 0;
    int connect = parse_port(cmdline, "vsock", &connect_port);
    int listen = parse_port(cmdline, "vsock-listen", &listen_port);
    if (connect < 0 || listen < 0)
        return;
    if (dev->version != 2) {
        vsock_fail("legacy virtio-mmio is not supported");
        return;
    }
    int error = virtio_negotiate(dev, 0);
    serial_puts("virtio-mmio: vsock features offered ");
    put_hex64(dev->offered);
    serial_puts(" accepted ");
    put_hex64(dev->features);
    serial_putc('\n');
    if (error == VIRTIO_OK)
        error = virtq_setup(dev, &rxq, VSOCK_RXQ, &vsock_pages[0], VQ_MAX_SIZE);
    if (error == VIRTIO_OK)
        error = virtq_setup(dev, &txq, VSOCK_TXQ, &vsock_pages[1], VQ_MAX_SIZE);
    if (error == VIRTIO_OK)
        error = virtq_setup(dev, &evq, VSOCK_EVQ, &vsock_pages[2], VQ_MAX_SIZE);
    if (error != VIRTIO_OK) {
        report_transport(P, error);
        virtio_fail(dev);
        return;
    }
    if (rxq.size < RX_BUFFERS) {
        vsock_fail("receive queue smaller than 8 entries");
        virtio_fail(dev);
        return;
    }
    /* The event queue gets one buffer; the receive queue all of ours. */
    virtq_desc_set(&evq.page->desc[0], event_buffer, sizeof(event_buffer), VIRTQ_DESC_F_WRITE, 0);
    evq.page->avail_ring[0] = 0;
    evq.page->avail_idx = 1;
    virtio_driver_ok(dev);
    for (uint16_t i = 0; i < RX_BUFFERS; i++)
        rx_post(i);

    guest_cid = virtio_config(dev, 0, 8);
    serial_puts(P);
    serial_puts("guest cid ");
    serial_put_dec((unsigned long)guest_cid);
    serial_putc('\n');
    if (guest_cid < 3 || guest_cid >= 0xffffffffull) {
        vsock_fail("guest cid out of range");
        return;
    }

    if (connect)
        connect_test(connect_port);
    if (listen)
        listen_test(listen_port);
    if (failures() == failure_before)
        serial_puts("virtio-vsock: ok\n");
}
