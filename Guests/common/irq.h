/*
 * Interrupt support for the 32-bit guests that take interrupts: our own flat
 * GDT and an IDT (isr.S, irq.c), the 8259 PIC, the 8254 PIT, the local APIC and
 * the IOAPIC. Everything runs in 32-bit protected mode with paging off, so the
 * APIC registers are plain physical addresses.
 *
 * Usage: irq_init() once on the boot CPU (loads the GDT, fills and loads the
 * IDT), irq_set_handler() for each vector the guest expects, then `sti`.
 * Any other vector (an exception, or an interrupt nobody asked for) prints
 * "exception V at eip 0x..." / "unexpected interrupt V" and ends the VM with
 * debug-exit value IRQ_EXIT_UNEXPECTED.
 */
#ifndef GUESTS_IRQ_H
#define GUESTS_IRQ_H

/* Selectors of gdt32 (isr.S). */
#define GDT32_CODE 0x08
#define GDT32_DATA 0x10
#define GDT32_LIMIT 0x17        /* 3 descriptors */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Debug-exit value after an unexpected exception or interrupt (QEMU: 253). */
#define IRQ_EXIT_UNEXPECTED 126

/* What isr_common pushes, lowest address first: pusha, the vector, the error
 * code (0 when the CPU pushes none), then the CPU's EIP, CS, EFLAGS. */
struct interrupt_frame {
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint32_t vector;
    uint32_t error_code;
    uint32_t eip, cs, eflags;
};

typedef void (*interrupt_handler)(struct interrupt_frame *frame);

/* Loads gdt32 and reloads CS (0x08) and the data segments (0x10). */
void gdt32_load(void);
/* Boot CPU: gdt32_load(), then fills the 256 IDT gates (interrupt gates, so
 * IF is clear in handlers), clears every handler, and loads the IDT. */
void irq_init(void);
/* Other CPUs (already on gdt32): loads the IDT that irq_init() built. */
void idt_load(void);
void irq_set_handler(uint8_t vector, interrupt_handler handler);
/* Called by isr_common. */
void isr_dispatch(struct interrupt_frame *frame);

static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
/* `sti; hlt`: interrupts are enabled only after hlt has started (the STI
 * shadow), so an interrupt that arrives in between wakes the hlt. Returns with
 * interrupts enabled after one interrupt was handled. */
static inline void irq_enable_and_wait(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

/* --- 8259 PIC ---------------------------------------------------------- */
#define PIC_VECTOR_BASE 0x20    /* IRQ i -> vector 0x20 + i after pic_remap() */
/* ICW1-ICW4: master at vectors base..base+7, slave at base+8..base+15, slave on
 * master IRQ 2, 8086 mode, normal EOI; then masks all 16 IRQs. */
void pic_remap(uint8_t base);
/* Bit i set = IRQ i masked (0..7 master, 8..15 slave). */
void pic_set_mask(uint16_t mask);
/* Non-specific EOI for IRQ `irq` (to the slave and the master when irq >= 8). */
void pic_eoi(unsigned irq);

/* --- 8254 PIT ------------------------------------------------------------ */
#define PIT_HZ 1193182u
/* Channel 0, lobyte/hibyte, mode 2 (rate generator), binary, the divisor
 * PIT_HZ / hz (e.g. 1193 for 1000 Hz). */
void pit_start_periodic(unsigned hz);

/* --- local APIC ----------------------------------------------------------- */
#define LAPIC_DEFAULT_BASE 0xFEE00000u
#define LAPIC_ID        0x020
#define LAPIC_VERSION   0x030
#define LAPIC_TPR       0x080
#define LAPIC_EOI       0x0B0
#define LAPIC_SVR       0x0F0
#define LAPIC_ESR       0x280
#define LAPIC_ICR_LOW   0x300
#define LAPIC_ICR_HIGH  0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE  0x3E0
#define LAPIC_LVT_MASKED    (1u << 16)
#define LAPIC_SPURIOUS_VECTOR 0xFF

static inline uint32_t mmio_read32(uint32_t address)
{
    return *(volatile uint32_t *)(uintptr_t)address;
}

static inline void mmio_write32(uint32_t address, uint32_t value)
{
    *(volatile uint32_t *)(uintptr_t)address = value;
}

static inline uint32_t lapic_read(uint32_t reg) { return mmio_read32(LAPIC_DEFAULT_BASE + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { mmio_write32(LAPIC_DEFAULT_BASE + reg, v); }
static inline unsigned lapic_id(void) { return lapic_read(LAPIC_ID) >> 24; }
static inline void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

/* Sets the global enable bit of IA32_APIC_BASE if it is clear (the base stays
 * at the default 0xFEE00000), TPR = 0, and software-enables the local APIC
 * with spurious vector LAPIC_SPURIOUS_VECTOR, for which it installs a handler
 * that ignores it (a spurious interrupt needs no EOI). */
void lapic_enable(void);
/* Virtual wire mode, the way PC firmware leaves the boot CPU: lapic_enable(),
 * LINT0 = ExtINT (the 8259's INTR output reaches the CPU through the local
 * APIC), LINT1 = NMI, both unmasked. */
void lapic_virtual_wire(void);
/* Busy-waits about `us` microseconds with the local APIC timer in one-shot mode,
 * masked (no interrupt), divide by 1, polling the current count. KVM's local
 * APIC timer counts at 1 GHz (1 ns per tick), so 1000 ticks are 1 us. */
void lapic_delay_us(uint32_t us);
/* A watchdog: the local APIC timer in one-shot mode, divide by 128, raising
 * `vector` once after about `ms` milliseconds (at most 500 s) at KVM's 1 GHz
 * APIC timer clock. lapic_timer_stop() cancels it and masks the timer. */
void lapic_timer_oneshot_ms(uint32_t ms, uint8_t vector);
void lapic_timer_stop(void);
/* The same one-shot count with the timer masked (no interrupt), to poll:
 * lapic_deadline_passed() is true once about `ms` milliseconds have passed. */
void lapic_deadline_start_ms(uint32_t ms);
int lapic_deadline_passed(void);
/* Sends an IPI: ICR high = destination APIC ID << 24, then ICR low = `low`;
 * waits (bounded) for the delivery-status bit to clear. Returns 0, or -1 if it
 * stayed set. */
int lapic_send_ipi(unsigned apic_id, uint32_t low);

/* --- IOAPIC ------------------------------------------------------------- */
#define IOAPIC_DEFAULT_BASE 0xFEC00000u
uint32_t ioapic_read(uint32_t base, uint32_t reg);
void ioapic_write(uint32_t base, uint32_t reg, uint32_t value);
/* Number of redirection entries (IOAPIC version register bits 23:16, plus 1). */
unsigned ioapic_pin_count(uint32_t base);
/* Masks every redirection entry. */
void ioapic_mask_all(uint32_t base);
/* Redirection entry `pin`: fixed delivery to `vector`, physical destination
 * `apic_id`, active high, edge-triggered, unmasked. */
void ioapic_route_edge(uint32_t base, unsigned pin, uint8_t vector, unsigned apic_id);

/* --- misc ----------------------------------------------------------------- */
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void compiler_barrier(void) { __asm__ volatile("" ::: "memory"); }

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

/* A test-and-set spinlock (`xchg` with memory is always locked). */
typedef volatile uint32_t spinlock;
static inline void spin_lock(spinlock *lock)
{
    for (;;) {
        uint32_t old = 1;
        __asm__ volatile("xchg %0, %1" : "+r"(old), "+m"(*lock) : : "memory");
        if (old == 0)
            return;
        while (*lock != 0)
            cpu_relax();
    }
}
static inline void spin_unlock(spinlock *lock)
{
    compiler_barrier();
    *lock = 0;
}

#endif /* __ASSEMBLER__ */
#endif
