#define _GNU_SOURCE
#include "chost_jail.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

const unsigned long CHOST_CLONE_NEWNS = CLONE_NEWNS;
const unsigned long CHOST_CLONE_NEWPID = CLONE_NEWPID;
const unsigned long CHOST_CLONE_NEWIPC = CLONE_NEWIPC;
const unsigned long CHOST_CLONE_NEWUTS = CLONE_NEWUTS;
const unsigned long CHOST_CLONE_NEWNET = CLONE_NEWNET;
const unsigned long CHOST_ST_NODEV = ST_NODEV;

static volatile sig_atomic_t jail_child = 0;
static const int forwarded_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };

static void forward_signal(int sig)
{
    pid_t child = jail_child;
    if (child > 0) {
        int saved = errno;
        kill(child, sig);
        errno = saved;
    }
}

// The child between clone and exec: system calls only (no malloc, no locks).
static void child_failed(int fd, int step)
{
    int report[2] = { step, errno };
    ssize_t ignored = write(fd, report, sizeof(report));
    (void)ignored;
    _exit(127);
}

pid_t chost_jail_spawn(unsigned long clone_flags, int netns_fd, const char *path,
                       char *const argv[], char *const envp[], int *failed_step, int *failed_errno)
{
    *failed_step = CHOST_JAIL_STEP_NONE;
    *failed_errno = 0;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = forward_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigset_t forwarded;
    sigemptyset(&forwarded);
    for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++) {
        sigaction(forwarded_signals[i], &action, NULL);
        sigaddset(&forwarded, forwarded_signals[i]);
    }
    // Held until the child's PID is known, so that a signal arriving before (or
    // during) the clone is forwarded to it rather than lost; the child clears its
    // mask. A parent may also have started us with them blocked (the mask is
    // inherited): they are unblocked below either way.
    pthread_sigmask(SIG_BLOCK, &forwarded, NULL);
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        *failed_step = CHOST_JAIL_STEP_PIPE;
        *failed_errno = errno;
        pthread_sigmask(SIG_UNBLOCK, &forwarded, NULL);
        return -1;
    }
    // A fork-like clone: no new stack, the child continues here.
    long pid = syscall(SYS_clone, clone_flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0) {
        *failed_step = CHOST_JAIL_STEP_CLONE;
        *failed_errno = errno;
        close(report[0]);
        close(report[1]);
        pthread_sigmask(SIG_UNBLOCK, &forwarded, NULL);
        return -1;
    }
    if (pid == 0) {
        close(report[0]);
        struct sigaction standard;
        memset(&standard, 0, sizeof(standard));
        standard.sa_handler = SIG_DFL;
        for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++) {
            sigaction(forwarded_signals[i], &standard, NULL);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) child_failed(report[1], CHOST_JAIL_STEP_SETNS);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) child_failed(report[1], CHOST_JAIL_STEP_PRCTL);
        execve(path, argv, envp);
        child_failed(report[1], CHOST_JAIL_STEP_EXEC);
    }
    jail_child = (pid_t)pid;
    pthread_sigmask(SIG_UNBLOCK, &forwarded, NULL);
    close(report[1]);
    int received[2];
    ssize_t count;
    do {
        count = read(report[0], received, sizeof(received));
    } while (count < 0 && errno == EINTR);
    close(report[0]);
    if (count == (ssize_t)sizeof(received)) {
        *failed_step = received[0];
        *failed_errno = received[1];
        chost_jail_wait((pid_t)pid);
        jail_child = 0;
        return -1;
    }
    return (pid_t)pid;
}

int chost_jail_wait(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return status;
}

int chost_pivot_root(const char *new_root, const char *put_old)
{
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int chost_set_no_new_privs(void)
{
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int chost_set_parent_death_signal(int sig)
{
    return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0);
}

unsigned long chost_makedev(unsigned int major_number, unsigned int minor_number)
{
    return (unsigned long)makedev(major_number, minor_number);
}

unsigned int chost_major(unsigned long device)
{
    return major(device);
}

unsigned int chost_minor(unsigned long device)
{
    return minor(device);
}
