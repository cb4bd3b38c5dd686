// CHost, jail part: the calls `vmm jail` needs that Swift cannot make directly
// (clone with namespace flags, pivot_root, prctl, makedev), kept apart from the
// TAP code. See docs/security.md, "The jail".
#ifndef CHOST_JAIL_H
#define CHOST_JAIL_H

#include <sys/types.h>

// Which step of chost_jail_spawn failed (reported in *failed_step).
enum {
    CHOST_JAIL_STEP_NONE = 0,
    CHOST_JAIL_STEP_PIPE = 1,
    CHOST_JAIL_STEP_CLONE = 2,
    CHOST_JAIL_STEP_SETNS = 3,
    CHOST_JAIL_STEP_PRCTL = 4,
    CHOST_JAIL_STEP_EXEC = 5,
};

// Starts `path` (argv, envp: NULL-terminated) as a child in the namespaces
// `clone_flags` asks for (CLONE_NEWNS, CLONE_NEWPID, ...; with CLONE_NEWPID the
// child is PID 1 there). The child first joins the network namespace `netns_fd`
// when it is >= 0, asks for SIGKILL should this process die, and execs. From the
// time of the call, SIGTERM, SIGINT, SIGHUP and SIGQUIT sent to this process
// are forwarded to the child. Returns the child's PID; or -1 with *failed_step
// and *failed_errno set (the child, if any, has been reaped).
pid_t chost_jail_spawn(unsigned long clone_flags, int netns_fd, const char *path,
                       char *const argv[], char *const envp[], int *failed_step, int *failed_errno);

// Waits for `pid` (retrying EINTR) and returns its wait status, or -1 with errno.
int chost_jail_wait(pid_t pid);

// The pivot_root(2) system call (glibc has no wrapper). 0 or -1 with errno.
int chost_pivot_root(const char *new_root, const char *put_old);

// prctl(PR_SET_NO_NEW_PRIVS, 1). 0 or -1 with errno.
int chost_set_no_new_privs(void);

// prctl(PR_SET_PDEATHSIG, sig). 0 or -1 with errno.
int chost_set_parent_death_signal(int sig);

// Device numbers (makedev, major, minor are macros Swift does not import).
unsigned long chost_makedev(unsigned int major, unsigned int minor);
unsigned int chost_major(unsigned long device);
unsigned int chost_minor(unsigned long device);

// Clone flags, as constants (sched.h needs _GNU_SOURCE for them).
extern const unsigned long CHOST_CLONE_NEWNS;
extern const unsigned long CHOST_CLONE_NEWPID;
extern const unsigned long CHOST_CLONE_NEWIPC;
extern const unsigned long CHOST_CLONE_NEWUTS;
extern const unsigned long CHOST_CLONE_NEWNET;

// statvfs's f_flag bit for a filesystem mounted nodev (an enum Swift does not see).
extern const unsigned long CHOST_ST_NODEV;

#endif
