/* Segment selectors of the GDT that longmode.S loads (usable from C and asm). */
#ifndef GUESTS_GDT64_H
#define GUESTS_GDT64_H

#define KERNEL_CS 0x08  /* 64-bit code, DPL 0 */
#define KERNEL_DS 0x10  /* data, DPL 0 */
#define USER_DS   0x18  /* data, DPL 3 (selector with RPL 3: 0x1b) */
#define USER_CS   0x20  /* 64-bit code, DPL 3 (selector with RPL 3: 0x23) */

#endif
