// CHost: host (non-KVM) calls Swift cannot make directly, for the VMM target.
//
// ioctl is variadic, so Swift cannot call it; the TAP set-up needs TUNSETIFF
// with a struct ifreq. Nothing here knows about KVM (CKVM is for the KVM target
// only).
#ifndef CHOST_H
#define CHOST_H

#include <stddef.h>
#include <linux/filter.h>

// Longest interface name, without the terminating NUL (IFNAMSIZ - 1).
static const size_t CHOST_INTERFACE_NAME_MAX = 15;

// Attaches `fd`, an open /dev/net/tun, to the TAP interface `name` with
// IFF_TAP | IFF_NO_PI: frames are whole Ethernet frames, no packet-information
// prefix and no virtio-net header. The kernel creates the interface if it does
// not exist and the caller may (CAP_NET_ADMIN). Returns 0, or -1 with errno set
// (EINVAL also for a name of more than CHOST_INTERFACE_NAME_MAX bytes).
int chost_tap_attach(int fd, const char *name);

// Installs a seccomp filter on the calling thread (and the threads it creates
// later): prctl(PR_SET_NO_NEW_PRIVS, 1), then seccomp(SECCOMP_SET_MODE_FILTER, 0)
// with `count` instructions. Returns 0; or -1 with errno set and *failed_step 1 when prctl
// failed, 2 when seccomp failed.
int chost_seccomp_install(const struct sock_filter *instructions, unsigned short count, int *failed_step);

#endif
