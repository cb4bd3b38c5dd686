/*
 * modules.elf: prints the multiboot modules the loader passed (--initrd and
 * --module on swift-vmm, -initrd "a args,b" on QEMU) and exits with 0:
 *   mods: flags bit 3 <0|1>, count <N>
 *   mods: module <i> <mod_start> <mod_end> '<string>' sum <fnv1a>   (see modules.h)
 *   mods: done
 * Exits with 1 when EAX is not the multiboot magic.
 */
#include "runtime.h"
#include "modules.h"

struct multiboot_module {
    uint32_t mod_start;
    uint32_t mod_end;
    uint32_t string;
    uint32_t reserved;
};

uint32_t guest_main(uint32_t magic, const struct multiboot_info *info)
{
    if (magic != 0x2BADB002u)
        return 1;
    unsigned has_mods = (info->flags >> 3) & 1;
    unsigned count = has_mods ? info->mods_count : 0;
    serial_puts("mods: flags bit 3 ");
    serial_put_dec(has_mods);
    serial_puts(", count ");
    serial_put_dec(count);
    serial_putc('\n');
    const struct multiboot_module *mods = (const struct multiboot_module *)(uintptr_t)info->mods_addr;
    for (unsigned i = 0; i < count; i++)
        print_module("mods:", i, mods[i].mod_start, mods[i].mod_end,
                     (const char *)(uintptr_t)mods[i].string);
    serial_puts("mods: done\n");
    return 0;
}
