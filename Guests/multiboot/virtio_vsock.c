/* virtio-vsock test for virtio.elf (placeholder until the driver is written). */
#include "runtime.h"
#include "virtio_guest.h"

void vsock_test(struct virtio_dev *dev, const char *cmdline)
{
    (void)dev;
    (void)cmdline;
    serial_puts("virtio-vsock: FAIL: no driver yet\n");
    fail(EXIT_VSOCK);
}
