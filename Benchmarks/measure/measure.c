/*
 * measure: runs one command and reports its wall time, CPU time and peak RSS.
 *
 *   measure -o RESULT_FILE [-c CPU] -- command [args...]
 *
 * Writes to RESULT_FILE, first (as soon as the child exists)
 *   pid=PID
 * and when it has ended
 *   wall_ns=W cpu_ns=C maxrss_kb=M minflt=F status=S
 * W is from just before fork() to just after wait4() returns; C is user + system
 * time of all the child's threads; M is the child's peak RSS (ru_maxrss, what
 * GNU time's %M prints); F its minor page faults; S is the exit status (128 + N
 * for a signal).
 *
 * Why not time the command from Python: a child started with vfork (as
 * posix_spawn does) inherits its parent's RSS high-water mark at exec, so
 * ru_maxrss would report the Python interpreter's RSS for small commands. This
 * program is linked statically and forks, so what it passes on is tiny.
 * -c pins the command to one CPU (sched_setaffinity, inherited by its threads).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t timeval_ns(struct timeval t)
{
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_usec * 1000ull;
}

int main(int argc, char **argv)
{
    const char *result_path = NULL;
    int cpu = -1, opt;
    while ((opt = getopt(argc, argv, "+o:c:")) != -1) {
        switch (opt) {
        case 'o': result_path = optarg; break;
        case 'c': cpu = atoi(optarg); break;
        default: goto usage;
        }
    }
    if (!result_path || optind >= argc)
        goto usage;
    FILE *result = fopen(result_path, "w");
    if (!result) {
        perror(result_path);
        return 125;
    }
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) {
            perror("sched_setaffinity");
            return 125;
        }
    }
    uint64_t start = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 125;
    }
    if (pid == 0) {
        execvp(argv[optind], argv + optind);
        fprintf(stderr, "measure: cannot run %s: %s\n", argv[optind], strerror(errno));
        _exit(127);
    }
    fprintf(result, "pid=%d\n", (int)pid);
    fflush(result);
    int status;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("wait4");
            return 125;
        }
    }
    uint64_t end = now_ns();
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(result, "wall_ns=%llu cpu_ns=%llu maxrss_kb=%ld minflt=%ld status=%d\n",
            (unsigned long long)(end - start),
            (unsigned long long)(timeval_ns(usage.ru_utime) + timeval_ns(usage.ru_stime)), usage.ru_maxrss,
            usage.ru_minflt, code);
    fclose(result);
    return 0;

usage:
    fprintf(stderr, "usage: measure -o RESULT_FILE [-c CPU] -- command [args...]\n");
    return 125;
}
