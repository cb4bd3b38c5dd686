#include "ckvm.h"

#include <signal.h>
#include <pthread.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void ckvm_kick_handler(int signo) {
    (void)signo;  // Delivery alone interrupts KVM_RUN; nothing to do here.
}

int ckvm_install_kick_handler(int signo) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = ckvm_kick_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: KVM_RUN must return EINTR
    return sigaction(signo, &action, NULL);
}

static int ckvm_change_mask(int how, int signo) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    return pthread_sigmask(how, &set, NULL);
}

int ckvm_block_signal(int signo) { return ckvm_change_mask(SIG_BLOCK, signo); }
int ckvm_unblock_signal(int signo) { return ckvm_change_mask(SIG_UNBLOCK, signo); }

int ckvm_set_irqchip_routing(int vmfd, const struct ckvm_irqchip_route *routes, uint32_t count) {
    size_t size = sizeof(struct kvm_irq_routing) + (size_t)count * sizeof(struct kvm_irq_routing_entry);
    struct kvm_irq_routing *table = calloc(1, size);
    if (table == NULL) {
        errno = ENOMEM;
        return -1;
    }
    table->nr = count;
    for (uint32_t i = 0; i < count; i++) {
        table->entries[i].gsi = routes[i].gsi;
        table->entries[i].type = KVM_IRQ_ROUTING_IRQCHIP;
        table->entries[i].u.irqchip.irqchip = routes[i].irqchip;
        table->entries[i].u.irqchip.pin = routes[i].pin;
    }
    int result;
    do {
        result = ioctl(vmfd, KVM_SET_GSI_ROUTING, table);
    } while (result < 0 && errno == EINTR);
    int saved = errno;
    free(table);
    errno = saved;
    return result;
}
