/*
 * virtio-net test for virtio.elf: negotiates VERSION_1, MAC and STATUS (no
 * offloads, no MRG_RXBUF, no control queue), sets up receiveq 0 and transmitq 1,
 * reads the MAC and the link status. With `net=GUEST_IP,HOST_IP` it then talks to
 * the host over the TAP device: an ARP request for HOST_IP, the ARP reply, an ICMP
 * echo request with a known 56-byte payload and the echo reply, whose payload must
 * match. Frames it does not expect (IPv6 router solicitations, ...) are ignored;
 * ARP requests for GUEST_IP are answered. Everything is polled and bounded.
 */
#include "runtime.h"
#include "virtio.h"
#include "virtio_guest.h"

#define VIRTIO_NET_F_MAC     5
#define VIRTIO_NET_F_STATUS  16
#define VIRTIO_NET_S_LINK_UP 1
#define NET_RECEIVEQ  0
#define NET_TRANSMITQ 1
#define NET_HDR 12              /* struct virtio_net_hdr, VERSION_1 layout */

#define RX_BUFFERS 8
#define RX_BUFFER_SIZE 1536     /* header + a 1514-byte frame, rounded up */
/* Waits for a reply are measured with the TSC: 2^33 ticks is about 2-4 s. */
#define REPLY_TICKS (1ull << 33)

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806
#define ARP_LEN 28
#define ARP_REQUEST 1
#define ARP_REPLY   2
#define IP_HLEN 20
#define IP_PROTO_ICMP 1
#define ICMP_ECHO_REPLY   0
#define ICMP_ECHO_REQUEST 8
#define ICMP_HLEN 8
#define PING_PAYLOAD 56
#define PING_ID  0x7376         /* "sv" */
#define PING_SEQ 1

static struct vq_page net_rx_page, net_tx_page;
static struct virtq net_rx, net_tx;
static uint8_t rx_buffers[RX_BUFFERS][RX_BUFFER_SIZE] __attribute__((aligned(16)));
static uint8_t tx_buffer[NET_HDR + ETH_HLEN + IP_HLEN + ICMP_HLEN + PING_PAYLOAD] __attribute__((aligned(4)));

static uint8_t guest_mac[6], host_mac[6];
static uint8_t guest_ip[4], host_ip[4];

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

static inline void compiler_barrier(void)
{
    __asm__ volatile("" : : : "memory");
}

/* --- printing and parsing -------------------------------------------------- */

static void put_hex_byte(uint8_t b)
{
    serial_putc("0123456789abcdef"[b >> 4]);
    serial_putc("0123456789abcdef"[b & 15]);
}

static void put_mac(const uint8_t *m)
{
    for (int i = 0; i < 6; i++) {
        if (i)
            serial_putc(':');
        put_hex_byte(m[i]);
    }
}

static void put_ip(const uint8_t *ip)
{
    for (int i = 0; i < 4; i++) {
        if (i)
            serial_putc('.');
        serial_put_dec(ip[i]);
    }
}

/* A dotted quad; returns the character after it, or 0 when malformed. */
static const char *parse_ip(const char *s, uint8_t *ip)
{
    for (int i = 0; i < 4; i++) {
        unsigned value = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            value = value * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (digits == 0 || digits > 3 || value > 255)
            return 0;
        ip[i] = (uint8_t)value;
        if (i < 3 && *s++ != '.')
            return 0;
    }
    return s;
}

static int bytes_equal(const uint8_t *a, const uint8_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static void bytes_copy(uint8_t *dst, const uint8_t *src, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        dst[i] = src[i];
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The Internet checksum (RFC 1071) of n bytes. */
static uint16_t checksum(const uint8_t *p, unsigned n)
{
    uint32_t sum = 0;
    for (unsigned i = 0; i + 1 < n; i += 2)
        sum += get16(p + i);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint8_t ping_byte(unsigned i)
{
    return (uint8_t)(0x20 + i * 3);
}

/* --- queues ------------------------------------------------------------------ */

/* Gives receive buffer `id` (descriptor `id`) to the device; the driver notifies
 * after a batch (rx_kick). */
static void rx_post(uint16_t id)
{
    struct vq_page *page = net_rx.page;
    virtq_desc_set(&page->desc[id], rx_buffers[id], RX_BUFFER_SIZE, VIRTQ_DESC_F_WRITE, 0);
    page->avail_ring[page->avail_idx % net_rx.size] = id;
    compiler_barrier();
    *(volatile uint16_t *)&page->avail_idx = (uint16_t)(page->avail_idx + 1);
}

static void rx_kick(void)
{
    full_barrier();
    if ((*(volatile uint16_t *)&net_rx.page->used_flags & VIRTQ_USED_F_NO_NOTIFY) == 0)
        virtio_write(net_rx.dev, VIRTIO_MMIO_QUEUE_NOTIFY, NET_RECEIVEQ);
}

/* The next used receive buffer: its id, or -1 if none; *len = the used length. */
static int rx_next(uint32_t *len)
{
    struct vq_page *page = net_rx.page;
    if (*(volatile uint16_t *)&page->used_idx == net_rx.last_used)
        return -1;
    compiler_barrier();
    uint32_t slot = net_rx.last_used % net_rx.size;
    uint32_t id = *(volatile uint32_t *)&page->used_ring[slot].id;
    *len = *(volatile uint32_t *)&page->used_ring[slot].len;
    net_rx.last_used++;
    return id < RX_BUFFERS ? (int)id : -2;
}

/* Sends the frame of `len` bytes at tx_buffer + NET_HDR (header zeroed here). */
static int tx_send(unsigned len)
{
    words_zero(tx_buffer, NET_HDR);
    uint32_t used = 0;
    virtq_desc_set(&net_tx.page->desc[0], tx_buffer, NET_HDR + len, 0, 0);
    int error = virtq_submit(&net_tx, 0, 1, &used, 0);
    if (error != VIRTIO_OK)
        report_transport("virtio-net: transmit ", error);
    return error;
}

/* --- frames ------------------------------------------------------------------ */

static void ethernet_header(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    bytes_copy(f, dst, 6);
    bytes_copy(f + 6, guest_mac, 6);
    put16(f + 12, type);
}

/* An ARP packet from us: `op`, to target (tha, tpa). */
static int send_arp(uint16_t op, const uint8_t *eth_dst, const uint8_t *tha, const uint8_t *tpa)
{
    uint8_t *f = tx_buffer + NET_HDR;
    ethernet_header(f, eth_dst, ETHERTYPE_ARP);
    uint8_t *a = f + ETH_HLEN;
    put16(a, 1);                /* Ethernet */
    put16(a + 2, ETHERTYPE_IPV4);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    bytes_copy(a + 8, guest_mac, 6);
    bytes_copy(a + 14, guest_ip, 4);
    bytes_copy(a + 18, tha, 6);
    bytes_copy(a + 24, tpa, 4);
    return tx_send(ETH_HLEN + ARP_LEN);
}

static int send_ping(void)
{
    uint8_t *f = tx_buffer + NET_HDR;
    ethernet_header(f, host_mac, ETHERTYPE_IPV4);
    uint8_t *ip = f + ETH_HLEN;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, IP_HLEN + ICMP_HLEN + PING_PAYLOAD);
    put16(ip + 4, 1);           /* identification */
    put16(ip + 6, 0x4000);      /* don't fragment */
    ip[8] = 64;
    ip[9] = IP_PROTO_ICMP;
    put16(ip + 10, 0);
    bytes_copy(ip + 12, guest_ip, 4);
    bytes_copy(ip + 16, host_ip, 4);
    put16(ip + 10, checksum(ip, IP_HLEN));
    uint8_t *icmp = ip + IP_HLEN;
    icmp[0] = ICMP_ECHO_REQUEST;
    icmp[1] = 0;
    put16(icmp + 2, 0);
    put16(icmp + 4, PING_ID);
    put16(icmp + 6, PING_SEQ);
    for (unsigned i = 0; i < PING_PAYLOAD; i++)
        icmp[ICMP_HLEN + i] = ping_byte(i);
    put16(icmp + 2, checksum(icmp, ICMP_HLEN + PING_PAYLOAD));
    return tx_send(ETH_HLEN + IP_HLEN + ICMP_HLEN + PING_PAYLOAD);
}

enum wanted { WANT_ARP_REPLY, WANT_ECHO_REPLY };

/* What one received frame (len bytes, header included) means for `want`:
 * 1 the awaited reply (sent to our MAC), -1 a reply that is wrong or an ARP
 * answer that could not be sent (printed), 0 anything else. An ARP request for
 * our address is answered. */
static int examine(const uint8_t *buffer, uint32_t len, enum wanted want)
{
    if (len < NET_HDR + ETH_HLEN)
        return 0;
    const uint8_t *f = buffer + NET_HDR;
    uint32_t flen = len - NET_HDR;
    uint16_t type = get16(f + 12);
    if (type == ETHERTYPE_ARP && flen >= ETH_HLEN + ARP_LEN) {
        const uint8_t *a = f + ETH_HLEN;
        if (get16(a) != 1 || get16(a + 2) != ETHERTYPE_IPV4 || a[4] != 6 || a[5] != 4)
            return 0;
        uint16_t op = get16(a + 6);
        if (op == ARP_REQUEST && bytes_equal(a + 24, guest_ip, 4)) {
            uint8_t sha[6], spa[4];
            bytes_copy(sha, a + 8, 6);
            bytes_copy(spa, a + 14, 4);
            return send_arp(ARP_REPLY, sha, sha, spa) == VIRTIO_OK ? 0 : -1;
        }
        if (want == WANT_ARP_REPLY && op == ARP_REPLY && bytes_equal(f, guest_mac, 6) &&
            bytes_equal(a + 14, host_ip, 4) && bytes_equal(a + 24, guest_ip, 4)) {
            bytes_copy(host_mac, a + 8, 6);
            return 1;
        }
        return 0;
    }
    if (want != WANT_ECHO_REPLY || type != ETHERTYPE_IPV4 || flen < ETH_HLEN + IP_HLEN ||
        !bytes_equal(f, guest_mac, 6))
        return 0;
    const uint8_t *ip = f + ETH_HLEN;
    unsigned ihl = (unsigned)(ip[0] & 15) * 4;
    if ((ip[0] >> 4) != 4 || ihl < IP_HLEN || ip[9] != IP_PROTO_ICMP ||
        !bytes_equal(ip + 12, host_ip, 4) || !bytes_equal(ip + 16, guest_ip, 4))
        return 0;
    unsigned total = get16(ip + 2);
    if (total > flen - ETH_HLEN || total < ihl + ICMP_HLEN)
        return 0;
    const uint8_t *icmp = ip + ihl;
    unsigned icmp_len = total - ihl;
    if (icmp[0] != ICMP_ECHO_REPLY || get16(icmp + 4) != PING_ID || get16(icmp + 6) != PING_SEQ)
        return 0;
    if (icmp_len != ICMP_HLEN + PING_PAYLOAD) {
        serial_puts("virtio-net: FAIL: echo reply carries ");
        serial_put_dec(icmp_len - ICMP_HLEN);
        serial_puts(" bytes, expected 56\n");
        return -1;
    }
    if (checksum(icmp, icmp_len) != 0) {
        serial_puts("virtio-net: FAIL: echo reply has a bad ICMP checksum\n");
        return -1;
    }
    for (unsigned i = 0; i < PING_PAYLOAD; i++) {
        if (icmp[ICMP_HLEN + i] != ping_byte(i)) {
            serial_puts("virtio-net: FAIL: echo reply payload differs at byte ");
            serial_put_dec(i);
            serial_putc('\n');
            return -1;
        }
    }
    return 1;
}

/* Polls the receive queue until `want` arrives (1), a wrong reply or a device
 * error (-1), or the time is up (0). Every buffer is given back. */
static int await(enum wanted want)
{
    uint64_t start = rdtsc();
    unsigned spins = 0;
    for (;;) {
        uint32_t len = 0;
        int id = rx_next(&len);
        if (id == -1) {
            if ((++spins & 255) == 0 && rdtsc() - start > REPLY_TICKS)
                return 0;
            continue;
        }
        if (id < 0) {
            serial_puts("virtio-net: FAIL: used ring returned a descriptor id that was never posted\n");
            fail(EXIT_PROTOCOL);
            return -1;
        }
        if (len > RX_BUFFER_SIZE) {
            serial_puts("virtio-net: FAIL: used length larger than the receive buffer\n");
            fail(EXIT_PROTOCOL);
            return -1;
        }
        int result = examine(rx_buffers[id], len, want);
        rx_post((uint16_t)id);
        rx_kick();
        if (result != 0)
            return result;
    }
}

/* --- the test ------------------------------------------------------------------ */

static int set_up(struct virtio_dev *dev)
{
    if (dev->version != 2) {
        serial_puts("virtio-net: FAIL: legacy virtio-mmio (version ");
        serial_put_dec(dev->version);
        serial_puts(") is not supported\n");
        fail(EXIT_TRANSPORT);
        return -1;
    }
    int error = virtio_negotiate(dev, (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS));
    serial_puts("virtio-mmio: net features offered ");
    put_hex64(dev->offered);
    serial_puts(" accepted ");
    put_hex64(dev->features);
    serial_putc('\n');
    if (error == VIRTIO_OK)
        error = virtq_setup(dev, &net_rx, NET_RECEIVEQ, &net_rx_page, VQ_MAX_SIZE);
    if (error == VIRTIO_OK)
        error = virtq_setup(dev, &net_tx, NET_TRANSMITQ, &net_tx_page, VQ_MAX_SIZE);
    if (error != VIRTIO_OK) {
        report_transport("virtio-net: ", error);
        virtio_fail(dev);
        return -1;
    }
    /* Receive buffers before DRIVER_OK (allowed), the notification after it. No
     * used buffer notifications for them: the queue is polled. */
    net_rx.page->avail_flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    uint16_t count = net_rx.size < RX_BUFFERS ? net_rx.size : RX_BUFFERS;
    for (uint16_t id = 0; id < count; id++)
        rx_post(id);
    virtio_driver_ok(dev);
    rx_kick();
    return 0;
}

void net_test(struct virtio_dev *dev, const char *cmdline)
{
    uint32_t failure_before = failures();
    const char *token = cmdline_value(cmdline, "net");
    const char *rest = token ? parse_ip(token, guest_ip) : 0;
    if (token && (!rest || *rest != ',' || !(rest = parse_ip(rest + 1, host_ip)) || !is_end(*rest))) {
        serial_puts("virtio-net: FAIL: malformed token net=");
        while (!is_end(*token))
            serial_putc(*token++);
        serial_puts(" (use net=GUEST_IP,HOST_IP)\n");
        fail(EXIT_CMDLINE);
        return;
    }
    if (set_up(dev) != 0)
        return;

    if (virtio_has(dev, VIRTIO_NET_F_MAC)) {
        for (uint32_t i = 0; i < 6; i++)
            guest_mac[i] = (uint8_t)virtio_config(dev, i, 1);
    } else {
        static const uint8_t fallback[6] = {0x02, 0, 0, 0, 0, 1};
        bytes_copy(guest_mac, fallback, 6);
        serial_puts("virtio-net: MAC not offered, using 02:00:00:00:00:01\n");
    }
    serial_puts("virtio-mmio: net mac ");
    put_mac(guest_mac);
    serial_putc('\n');

    int link_up = 1;
    if (virtio_has(dev, VIRTIO_NET_F_STATUS)) {
        link_up = (virtio_config(dev, 6, 2) & VIRTIO_NET_S_LINK_UP) != 0;
        serial_puts(link_up ? "virtio-net: link up\n" : "virtio-net: link down\n");
    } else {
        serial_puts("virtio-net: link status not offered\n");
    }

    if (token) {
        if (!link_up) {
            serial_puts("virtio-net: FAIL: link down, cannot reach ");
            put_ip(host_ip);
            serial_putc('\n');
            fail(EXIT_NET);
            return;
        }
        static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        static const uint8_t unknown[6] = {0, 0, 0, 0, 0, 0};
        if (send_arp(ARP_REQUEST, broadcast, unknown, host_ip) != VIRTIO_OK)
            return;
        int result = await(WANT_ARP_REPLY);
        if (result == 0) {
            serial_puts("virtio-net: FAIL: no ARP reply from ");
            put_ip(host_ip);
            serial_putc('\n');
            fail(EXIT_NET);
        }
        if (result != 1)
            return;
        serial_puts("virtio-net: ARP reply from ");
        put_ip(host_ip);
        serial_putc('\n');
        serial_puts("virtio-mmio: net host mac ");
        put_mac(host_mac);
        serial_putc('\n');

        if (send_ping() != VIRTIO_OK)
            return;
        result = await(WANT_ECHO_REPLY);
        if (result == 0) {
            serial_puts("virtio-net: FAIL: no echo reply from ");
            put_ip(host_ip);
            serial_putc('\n');
        }
        if (result != 1) {
            fail(EXIT_NET);
            return;
        }
        serial_puts("virtio-net: ping ");
        put_ip(host_ip);
        serial_puts(": echo reply, 56 bytes match\n");
    }
    if (failures() == failure_before)
        serial_puts("virtio-net: ok\n");
}
