/*
 * alloccount.so: an LD_PRELOAD shim that counts heap allocations of a whole
 * process (every thread) and prints the counts when the process exits.
 *
 *   gcc -O2 -shared -fPIC -o alloccount.so alloccount.c
 *   LD_PRELOAD=./alloccount.so vmm run ...
 *
 * It interposes malloc, calloc, realloc, free, posix_memalign, aligned_alloc,
 * memalign, valloc and pvalloc, and forwards them to glibc's __libc_* entry
 * points (no dlsym, so no bootstrap recursion). At exit it writes one line to
 * standard error, or appends it to the file named by ALLOCCOUNT_OUT:
 *
 *   alloccount: mallocs=M callocs=C reallocs=R aligned=A frees=F total=T
 *
 * total = mallocs + callocs + reallocs + aligned: every call that may allocate.
 * It is used by Benchmarks/run.sh as a cross-check of the ordo-one/benchmark
 * figure on the vmm command-line binary itself, by difference between two runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static uint64_t n_malloc, n_calloc, n_realloc, n_aligned, n_free;

#define COUNT(counter) __atomic_fetch_add(&(counter), 1, __ATOMIC_RELAXED)

void *malloc(size_t size)
{
    COUNT(n_malloc);
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size)
{
    COUNT(n_calloc);
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size)
{
    COUNT(n_realloc);
    return __libc_realloc(pointer, size);
}

void free(void *pointer)
{
    if (pointer)
        COUNT(n_free);
    __libc_free(pointer);
}

void *memalign(size_t alignment, size_t size)
{
    COUNT(n_aligned);
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size)
{
    COUNT(n_aligned);
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size)
{
    COUNT(n_aligned);
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0)
        return EINVAL;
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL && size != 0)
        return ENOMEM;
    *out = pointer;
    return 0;
}

void *valloc(size_t size)
{
    COUNT(n_aligned);
    return __libc_memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

void *pvalloc(size_t size)
{
    COUNT(n_aligned);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return __libc_memalign(page, (size + page - 1) & ~(page - 1));
}

__attribute__((destructor)) static void report(void)
{
    char line[256];
    uint64_t m = __atomic_load_n(&n_malloc, __ATOMIC_RELAXED), c = __atomic_load_n(&n_calloc, __ATOMIC_RELAXED),
             r = __atomic_load_n(&n_realloc, __ATOMIC_RELAXED), a = __atomic_load_n(&n_aligned, __ATOMIC_RELAXED),
             f = __atomic_load_n(&n_free, __ATOMIC_RELAXED);
    int length = snprintf(line, sizeof line,
                          "alloccount: mallocs=%llu callocs=%llu reallocs=%llu aligned=%llu frees=%llu total=%llu\n",
                          (unsigned long long)m, (unsigned long long)c, (unsigned long long)r,
                          (unsigned long long)a, (unsigned long long)f, (unsigned long long)(m + c + r + a));
    if (length <= 0)
        return;
    const char *path = getenv("ALLOCCOUNT_OUT");
    int fd = 2;
    if (path && *path)
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    ssize_t ignored = write(fd, line, (size_t)length);
    (void)ignored;
    if (fd != 2)
        close(fd);
}
