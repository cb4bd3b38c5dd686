/*
 * pvh.elf: a PVH guest. Prints what the loader passed in hvm_start_info (Xen's
 * public/arch-x86/hvm/start_info.h) and the entry state, then exits with 0
 * (1 if the magic is wrong):
 *   pvh: magic <hex> version <n> flags <hex>
 *   pvh: entry cs <sel> cr0 <hex> cr4 <hex> eflags <hex>
 *   pvh: cmdline '<text>'
 *   pvh: rsdp <hi><lo>
 *   pvh: memmap <n>
 *   pvh: mem <addr hi><lo> <size hi><lo> <type>
 *   pvh: modules <n>
 *   pvh: module <i> <start> <end> '<string>' sum <fnv1a>    (see modules.h)
 *   pvh: done
 */
#include "runtime.h"
#include "modules.h"

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};

struct hvm_memmap_table_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

static void put_hex64(uint64_t value)
{
    serial_put_hex32((uint32_t)(value >> 32));
    serial_put_hex32((uint32_t)value);
}

static const char *low_pointer(uint64_t address)
{
    return address != 0 && address < 0x100000000ull ? (const char *)(uintptr_t)address : "";
}

uint32_t pvh_main(uint32_t cs, const struct hvm_start_info *info, uint32_t eflags);

uint32_t pvh_main(uint32_t cs, const struct hvm_start_info *info, uint32_t eflags)
{
    uint32_t cr0, cr4;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    serial_puts("pvh: magic ");
    serial_put_hex32(info->magic);
    serial_puts(" version ");
    serial_put_dec(info->version);
    serial_puts(" flags ");
    serial_put_hex32(info->flags);
    serial_putc('\n');
    if (info->magic != 0x336ec578u)
        return 1;
    serial_puts("pvh: entry cs ");
    serial_put_hex32(cs & 0xffff);
    serial_puts(" cr0 ");
    serial_put_hex32(cr0);
    serial_puts(" cr4 ");
    serial_put_hex32(cr4);
    serial_puts(" eflags ");
    serial_put_hex32(eflags);
    serial_putc('\n');
    serial_puts("pvh: cmdline '");
    serial_puts(low_pointer(info->cmdline_paddr));
    serial_puts("'\npvh: rsdp ");
    put_hex64(info->rsdp_paddr);
    serial_puts("\npvh: memmap ");
    serial_put_dec(info->memmap_entries);
    serial_putc('\n');
    const struct hvm_memmap_table_entry *map =
        (const struct hvm_memmap_table_entry *)low_pointer(info->memmap_paddr);
    for (uint32_t i = 0; info->memmap_paddr != 0 && i < info->memmap_entries; i++) {
        serial_puts("pvh: mem ");
        put_hex64(map[i].addr);
        serial_putc(' ');
        put_hex64(map[i].size);
        serial_putc(' ');
        serial_put_dec(map[i].type);
        serial_putc('\n');
    }
    serial_puts("pvh: modules ");
    serial_put_dec(info->nr_modules);
    serial_putc('\n');
    const struct hvm_modlist_entry *mods = (const struct hvm_modlist_entry *)low_pointer(info->modlist_paddr);
    for (uint32_t i = 0; info->modlist_paddr != 0 && i < info->nr_modules; i++)
        print_module("pvh:", i, (uint32_t)mods[i].paddr, (uint32_t)(mods[i].paddr + mods[i].size),
                     low_pointer(mods[i].cmdline_paddr));
    serial_puts("pvh: done\n");
    return 0;
}
