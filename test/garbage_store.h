/* SPDX-License-Identifier: MIT */
/*
 * garbage_store.h - damage to a queue's store (layout.h: struct
 * store_hdr, then the chunks, then the bucket table and the two heaps),
 * shared by sysv_garbage*.c and posix_garbage_*.c: a System V queue's
 * store is sysv/m.<gen> from M_STORE_OFF, a POSIX queue's is posix/<gen>
 * from PQ_STORE_OFF, and both are the same layout.  Every piece of
 * damage is noted with did() (garbage.h).
 */
#ifndef T_GARBAGE_STORE_H
#define T_GARBAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "garbage.h"
#include "internal.h"

/* A store, mapped: where its parts are, from its header's geometry. */
struct store_view {
	struct store_hdr *st;
	size_t size;		/* the bytes mapped from st */
	uint32_t chunk, nchunks, hcap;
	uint8_t *chunks;	/* chunk 0 */
	uint8_t *index;		/* buckets, then the two heaps */
	size_t index_size, buckets_size;
};

/* v, for the store header at hdr with size bytes mapped from it: false
 * if the parts layout.h gives do not fit (a test bug). */
bool store_view_of(struct store_view *v, void *hdr, size_t size);

/* A 64-bit field's neighbour, double, a small value, 0, a large power of
 * two, or noise. */
uint64_t plausible64(uint64_t old);
/* A chunk's state or index, or noise. */
uint32_t plausible32(const struct store_view *v);

/*
 * The keys in a store: a System V queue's are message types (key_sign
 * +1), a POSIX queue's are priorities negated (key_sign -1).  Plausible
 * keys the damage writes have that sign.
 */

/* Damage to the used chunks (bytes, message heads' fields, a chunk copied
 * over another, whole chunks of noise): any of it may change the text of
 * a message that comes out, or bring back one received. */
void damage_chunks(const struct store_view *v, int key_sign);
/* Damage to the bucket table, the heaps or the free lists: all derived,
 * so repairable from the chunks. */
void damage_index(const struct store_view *v, int key_sign);
/* One derived field of the header: bump, next_seq, nbuckets, damaged. */
void damage_header_derived(const struct store_view *v);
/* A run of random bytes in the header: its geometry and identity too. */
void damage_header_noise(const struct store_view *v);

#endif
