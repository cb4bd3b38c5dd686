// CKVM: the C side of swift-vmm's KVM layer.
//
// Swift cannot call variadic functions (ioctl) nor import function-like macros
// (the KVM_* request numbers built with _IOW/_IOR), so this header provides
// non-variadic wrappers, the request numbers as constants, and typed views of
// the anonymous members of struct kvm_run. Only the KVM target imports it.
#ifndef CKVM_H
#define CKVM_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

// Capabilities newer than the installed (6.1) UAPI headers.
#ifndef KVM_CAP_X86_DISABLE_EXITS
#define KVM_CAP_X86_DISABLE_EXITS 143
#endif

// MARK: ioctl wrappers

static inline int ckvm_ioctl(int fd, unsigned long request, unsigned long argument) {
    return ioctl(fd, request, argument);
}

static inline int ckvm_ioctl_ptr(int fd, unsigned long request, void *argument) {
    return ioctl(fd, request, argument);
}

// MARK: request numbers

static const unsigned long CKVM_GET_API_VERSION = KVM_GET_API_VERSION;
static const unsigned long CKVM_CREATE_VM = KVM_CREATE_VM;
static const unsigned long CKVM_CHECK_EXTENSION = KVM_CHECK_EXTENSION;
static const unsigned long CKVM_GET_VCPU_MMAP_SIZE = KVM_GET_VCPU_MMAP_SIZE;
static const unsigned long CKVM_GET_SUPPORTED_CPUID = KVM_GET_SUPPORTED_CPUID;
static const unsigned long CKVM_CREATE_VCPU = KVM_CREATE_VCPU;
static const unsigned long CKVM_SET_USER_MEMORY_REGION = KVM_SET_USER_MEMORY_REGION;
static const unsigned long CKVM_SET_TSS_ADDR = KVM_SET_TSS_ADDR;
static const unsigned long CKVM_SET_IDENTITY_MAP_ADDR = KVM_SET_IDENTITY_MAP_ADDR;
static const unsigned long CKVM_ENABLE_CAP = KVM_ENABLE_CAP;
static const unsigned long CKVM_X86_SET_MSR_FILTER = KVM_X86_SET_MSR_FILTER;
static const unsigned long CKVM_RUN = KVM_RUN;
static const unsigned long CKVM_GET_REGS = KVM_GET_REGS;
static const unsigned long CKVM_SET_REGS = KVM_SET_REGS;
static const unsigned long CKVM_GET_SREGS = KVM_GET_SREGS;
static const unsigned long CKVM_SET_SREGS = KVM_SET_SREGS;
static const unsigned long CKVM_SET_CPUID2 = KVM_SET_CPUID2;
static const unsigned long CKVM_TRANSLATE = KVM_TRANSLATE;
static const unsigned long CKVM_GET_STATS_FD = KVM_GET_STATS_FD;
static const unsigned long CKVM_GET_TSC_KHZ = KVM_GET_TSC_KHZ;
static const unsigned long CKVM_REGISTER_COALESCED_MMIO = KVM_REGISTER_COALESCED_MMIO;
static const unsigned long CKVM_UNREGISTER_COALESCED_MMIO = KVM_UNREGISTER_COALESCED_MMIO;
static const unsigned long CKVM_CREATE_IRQCHIP = KVM_CREATE_IRQCHIP;
static const unsigned long CKVM_CREATE_PIT2 = KVM_CREATE_PIT2;
static const unsigned long CKVM_SET_GSI_ROUTING = KVM_SET_GSI_ROUTING;
static const unsigned long CKVM_IRQFD = KVM_IRQFD;
static const unsigned long CKVM_IRQ_LINE = KVM_IRQ_LINE;
static const unsigned long CKVM_GET_MP_STATE = KVM_GET_MP_STATE;
static const unsigned long CKVM_SET_MP_STATE = KVM_SET_MP_STATE;
static const unsigned long CKVM_GET_IRQCHIP = KVM_GET_IRQCHIP;
static const unsigned long CKVM_GET_PIT2 = KVM_GET_PIT2;
static const unsigned long CKVM_IOEVENTFD = KVM_IOEVENTFD;
// Snapshots: vCPU and VM state, dirty logging.
static const unsigned long CKVM_GET_FPU = KVM_GET_FPU;
static const unsigned long CKVM_SET_FPU = KVM_SET_FPU;
static const unsigned long CKVM_GET_XSAVE = KVM_GET_XSAVE;
static const unsigned long CKVM_GET_XSAVE2 = KVM_GET_XSAVE2;
static const unsigned long CKVM_SET_XSAVE = KVM_SET_XSAVE;
static const unsigned long CKVM_GET_XCRS = KVM_GET_XCRS;
static const unsigned long CKVM_SET_XCRS = KVM_SET_XCRS;
static const unsigned long CKVM_GET_DEBUGREGS = KVM_GET_DEBUGREGS;
static const unsigned long CKVM_SET_DEBUGREGS = KVM_SET_DEBUGREGS;
static const unsigned long CKVM_GET_LAPIC = KVM_GET_LAPIC;
static const unsigned long CKVM_SET_LAPIC = KVM_SET_LAPIC;
static const unsigned long CKVM_GET_VCPU_EVENTS = KVM_GET_VCPU_EVENTS;
static const unsigned long CKVM_SET_VCPU_EVENTS = KVM_SET_VCPU_EVENTS;
static const unsigned long CKVM_GET_MSRS = KVM_GET_MSRS;
static const unsigned long CKVM_SET_MSRS = KVM_SET_MSRS;
static const unsigned long CKVM_GET_MSR_INDEX_LIST = KVM_GET_MSR_INDEX_LIST;
static const unsigned long CKVM_GET_CPUID2 = KVM_GET_CPUID2;
static const unsigned long CKVM_SET_TSC_KHZ = KVM_SET_TSC_KHZ;
static const unsigned long CKVM_SET_IRQCHIP = KVM_SET_IRQCHIP;
static const unsigned long CKVM_SET_PIT2 = KVM_SET_PIT2;
static const unsigned long CKVM_GET_CLOCK = KVM_GET_CLOCK;
static const unsigned long CKVM_SET_CLOCK = KVM_SET_CLOCK;
static const int CKVM_CAP_XSAVE = KVM_CAP_XSAVE;
static const int CKVM_CAP_XSAVE2 = KVM_CAP_XSAVE2;
static const int CKVM_CAP_XCRS = KVM_CAP_XCRS;
static const int CKVM_CAP_DEBUGREGS = KVM_CAP_DEBUGREGS;
static const int CKVM_CAP_VCPU_EVENTS = KVM_CAP_VCPU_EVENTS;
static const int CKVM_CAP_ADJUST_CLOCK = KVM_CAP_ADJUST_CLOCK;
static const int CKVM_CAP_GET_TSC_KHZ = KVM_CAP_GET_TSC_KHZ;
static const int CKVM_CAP_TSC_CONTROL = KVM_CAP_TSC_CONTROL;

/// KVM_GET_DIRTY_LOG for `slot` into `bitmap` (one bit per page of the slot, in
/// 64-bit words; the caller sizes it). Reading clears KVM's log for the slot.
static inline int ckvm_get_dirty_log(int vmfd, uint32_t slot, void *bitmap) {
    struct kvm_dirty_log log;
    memset(&log, 0, sizeof(log));
    log.slot = slot;
    log.dirty_bitmap = bitmap;
    return ioctl(vmfd, KVM_GET_DIRTY_LOG, &log);
}

/// KVM_IRQCHIP_* chip ids (KVM_GET_IRQCHIP / KVM_SET_IRQCHIP).
static const uint32_t CKVM_IRQCHIP_PIC_MASTER = KVM_IRQCHIP_PIC_MASTER;
static const uint32_t CKVM_IRQCHIP_PIC_SLAVE = KVM_IRQCHIP_PIC_SLAVE;
static const uint32_t CKVM_IRQCHIP_IOAPIC = KVM_IRQCHIP_IOAPIC;
static const uint32_t CKVM_IOEVENTFD_FLAG_DATAMATCH = KVM_IOEVENTFD_FLAG_DATAMATCH;
static const uint32_t CKVM_IOEVENTFD_FLAG_PIO = KVM_IOEVENTFD_FLAG_PIO;
static const uint32_t CKVM_IOEVENTFD_FLAG_DEASSIGN = KVM_IOEVENTFD_FLAG_DEASSIGN;

// MARK: typed views of struct kvm_run's anonymous union members

/// Layout of kvm_run.io (KVM_EXIT_IO). The data lives at (char *)run + data_offset.
struct ckvm_exit_io {
    uint8_t direction;
    uint8_t size;
    uint16_t port;
    uint32_t count;
    uint64_t data_offset;
};

/// Layout of kvm_run.mmio (KVM_EXIT_MMIO).
struct ckvm_exit_mmio {
    uint64_t phys_addr;
    uint8_t data[8];
    uint32_t len;
    uint8_t is_write;
};

/// Layout of kvm_run.internal (KVM_EXIT_INTERNAL_ERROR).
struct ckvm_exit_internal {
    uint32_t suberror;
    uint32_t ndata;
    uint64_t data[16];
};

/// Layout of kvm_run.fail_entry (KVM_EXIT_FAIL_ENTRY).
struct ckvm_exit_fail_entry {
    uint64_t hardware_entry_failure_reason;
    uint32_t cpu;
};

/// Layout of kvm_run.system_event (KVM_EXIT_SYSTEM_EVENT).
struct ckvm_exit_system_event {
    uint32_t type;
    uint32_t ndata;
    uint64_t data[16];
};

/// Layout of kvm_run.hw (KVM_EXIT_UNKNOWN).
struct ckvm_exit_unknown {
    uint64_t hardware_exit_reason;
};

/// Layout of kvm_run.msr (KVM_EXIT_X86_RDMSR / KVM_EXIT_X86_WRMSR).
struct ckvm_exit_msr {
    uint8_t error;  // user -> kernel: 1 injects #GP
    uint8_t pad[7];
    uint32_t reason;  // KVM_MSR_EXIT_REASON_*
    uint32_t index;
    uint64_t data;  // the value written, or the value to return
};

/// Layout of kvm_run.ex (KVM_EXIT_EXCEPTION).
struct ckvm_exit_exception {
    uint32_t exception;
    uint32_t error_code;
};

_Static_assert(sizeof(struct ckvm_exit_io) == sizeof(((struct kvm_run *)0)->io), "io layout");
_Static_assert(offsetof(struct ckvm_exit_mmio, is_write) == offsetof(__typeof__(((struct kvm_run *)0)->mmio), is_write), "mmio layout");
_Static_assert(offsetof(struct ckvm_exit_internal, data) == offsetof(__typeof__(((struct kvm_run *)0)->internal), data), "internal layout");
_Static_assert(offsetof(struct ckvm_exit_system_event, data) == offsetof(__typeof__(((struct kvm_run *)0)->system_event), data), "system_event layout");
_Static_assert(offsetof(struct ckvm_exit_fail_entry, cpu) == offsetof(__typeof__(((struct kvm_run *)0)->fail_entry), cpu), "fail_entry layout");

_Static_assert(offsetof(struct ckvm_exit_msr, data) == offsetof(__typeof__(((struct kvm_run *)0)->msr), data), "msr layout");

static inline struct ckvm_exit_msr *ckvm_run_msr(struct kvm_run *run) {
    return (struct ckvm_exit_msr *)&run->msr;
}

/// One range of an MSR filter: `count` MSRs from `base`, one bit each in `bitmap`
/// (1 allows the operations in `flags`, 0 makes them exit to user space).
struct ckvm_msr_range {
    uint32_t flags;  // KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE
    uint32_t count;
    uint32_t base;
    uint8_t *bitmap;
};

/// KVM_X86_SET_MSR_FILTER with up to KVM_MSR_FILTER_MAX_RANGES ranges.
static inline int ckvm_set_msr_filter(int vmfd, uint32_t flags, const struct ckvm_msr_range *ranges, uint32_t count) {
    struct kvm_msr_filter filter;
    memset(&filter, 0, sizeof(filter));
    filter.flags = flags;
    for (uint32_t i = 0; i < count && i < KVM_MSR_FILTER_MAX_RANGES; i++) {
        filter.ranges[i].flags = ranges[i].flags;
        filter.ranges[i].nmsrs = ranges[i].count;
        filter.ranges[i].base = ranges[i].base;
        filter.ranges[i].bitmap = ranges[i].bitmap;
    }
    return ioctl(vmfd, KVM_X86_SET_MSR_FILTER, &filter);
}

static inline struct ckvm_exit_io *ckvm_run_io(struct kvm_run *run) {
    return (struct ckvm_exit_io *)&run->io;
}
static inline struct ckvm_exit_mmio *ckvm_run_mmio(struct kvm_run *run) {
    return (struct ckvm_exit_mmio *)&run->mmio;
}
static inline struct ckvm_exit_internal *ckvm_run_internal(struct kvm_run *run) {
    return (struct ckvm_exit_internal *)&run->internal;
}
static inline struct ckvm_exit_fail_entry *ckvm_run_fail_entry(struct kvm_run *run) {
    return (struct ckvm_exit_fail_entry *)&run->fail_entry;
}
static inline struct ckvm_exit_system_event *ckvm_run_system_event(struct kvm_run *run) {
    return (struct ckvm_exit_system_event *)&run->system_event;
}
static inline struct ckvm_exit_unknown *ckvm_run_unknown(struct kvm_run *run) {
    return (struct ckvm_exit_unknown *)&run->hw;
}
static inline struct ckvm_exit_exception *ckvm_run_exception(struct kvm_run *run) {
    return (struct ckvm_exit_exception *)&run->ex;
}

/// The MMIO data bytes (up to 8) of a KVM_EXIT_MMIO.
static inline uint8_t *ckvm_run_mmio_data(struct kvm_run *run) {
    return run->mmio.data;
}

/// Sets kvm_run.immediate_exit with an atomic store, since another thread
/// (the one kicking this vCPU) writes it while the vCPU thread may read it.
static inline void ckvm_set_immediate_exit(struct kvm_run *run, uint8_t value) {
    __atomic_store_n(&run->immediate_exit, value, __ATOMIC_SEQ_CST);
}

/// eventfd(2), non-blocking and close-on-exec (not exported by Swift's Glibc module).
static inline int ckvm_eventfd(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

/// The x86 PAUSE hint for spin-waits.
static inline void ckvm_cpu_relax(void) {
    __builtin_ia32_pause();
}

// MARK: epoll (struct epoll_event is packed, so it is handled here)

/// Adds `fd` for input readiness; `token` comes back from ckvm_epoll_wait.
static inline int ckvm_epoll_add(int epfd, int fd, uint64_t token) {
    struct epoll_event event = { .events = EPOLLIN, .data = { .u64 = token } };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

/// Adds `fd` for input readiness, edge-triggered (EPOLLET): reported once per
/// arrival of new input, so the owner must read until EAGAIN before it is
/// reported again.
static inline int ckvm_epoll_add_edge(int epfd, int fd, uint64_t token) {
    struct epoll_event event = { .events = EPOLLIN | EPOLLET, .data = { .u64 = token } };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

/// Adds a stream socket, edge-triggered, for input, room to write and hang-up
/// (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET): reported once per change, so the
/// owner reads or writes until EAGAIN, or remembers that it stopped early.
static inline int ckvm_epoll_add_stream(int epfd, int fd, uint64_t token) {
    struct epoll_event event = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data = { .u64 = token } };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

/// Stops watching `fd`.
static inline int ckvm_epoll_remove(int epfd, int fd) {
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, 0);
}

/// Waits up to `timeout_ms` (-1: forever) and stores the tokens of ready
/// descriptors in `tokens`; returns their number, or -1 with errno set.
static inline int ckvm_epoll_wait(int epfd, uint64_t *tokens, int capacity, int timeout_ms) {
    struct epoll_event events[16];
    int max = capacity < 16 ? capacity : 16;
    int count = epoll_wait(epfd, events, max, timeout_ms);
    for (int i = 0; i < count; i++) tokens[i] = events[i].data.u64;
    return count;
}

// MARK: interrupt routing

/// One GSI route to an interrupt controller pin (KVM_IRQ_ROUTING_IRQCHIP).
struct ckvm_irqchip_route {
    uint32_t gsi;
    uint32_t irqchip;  // KVM_IRQCHIP_PIC_MASTER, _PIC_SLAVE or _IOAPIC
    uint32_t pin;
};

/// KVM_SET_GSI_ROUTING with `count` irqchip routes (the struct has a flexible
/// array, so it is built here). Returns the ioctl's result (-1 with errno set).
int ckvm_set_irqchip_routing(int vmfd, const struct ckvm_irqchip_route *routes, uint32_t count);

// MARK: the coalesced MMIO ring

/// Copies up to `capacity` pending entries out of the coalesced MMIO ring (the page
/// KVM maps at KVM_COALESCED_MMIO_PAGE_OFFSET of a vCPU fd) into `out` and advances
/// `first`. Returns the number copied. Only one thread may drain at a time.
static inline uint32_t ckvm_coalesced_drain(void *page, size_t page_size, struct kvm_coalesced_mmio *out,
                                           uint32_t capacity) {
    struct kvm_coalesced_mmio_ring *ring = (struct kvm_coalesced_mmio_ring *)page;
    uint32_t max = (uint32_t)((page_size - sizeof(struct kvm_coalesced_mmio_ring)) / sizeof(struct kvm_coalesced_mmio));
    uint32_t count = 0;
    uint32_t first = __atomic_load_n(&ring->first, __ATOMIC_RELAXED);
    while (count < capacity && first != __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
        if (first >= max) {  // a corrupt index: KVM never writes one, but never trust it
            first = 0;
            break;
        }
        out[count++] = ring->coalesced_mmio[first];
        first = (first + 1) % max;
    }
    __atomic_store_n(&ring->first, first, __ATOMIC_RELEASE);
    return count;
}

// MARK: kicking a vCPU thread out of KVM_RUN

/// Installs an empty handler for `signo` without SA_RESTART, so that delivering
/// the signal to a vCPU thread makes KVM_RUN return EINTR. Returns 0 or -1 (errno set).
int ckvm_install_kick_handler(int signo);

/// Blocks `signo` in the calling thread (returns 0 or an errno value).
int ckvm_block_signal(int signo);

/// Unblocks `signo` in the calling thread (returns 0 or an errno value).
int ckvm_unblock_signal(int signo);

#endif
