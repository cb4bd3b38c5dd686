#include "chost.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>

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
