/*
 * What virtio.c shares with the per-device test files linked into virtio.elf
 * (virtio_net.c, virtio_vsock.c): exit values, failure recording, printing
 * and command-line helpers, and the one-queue bring-up.
 */
#ifndef VIRTIO_GUEST_H
#define VIRTIO_GUEST_H

#include <stdint.h>
#include "virtio.h"

/* Exit values (V), first failure wins. */
#define EXIT_OK        0
#define EXIT_CMDLINE   2  /* malformed command line */
#define EXIT_ABSENT    3  /* a device named by need= is missing */
#define EXIT_TRANSPORT 4  /* legacy device, features refused, queue unusable, reset stuck */
#define EXIT_TIMEOUT   5  /* a request was never used */
#define EXIT_PROTOCOL  6  /* missing notification, wrong used id or length */
#define EXIT_BLK       7  /* virtio-blk status or data wrong */
#define EXIT_RNG       8  /* virtio-rng data wrong */
#define EXIT_CONSOLE   9  /* virtio-console transmit failed */
#define EXIT_NET       10 /* virtio-net frame not sent or reply not received */
#define EXIT_VSOCK     11 /* virtio-vsock connection or echo failed */

/* Records `code` unless an earlier failure was recorded. */
void fail(uint32_t code);
/* The first failure recorded so far (0: none). */
uint32_t failures(void);

void put_hex(uint32_t value);
void put_hex64(uint64_t value);

/* Command-line tokens are space separated. */
int is_end(char c);
/* The text after `key` if `token` starts with it, else 0. */
const char *token_value(const char *token, const char *key);

/* Prints "<prefix>FAIL: ..." for a VIRTIO_ERR_* value and records the failure. */
void report_transport(const char *prefix, int error);

/* Resets `dev`, negotiates `wanted`, sets up queue `index` in `page` and sets
 * DRIVER_OK. Prints "virtio-mmio: <name> features offered ... accepted ...".
 * Returns 0 on success. Devices with several queues negotiate and set up
 * queues themselves (virtio_negotiate, virtq_setup, virtio_driver_ok). */
int bring_up(struct virtio_dev *dev, const char *name, const char *prefix,
             uint64_t wanted, struct virtq *vq, uint16_t index, struct vq_page *page);

/* Per-device tests; each prints "virtio-<dev>: ..." lines and records failures.
 * `cmdline` is the whole command line, for the device's own tokens. */
void net_test(struct virtio_dev *dev, const char *cmdline);
void vsock_test(struct virtio_dev *dev, const char *cmdline);

#endif
