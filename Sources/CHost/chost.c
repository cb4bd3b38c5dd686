#include "chost.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int chost_tap_attach(int fd, const char *name)
{
    size_t length = strlen(name);
    if (length == 0 || length > CHOST_INTERFACE_NAME_MAX) {
        errno = EINVAL;
        return -1;
    }
    struct ifreq request;
    memset(&request, 0, sizeof(request));
    memcpy(request.ifr_name, name, length);
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    return ioctl(fd, TUNSETIFF, &request) == 0 ? 0 : -1;
}

int chost_seccomp_install(const struct sock_filter *instructions, unsigned short count, int *failed_step)
{
    struct sock_fprog program = {
        .len = count,
        .filter = (struct sock_filter *)instructions,
    };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        *failed_step = 1;
        return -1;
    }
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) {
        *failed_step = 2;
        return -1;
    }
    return 0;
}
