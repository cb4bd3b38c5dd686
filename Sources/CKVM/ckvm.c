#include "ckvm.h"

#include <signal.h>
#include <pthread.h>
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
