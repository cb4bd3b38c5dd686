/* Multiboot v1 definitions used by the test guests. */
#ifndef GUESTS_MULTIBOOT_H
#define GUESTS_MULTIBOOT_H

#include <stdint.h>

/* Value in EAX when a multiboot loader enters the image. */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

/* Bits of multiboot_info.flags. */
#define MULTIBOOT_INFO_MEMORY  (1u << 0)
#define MULTIBOOT_INFO_CMDLINE (1u << 2)
#define MULTIBOOT_INFO_MMAP    (1u << 6)

/* The boot information block; EBX holds its physical address. */
struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower;   /* KiB below 1 MiB (flags bit 0) */
    uint32_t mem_upper;   /* KiB above 1 MiB (flags bit 0) */
    uint32_t boot_device;
    uint32_t cmdline;     /* physical address of a NUL-terminated string (flags bit 2) */
    uint32_t mods_count;
    uint32_t mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length; /* bytes (flags bit 6) */
    uint32_t mmap_addr;   /* physical address of the first entry (flags bit 6) */
} __attribute__((packed));

/* One memory map entry. `size` does not count itself: the next entry starts at
 * (address of this entry) + size + 4. */
struct multiboot_mmap_entry {
    uint32_t size;
    uint64_t addr;
    uint64_t len;
    uint32_t type;        /* 1 = available RAM */
} __attribute__((packed));

#endif
