/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's types and helpers that kmod/select.c uses, for building it
 * into the userspace unit tests.
 */
#ifndef _DYNCAST_SELECT_SHIM_H
#define _DYNCAST_SELECT_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

static inline u64 div_u64(u64 dividend, u32 divisor)
{
	return dividend / divisor;
}

#endif /* _DYNCAST_SELECT_SHIM_H */
