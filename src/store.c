/* SPDX-License-Identifier: MIT */
/*
 * store.c - the message store of one queue (layout in layout.h).
 *
 * Every operation costs O(1) or O(log buckets), whatever the selector:
 * FIFO receive takes the list head; msgtyp > 0 finds its bucket by hash;
 * msgtyp < 0 and POSIX priority take the root of the key heap; MSG_EXCEPT
 * looks at most at three entries of the seq heap.  Only MSG_COPY's "n-th
 * message" walks the list, as the kernel does.
 *
 * All callers hold the queue lock (LOCKING L2).  Indexes read from the
 * store are checked before use; a failed check marks the store damaged,
 * the caller rebuilds it (store_rebuild) and retries.  A commit is a
 * single store of a chunk's state (L3): a crash before it leaves the old
 * message state, after it the new, and the derived indexes are rebuilt.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define HK 0				/* key heap */
#define HS 1				/* seq heap */

/* nchunks <= 2^30 (store_geometry), so this fits in 32 bits. */
static uint32_t hcap_for(uint32_t nchunks)
{
	uint64_t c = 16;
	while (c < 2 * (uint64_t)nchunks && c < (1ull << 31))
		c <<= 1;
	return (uint32_t)c;
}

size_t store_size(uint32_t chunk, uint32_t nchunks)
{
	return STORE_HDR_SIZE + (size_t)nchunks * chunk +
	       (size_t)hcap_for(nchunks) * sizeof(struct bucket) +
	       2 * (size_t)nchunks * 4;
}

static void *chunk_at(struct qview *v, uint32_t i)
{
	return (char *)v->st + STORE_HDR_SIZE + (size_t)i * v->chunk;
}

#define M(v, i) ((struct msg *)chunk_at(v, i))

static struct bucket *buckets(struct qview *v)
{
	return (struct bucket *)chunk_at(v, v->nchunks);
}

static uint32_t *heap_tab(struct qview *v, int which)
{
	return (uint32_t *)(buckets(v) + v->hcap) + (size_t)which * v->nchunks;
}

/* The store's bytes [off, off + len): 0 once the filesystem has given
 * their pages, -ENOMEM if it cannot (pages.c: asked for before the
 * first touch, so that a full filesystem fails a send, not loses it). */
static int ready(struct qview *v, const void *p, size_t len)
{
	return pages_ready(&v->pg, v->st, (size_t)((const char *)p -
						   (const char *)v->st), len);
}

static bool ok(struct qview *v, uint32_t i)
{
	return i < v->nchunks;
}

static long damaged(struct qview *v)
{
	v->st->damaged = 1;
	return -EUCLEAN;
}

/* An all-zero index area is an empty one: a new store touches no page
 * of it until it is used. */
void store_format(void *base, uint64_t gen, uint32_t chunk, uint32_t nchunks)
{
	struct store_hdr *st = base;

	memset(st, 0, STORE_HDR_SIZE);
	st->magic = UMQ_STORE_MAGIC;
	st->version = UMQ_LAYOUT_VERSION;
	st->hdr_size = STORE_HDR_SIZE;
	st->gen = gen;
	st->chunk_size = chunk;
	st->nchunks = nchunks;
	for (int k = 0; k < STORE_ORDERS; k++)
		st->afree[k] = st->ffree[k] = NIL;
	st->next_seq = 1;
}

int store_geometry(struct qview *v, uint64_t gen)
{
	struct store_hdr *st = v->st;
	uint32_t chunk = st->chunk_size, n = st->nchunks;

	if (v->size < STORE_HDR_SIZE || st->magic != UMQ_STORE_MAGIC)
		return -EUCLEAN;
	if (st->version != UMQ_LAYOUT_VERSION)
		return -EPROTO;
	if (st->hdr_size != STORE_HDR_SIZE || st->gen != gen ||
	    chunk < 64 || chunk % 64 || chunk > (64u << 20) || n < 1 ||
	    n > (1u << 30) || store_size(chunk, n) > v->size)
		return -EUCLEAN;
	v->chunk = chunk;
	v->nchunks = n;
	v->hcap = hcap_for(n);
	return 0;
}

/* ---- buckets: a hash table by key, linear probing --------------------- */

static uint32_t hslot_in(uint32_t hcap, int64_t key)
{
	return (uint32_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> 32) &
	       (hcap - 1);
}

static uint32_t hslot(struct qview *v, int64_t key)
{
	return hslot_in(v->hcap, key);
}

/* Bucket i's page, asked for: a page the filesystem cannot give is a
 * hole, all of whose entries are empty. */
static bool bpage(struct qview *v, uint32_t i)
{
	return !ready(v, &buckets(v)[i], sizeof(struct bucket));
}

static bool bok(struct qview *v, const struct bucket *b)
{
	return b->head && b->head <= v->nchunks && ok(v, b->tail);
}

/*
 * Key's probe chain: >= 0 the slot of its bucket; -ENOMSG, with *free
 * the entry a new bucket would take (NIL if the table is full: garbage);
 * -ENOMEM if the chain reaches a page the filesystem cannot give (a
 * hole: empty, but no bucket can be made there); or -EUCLEAN.
 */
static long probe(struct qview *v, int64_t key, uint32_t *free)
{
	struct bucket *t = buckets(v);
	uint32_t i = hslot(v, key);

	*free = NIL;
	for (uint32_t n = 0; n < v->hcap; n++, i = (i + 1) & (v->hcap - 1)) {
		if (!bpage(v, i))
			return -ENOMEM;
		if (!t[i].head) {
			*free = i;
			return -ENOMSG;
		}
		if (t[i].key == key)
			return bok(v, &t[i]) ? i : damaged(v);
	}
	return -ENOMSG;
}

/* The bucket of key: >= 0 its slot, -ENOMSG, or -EUCLEAN. */
static long bfind(struct qview *v, int64_t key)
{
	uint32_t free;
	long s = probe(v, key, &free);

	return s == -ENOMEM ? -ENOMSG : s;
}

/* A free entry for key, or NIL if the table is (impossibly) full or
 * the filesystem cannot give the entry's page. */
static uint32_t bfree_slot(struct qview *v, int64_t key)
{
	struct bucket *t = buckets(v);
	uint32_t i = hslot(v, key);

	/* Buckets <= nchunks <= hcap / 2: a free entry exists, unless the
	 * table is garbage. */
	for (uint32_t n = 0; n < v->hcap; n++, i = (i + 1) & (v->hcap - 1)) {
		if (!bpage(v, i))
			return NIL;
		if (!t[i].head)
			return i;
	}
	damaged(v);
	return NIL;
}

/* What an index_add() of key will touch, asked for: its probe chain to
 * the key's bucket or a free entry, and the heaps' next entries.  A send
 * then fails with ENOMEM before it stores anything.  0 or -ENOMEM. */
static int index_ready(struct qview *v, int64_t key)
{
	uint32_t nb = v->st->nbuckets, free;
	long s = probe(v, key, &free);

	if (s == -ENOMEM)
		return -ENOMEM;
	if (s != -ENOMSG || nb >= v->nchunks)
		return 0;	/* a bucket already, or garbage index_add finds */
	return ready(v, &heap_tab(v, HK)[nb], 4) ||
	       ready(v, &heap_tab(v, HS)[nb], 4) ? -ENOMEM : 0;
}

/* ---- heaps of buckets: by key (HK) and by head seq (HS) --------------- */

/* Heap entries are bucket slots read from the store: checked before use;
 * a bad one marks the store damaged and the operation stops short. */
static bool sok(struct qview *v, uint32_t slot)
{
	if (likely(slot < v->hcap))
		return true;
	damaged(v);
	return false;
}

static bool less(struct qview *v, int which, uint32_t a, uint32_t b)
{
	struct bucket *t = buckets(v);

	if (!sok(v, a) || !sok(v, b))
		return false;
	return which == HK ? t[a].key < t[b].key : t[a].hseq < t[b].hseq;
}

static void hset(struct qview *v, int which, uint32_t pos, uint32_t slot)
{
	if (!sok(v, slot) || pos >= v->nchunks)
		return;
	heap_tab(v, which)[pos] = slot;
	if (which == HK)
		buckets(v)[slot].kpos = pos;
	else
		buckets(v)[slot].spos = pos;
}

static void sift_up(struct qview *v, int which, uint32_t pos)
{
	uint32_t *t = heap_tab(v, which), x = t[pos];

	while (pos > 0) {
		uint32_t up = (pos - 1) / 2;
		if (!less(v, which, x, t[up]))
			break;
		hset(v, which, pos, t[up]);
		pos = up;
	}
	hset(v, which, pos, x);
}

static void sift_down(struct qview *v, int which, uint32_t pos, uint32_t n)
{
	uint32_t *t = heap_tab(v, which), x = t[pos], start = pos;

	for (;;) {
		uint32_t c = 2 * pos + 1;
		if (c >= n)
			break;
		if (c + 1 < n && less(v, which, t[c + 1], t[c]))
			c++;
		if (!less(v, which, t[c], x))
			break;
		hset(v, which, pos, t[c]);
		pos = c;
	}
	if (pos != start)	/* in place: leave its lines alone */
		hset(v, which, pos, x);
}

static void heap_add(struct qview *v, int which, uint32_t slot, uint32_t n)
{
	hset(v, which, n, slot);
	sift_up(v, which, n);
}

static void heap_del(struct qview *v, int which, uint32_t pos, uint32_t n)
{
	uint32_t last = heap_tab(v, which)[n - 1];

	if (pos == n - 1 || !sok(v, last))
		return;
	hset(v, which, pos, last);
	sift_down(v, which, pos, n - 1);
	sift_up(v, which, which == HK ? buckets(v)[last].kpos :
					buckets(v)[last].spos);
}

static bool heaps_ok(struct qview *v, uint32_t slot)
{
	struct bucket *b = &buckets(v)[slot];
	uint32_t n = v->st->nbuckets;

	return n <= v->nchunks && b->kpos < n && b->spos < n &&
	       heap_tab(v, HK)[b->kpos] == slot &&
	       heap_tab(v, HS)[b->spos] == slot;
}

/* Empty a bucket's entry, shifting later entries of its probe chain back
 * so that none becomes unreachable; their heap entries follow them.  A
 * chain ends at an empty entry within hcap steps, unless the table is
 * garbage: a full one would keep shifting for O(hcap^2) steps. */
static void bucket_drop(struct qview *v, uint32_t j)
{
	struct bucket *t = buckets(v);
	uint32_t mask = v->hcap - 1, n = v->st->nbuckets, steps = 0;

	heap_del(v, HK, t[j].kpos, n);
	heap_del(v, HS, t[j].spos, n);
	v->st->nbuckets = n - 1;
	for (uint32_t i = j;;) {
		t[j].head = 0;
		for (;;) {
			i = (i + 1) & mask;
			if (!bpage(v, i) || !t[i].head)
				return;
			if (++steps >= v->hcap) {
				damaged(v);
				return;
			}
			uint32_t home = hslot(v, t[i].key);
			bool stays = j <= i ? (j < home && home <= i) :
					      (j < home || home <= i);
			if (!stays) {
				t[j] = t[i];
				if (t[j].kpos >= v->nchunks ||
				    t[j].spos >= v->nchunks) {
					damaged(v);
					return;
				}
				heap_tab(v, HK)[t[j].kpos] = j;
				heap_tab(v, HS)[t[j].spos] = j;
				j = i;
				break;
			}
		}
	}
}

/* ---- the queue's order ------------------------------------------------ */

static void index_add(struct qview *v, uint32_t idx)
{
	struct store_hdr *st = v->st;
	struct msg *m = M(v, idx);
	uint32_t j;
	long s = probe(v, m->key, &j);

	m->bnext = NIL;
	if (s == -ENOMSG || s == -ENOMEM) {
		uint32_t n = st->nbuckets;
		/* The heaps' pages, unless index_ready() asked for them. */
		if (n >= v->nchunks || j == NIL ||
		    ready(v, &heap_tab(v, HK)[n], 4) ||
		    ready(v, &heap_tab(v, HS)[n], 4)) {
			damaged(v);
			return;
		}
		struct bucket *b = &buckets(v)[j];
		b->key = m->key;
		b->head = idx + 1;
		b->tail = idx;
		b->hseq = m->seq;
		heap_add(v, HK, j, n);
		heap_add(v, HS, j, n);
		st->nbuckets = n + 1;
	} else if (s >= 0) {
		struct bucket *b = &buckets(v)[s];
		M(v, b->tail)->bnext = idx;
		b->tail = idx;
	}
}

/* Take the head of bucket `slot` out of the order. */
static void index_del(struct qview *v, uint32_t slot)
{
	struct bucket *b = &buckets(v)[slot];
	uint32_t nx = M(v, b->head - 1)->bnext;

	if (!heaps_ok(v, slot)) {
		damaged(v);
		return;
	}
	if (nx == NIL) {
		bucket_drop(v, slot);
	} else if (ok(v, nx)) {
		b->head = nx + 1;
		b->hseq = M(v, nx)->seq;
		sift_down(v, HS, b->spos, v->st->nbuckets);
	} else {
		damaged(v);
	}
}

/* ---- blocks of chunks ------------------------------------------------- */

#define BLK(k) ((uint64_t)1 << (k))

/* The order of the block a message of len bytes takes, or -1 if no block
 * of this store could hold it (a garbage len). */
static int msg_order(struct qview *v, uint64_t len)
{
	uint64_t n;
	int k = 0;

	if (len > (uint64_t)v->nchunks * v->chunk)
		return -1;
	n = (sizeof(struct msg) + len + v->chunk - 1) / v->chunk;
	while (BLK(k) < n)
		k++;
	return k;
}

/* Is [i, i + 2^k) a block of the tiled part (below bump)? */
static bool blk_ok(struct qview *v, uint64_t i, int k)
{
	uint64_t top = v->st->bump;

	return k >= 0 && k < STORE_ORDERS && !(i & (BLK(k) - 1)) &&
	       top <= v->nchunks && i + BLK(k) <= top;
}

static void list_push(struct qview *v, uint32_t *list, uint64_t i, int k)
{
	struct msg *m = M(v, (uint32_t)i);

	m->next_chunk = *list;
	__atomic_store_n(&m->state, CH_FREE | (uint32_t)k, __ATOMIC_RELEASE);
	*list = (uint32_t)i;
}

/* Cut [a, b) into the largest aligned blocks, free on the lists. */
static void carve(struct qview *v, uint32_t *lists, uint64_t a, uint64_t b)
{
	while (a < b) {
		int k = STORE_ORDERS - 1;
		while ((a & (BLK(k) - 1)) || a + BLK(k) > b)
			k--;
		list_push(v, &lists[k], a, k);
		a += BLK(k);
	}
}

/*
 * A block of order k for a message of len bytes, its header written
 * (CH_RESERVED) before anything makes it part of the tiling: from a list
 * of order k, else a larger one split (upper halves first: inside the
 * block, they are unseen until its own state changes), else above bump,
 * whose chunks must still be blank (a bump below the tiling is garbage).
 * >= 0 the block, -ENOSPC, or -EUCLEAN.
 */
static long blk_alloc(struct qview *v, int k, uint64_t len)
{
	struct store_hdr *st = v->st;
	uint64_t top = st->bump, p;
	int j;

	for (j = k; j < STORE_ORDERS; j++) {
		if (st->afree[j] == NIL && st->ffree[j] != NIL) {
			st->afree[j] = st->ffree[j];
			st->ffree[j] = NIL;
		}
		if (st->afree[j] != NIL)
			break;
	}
	if (j < STORE_ORDERS) {
		p = st->afree[j];
		if (!blk_ok(v, p, j) || M(v, (uint32_t)p)->state !=
		    (CH_FREE | (uint32_t)j))
			return damaged(v);
		/* The halves' headers, the message's text: pages that may
		 * never have been touched (pages.c). */
		for (int i = k; i < j; i++)
			if (ready(v, M(v, (uint32_t)(p + BLK(i))),
				  sizeof(struct msg)))
				return -ENOMEM;
		if (ready(v, M(v, (uint32_t)p), sizeof(struct msg) + len))
			return -ENOMEM;
		st->afree[j] = M(v, (uint32_t)p)->next_chunk;
		while (j > k) {
			j--;
			list_push(v, &st->afree[j], p + BLK(j), j);
		}
	} else {
		if (top > v->nchunks)
			return damaged(v);
		p = (top + BLK(k) - 1) & ~(BLK(k) - 1);
		if (p + BLK(k) > v->nchunks)
			return -ENOSPC;
		/* Chunks never touched: asked for before they are read, from
		 * top to the last one's state or the text's end (pages.c). */
		char *end = (char *)(M(v, (uint32_t)p) + 1) + len,
		     *last = (char *)(M(v, (uint32_t)(p + BLK(k) - 1)) + 1);
		if (ready(v, M(v, (uint32_t)top), (size_t)((end > last ? end :
			  last) - (char *)M(v, (uint32_t)top))))
			return -ENOMEM;
		for (uint64_t i = top; i < p + BLK(k); i++)
			if (M(v, (uint32_t)i)->state)
				return damaged(v);
		carve(v, st->afree, top, p);
	}
	struct msg *m = M(v, (uint32_t)p);
	m->len = len;
	m->owner = NIL;
	__atomic_store_n(&m->state, CH_RESERVED, __ATOMIC_RELEASE);
	if (p >= top)	/* the new blocks' states first, then the mark */
		__atomic_store_n(&st->bump, (uint32_t)(p + BLK(k)),
				 __ATOMIC_RELEASE);
	return (long)p;
}

/*
 * Walk the tiling from chunk 0 to top: visit(v, ctx, i, k) for each
 * message block.  A blank state (0: never used) is a free chunk.  A state
 * that is no block's (garbage) is a free chunk for a repair (salvage),
 * else ends the walk with -EUCLEAN.  *last: the end of the last block
 * whose state is not blank.
 */
static long walk(struct qview *v, uint64_t top, bool salvage,
		 long (*visit)(struct qview *v, void *ctx, uint32_t i, int k),
		 void *ctx, uint64_t *last)
{
	*last = 0;
	for (uint64_t i = 0; i < top;) {
		struct msg *m = M(v, (uint32_t)i);
		uint32_t s = m->state;
		int k = -1;
		if (!s) {
			i++;
			continue;
		}
		if ((s & ~31u) == CH_FREE) {
			k = (int)(s & 31);
		} else if (s == CH_RESERVED || s == CH_QUEUED ||
			   s == CH_INFLIGHT) {
			k = msg_order(v, m->len);
			if (k >= 0 && i + BLK(k) <= top && !(i & (BLK(k) - 1))) {
				long r = visit(v, ctx, (uint32_t)i, k);
				if (r < 0)
					return r;
				i += BLK(k);
				*last = i;
				continue;
			}
			k = -1;
		}
		if (k < 0 || k >= STORE_ORDERS || (i & (BLK(k) - 1)) ||
		    i + BLK(k) > top) {
			if (!salvage)
				return damaged(v);
			k = 0;
		}
		i += BLK(k);
		*last = i;
	}
	return 0;
}

/* What a message block does in a rewrite of the free space. */
struct sweep {
	uint64_t from;		/* start of the free run being gathered */
	const uint32_t *used;	/* kept blocks (rebuild), or NULL: keep all */
	uint32_t nused, at;
};

static long sweep_keep(struct qview *v, void *ctx, uint32_t i, int k)
{
	struct sweep *w = ctx;

	if (w->used) {		/* a rebuild: only the blocks it kept */
		if (w->at >= w->nused || w->used[w->at] != i)
			return 0;
		w->at++;
	}
	carve(v, v->st->ffree, w->from, i);
	w->from = i + BLK(k);
	return 0;
}

/*
 * Rewrite all free space as the largest blocks it holds.  Every message
 * block stays, or (a rebuild: used != NULL) those of used[], in chunk
 * order.  Lists are derived: emptied, then filled.  Free runs are cut
 * where their blocks already start (aligned blocks nest), so each state
 * written only merges blocks: a crash between any two leaves a tiling.
 * A rebuild trusts no bump: it walks every chunk, and puts bump after the
 * last one not blank, so that all above it stay blank.
 */
static long coalesce(struct qview *v, const uint32_t *used, uint32_t nused)
{
	struct store_hdr *st = v->st;
	struct sweep w = { 0, used, nused, 0 };
	uint64_t top = used ? v->nchunks : st->bump, last;
	long r;

	if (top > v->nchunks)
		return damaged(v);
	for (int k = 0; k < STORE_ORDERS; k++)
		st->afree[k] = st->ffree[k] = NIL;
	r = walk(v, top, used != NULL, sweep_keep, &w, &last);
	if (r < 0)
		return r;
	if (used)
		top = last > w.from ? last : w.from;
	carve(v, st->ffree, w.from, top);
	__atomic_store_n(&st->bump, (uint32_t)top, __ATOMIC_RELEASE);
	return 0;
}

/* Zero [from, to) of a mapping: whole pages are given back to tmpfs. */
static void zero_range(void *base, size_t from, size_t to)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t a = (from + pg - 1) & ~(pg - 1), b = to & ~(pg - 1);

	if (a >= b || madvise((char *)base + a, b - a, MADV_REMOVE)) {
		memset((char *)base + from, 0, to - from);
		return;
	}
	memset((char *)base + from, 0, a - from);
	memset((char *)base + b, 0, to - b);
}

/*
 * The pages a growth to newn chunks writes, asked for before it changes
 * anything (pages.c): zero_range()'s partial pages, the new heaps' first
 * nb entries, and the home entries of the nb buckets kept.  0 or
 * -ENOMEM.
 */
static int grow_ready(struct qview *v, uint32_t newn, size_t ooff,
		      const struct bucket *keep, uint32_t nb)
{
	uint32_t hcap = hcap_for(newn);
	char *st = (char *)v->st,
	     *t = st + STORE_HDR_SIZE + (size_t)newn * v->chunk,
	     *hk = t + (size_t)hcap * sizeof(struct bucket);
	size_t end = store_size(v->chunk, newn);

	if (ready(v, st + ooff, 1) || ready(v, st + end - 1, 1) ||
	    ready(v, hk, (size_t)nb * 4) ||
	    ready(v, hk + (size_t)newn * 4, (size_t)nb * 4))
		return -ENOMEM;
	for (uint32_t i = 0; i < nb; i++)
		if (ready(v, t + (size_t)hslot_in(hcap, keep[i].key) *
			  sizeof(struct bucket), sizeof(struct bucket)))
			return -ENOMEM;
	return 0;
}

/*
 * Grow the store so that `need` chunks are free.  The new index area lies
 * beyond the old layout, so it is built from the old one before nchunks -
 * the commit - changes (L3); a crash before leaves the old store intact.
 */
static int store_grow(struct ns *ns, struct qview *v, int k)
{
	uint64_t n = v->nchunks, newn = n * 2, top = v->st->bump;
	uint32_t nb = v->st->nbuckets, moved = 0;
	struct bucket *keep;
	size_t ooff;
	int r;

	if (top > n)
		return (int)damaged(v);
	top = (top + BLK(k) - 1) & ~(BLK(k) - 1);
	while (newn < top + BLK(k))
		newn *= 2;
	if (newn > (1u << 30) || nb > n)
		return -ENOMEM;
	/* The buckets, copied out: with small chunks the new index area
	 * may overlap the old one. */
	keep = malloc((size_t)nb * sizeof(*keep) + 1);
	if (!keep)
		return -ENOMEM;
	for (uint32_t i = 0; i < v->hcap; i++) {
		struct bucket *b = &buckets(v)[i];
		/* Every entry is read: a page never touched is asked for
		 * first (a hole the filesystem cannot fill: empty). */
		if (!bpage(v, i) || !b->head)
			continue;
		if (!bok(v, b) || moved >= nb) {
			free(keep);
			return (int)damaged(v);
		}
		keep[moved++] = *b;
	}
	if (moved != nb) {
		free(keep);
		return (int)damaged(v);
	}
	ooff = (size_t)((char *)buckets(v) - (char *)v->st);
	r = qview_grow(ns, v, store_size(v->chunk, (uint32_t)newn));
	if (!r)		/* room for what it writes, before it changes any */
		r = grow_ready(v, (uint32_t)newn, ooff, keep, nb);
	if (r) {
		free(keep);
		return r;
	}
	FAULT(FP_GROW);
	uint32_t on = v->nchunks, oh = v->hcap;
	v->nchunks = (uint32_t)newn;
	v->hcap = hcap_for(v->nchunks);
	/* The old indexes become chunks: left as they are, a bucket key
	 * there could read as a chunk state after a crash.  The new area,
	 * fresh from ftruncate or left by a growth that crashed, starts
	 * empty. */
	zero_range(v->st, ooff, store_size(v->chunk, v->nchunks));
	/* Its whole pages went back to the filesystem: asked for again,
	 * into the room they left (pages.c). */
	pages_forget(&v->pg);
	if (grow_ready(v, (uint32_t)newn, ooff, keep, nb))
		damaged(v);
	for (uint32_t i = 0; i < nb && !v->st->damaged; i++) {
		uint32_t j = bfree_slot(v, keep[i].key);
		if (j == NIL) {		/* a page grow_ready() did not see */
			damaged(v);
			break;
		}
		buckets(v)[j] = keep[i];
		heap_add(v, HK, j, i);
		heap_add(v, HS, j, i);
	}
	free(keep);
	if (v->st->damaged) {
		/* Not committed: this view keeps the store's real geometry. */
		v->nchunks = on;
		v->hcap = oh;
		return -EUCLEAN;
	}
	__atomic_store_n(&v->st->nchunks, v->nchunks, __ATOMIC_RELEASE);
	return 0;
}

int store_put(struct ns *ns, struct qview *v, int64_t key, const void *text,
	      size_t len, uint32_t *out)
{
	int k = msg_order(v, len);
	long h;

	/* Any order fits a doubled store; none beyond 2^30 chunks. */
	while (k < 0 && (uint64_t)v->nchunks * 2 <= (1u << 30)) {
		int r = store_grow(ns, v, 0);
		if (r)
			return r;
		k = msg_order(v, len);
	}
	if (k < 0)
		return -ENOMEM;
	if (index_ready(v, key))
		return -ENOMEM;
	h = blk_alloc(v, k, len);
	if (h == -ENOSPC) {	/* no block: gather the free space, or grow */
		long r = coalesce(v, NULL, 0);
		h = r < 0 ? r : blk_alloc(v, k, len);
	}
	if (h == -ENOSPC) {
		int r = store_grow(ns, v, k);
		/* index_ready() looked at the old index: the new one's
		 * pages are asked for again. */
		if (!r && index_ready(v, key))
			r = -ENOMEM;
		h = r ? r : blk_alloc(v, k, len);
	}
	if (h < 0)
		return (int)h;
	struct msg *m = M(v, (uint32_t)h);
	m->key = key;
	m->mark = 0;
	/* text may be NULL for an empty message; one that faults (the
	 * caller's, unmapped since it was looked at) leaves no block. */
	if (len && ucopy(m + 1, text, len)) {
		store_free(v, (uint32_t)h);
		return -EFAULT;
	}
	*out = (uint32_t)h;
	return 0;
}

/*
 * What store_link() of heads[0..n) in turn will touch, asked for: a
 * pass that reserved them all (lane.c absorb) asked index_ready() for
 * each against the index as it was, with none linked - the buckets the
 * earlier ones make lengthen the later ones' chains and take heap
 * entries past the first, and a growth between moved the index.  For a
 * few keys (a lane mostly holds one or two), each new key's chain up to
 * its bucket, or as many free entries as new keys came before it, and
 * one (each of those takes one at most); for more, the whole bucket
 * table, which that many keys spread over anyway - so that this is
 * O(n), not O(n^2).  0 or -ENOMEM.
 */
#define LINK_FEW 16

int store_link_ready(struct qview *v, const uint32_t *heads, uint32_t n)
{
	struct bucket *t = buckets(v);
	uint32_t nb = v->st->nbuckets, fresh = 0, nk = 0;
	int64_t keys[LINK_FEW];

	for (uint32_t a = 0; a < n && nk <= LINK_FEW; a++) {
		int64_t key = M(v, heads[a])->key;
		uint32_t j = 0;

		while (j < nk && keys[j] != key)
			j++;
		if (j == nk && nk++ < LINK_FEW)
			keys[j] = key;
	}
	if (nk > LINK_FEW) {
		fresh = n;
		if (ready(v, t, (size_t)v->hcap * sizeof(*t)))
			return -ENOMEM;
	}
	for (uint32_t a = 0; a < nk && nk <= LINK_FEW; a++) {
		uint32_t i = hslot(v, keys[a]), room = fresh + 1;

		for (uint32_t steps = 0; steps < v->hcap && room;
		     steps++, i = (i + 1) & (v->hcap - 1)) {
			if (!bpage(v, i))
				return -ENOMEM;
			if (!t[i].head)
				room--;
			else if (t[i].key == keys[a])
				break;
		}
		if (room != fresh + 1)	/* a free entry first: a new bucket */
			fresh++;
	}
	if (!fresh || nb >= v->nchunks)
		return 0;	/* garbage: index_add() finds it */
	if (fresh > v->nchunks - nb)
		fresh = v->nchunks - nb;
	return ready(v, &heap_tab(v, HK)[nb], (size_t)fresh * 4) ||
	       ready(v, &heap_tab(v, HS)[nb], (size_t)fresh * 4) ? -ENOMEM : 0;
}

void store_link(struct qview *v, uint32_t head)
{
	struct msg *m = M(v, head);

	m->seq = v->st->next_seq++;
	__atomic_store_n(&m->state, CH_QUEUED, __ATOMIC_RELEASE);
	index_add(v, head);
}

void store_inflight(struct qview *v, uint32_t head, uint32_t owner)
{
	struct msg *m = M(v, head);

	m->owner = owner;
	__atomic_store_n(&m->state, CH_INFLIGHT, __ATOMIC_RELEASE);
}

/* The message's state goes, whatever else is wrong: a rebuild must not
 * bring it back. */
void store_free(struct qview *v, uint32_t head)
{
	int k = msg_order(v, M(v, head)->len);

	if (!blk_ok(v, head, k)) {
		damaged(v);
		if (k < 0 || (head & (BLK(k) - 1)) ||
		    head + BLK(k) > v->nchunks)
			k = 0;
		__atomic_store_n(&M(v, head)->state, CH_FREE | (uint32_t)k,
				 __ATOMIC_RELEASE);
		return;
	}
	list_push(v, &v->st->ffree[k], head, k);
}

void store_take(struct qview *v, uint32_t head)
{
	long s = bfind(v, M(v, head)->key);

	/* Only a bucket head is ever taken (see layout.h). */
	if (s < 0 || buckets(v)[s].head != head + 1)
		damaged(v);
	else
		index_del(v, (uint32_t)s);
	store_free(v, head);
}

/* The head of the bucket in slot s, checked. */
static long head_of(struct qview *v, uint32_t s)
{
	struct bucket *b = &buckets(v)[s];

	if (s >= v->hcap || !bok(v, b) ||
	    M(v, b->head - 1)->state != CH_QUEUED)
		return damaged(v);
	return b->head - 1;
}

long store_find(struct qview *v, int mode, int64_t type)
{
	struct store_hdr *st = v->st;
	uint32_t nb = st->nbuckets, *h, best = NIL;
	long s;

	if (st->damaged || nb > v->nchunks)
		return damaged(v);
	if (!nb)
		return -ENOMSG;
	switch (mode) {
	case SEARCH_ANY:
		return head_of(v, heap_tab(v, HS)[0]);
	case SEARCH_EQUAL:
		s = bfind(v, type);
		return s < 0 ? s : head_of(v, (uint32_t)s);
	case SEARCH_LESSEQUAL:
		s = heap_tab(v, HK)[0];
		if (s >= v->hcap)
			return damaged(v);
		return buckets(v)[s].key > type ? -ENOMSG :
						  head_of(v, (uint32_t)s);
	case SEARCH_NOTEQUAL:
		/* Keys are distinct: the oldest head of another key is the
		 * root of the seq heap or one of its children. */
		h = heap_tab(v, HS);
		for (uint32_t i = 0; i < 3 && i < nb; i++) {
			if (h[i] >= v->hcap)
				return damaged(v);
			if (buckets(v)[h[i]].key != type &&
			    (best == NIL || less(v, HS, h[i], best)))
				best = h[i];
			if (i == 0 && best != NIL)
				break;
		}
		return best == NIL ? -ENOMSG : head_of(v, best);
	}
	return -EINVAL;
}

/* Does a message of key k match the selector (the kernel's testmsg)? */
static bool selects(int mode, int64_t type, int64_t k)
{
	switch (mode) {
	case SEARCH_EQUAL:
		return k == type;
	case SEARCH_LESSEQUAL:
		return k <= type;
	case SEARCH_NOTEQUAL:
		return k != type;
	}
	return true;		/* SEARCH_ANY, SEARCH_NUMBER */
}

/*
 * The messages a series of receives with selector (mode, type) would
 * take, in that order (MSG_COPY's n-th message, umq_msgpeek): merge the
 * selected buckets with a small heap of cursors, by seq - or by key then
 * seq for SEARCH_LESSEQUAL, which takes the lowest key first.  From the
 * skip-th message on, visit(ctx, head) until it returns non-zero, which
 * is returned; 0 when the messages run out.  O((skip + visited) log
 * buckets), memory for the cursors.
 */
/* store_scan's cursors: on the stack for a few buckets, else mapped. */
#define SCAN_FEW 256

static void scan_free(uint32_t *cur, const uint32_t *few, size_t len)
{
	if (cur != few)
		munmap(cur, len);
}

long store_scan(struct qview *v, int mode, int64_t type, uint64_t skip,
		long (*visit)(void *ctx, uint32_t head), void *ctx)
{
	uint32_t nb = v->st->nbuckets, cnt = 0;
	struct bucket *t = buckets(v);
	bool bykey = mode == SEARCH_LESSEQUAL;
	uint32_t few[SCAN_FEW], *cur = few;
	size_t len = (size_t)nb * sizeof(*cur);
	long r = 0;

	if (v->st->damaged || nb > v->nchunks)
		return damaged(v);
	/* No malloc: a signal handler's peek comes here (DESIGN §8). */
	if (nb > SCAN_FEW) {
		cur = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (cur == MAP_FAILED)
			return -ENOMEM;
	}
	/* Entries in pages never touched are asked for before they are
	 * read (a hole the filesystem cannot fill is empty): a read of a
	 * hole on a full filesystem would put a private page there, where
	 * this process would then keep buckets no other one sees. */
	for (uint32_t i = 0, seen = 0; i < v->hcap && seen < nb; i++)
		if (bpage(v, i) && t[i].head) {
			seen++;
			if (!bok(v, &t[i])) {
				scan_free(cur, few, len);
				return damaged(v);
			}
			if (selects(mode, type, t[i].key))
				cur[cnt++] = t[i].head - 1;
		}
	/* A binary heap of chunk indexes ordered by (key,) seq. */
#define LESS(a, b) (bykey && M(v, cur[a])->key != M(v, cur[b])->key ?	\
		    M(v, cur[a])->key < M(v, cur[b])->key :		\
		    M(v, cur[a])->seq < M(v, cur[b])->seq)
#define SIFT(from)							\
	for (uint32_t p = (from), c; (c = 2 * p + 1) < cnt; p = c) {	\
		if (c + 1 < cnt && LESS(c + 1, c))			\
			c++;						\
		if (!LESS(c, p))					\
			break;						\
		uint32_t x = cur[p]; cur[p] = cur[c]; cur[c] = x;	\
	}
	for (uint32_t i = cnt / 2; i-- > 0;)
		SIFT(i);
	for (uint64_t k = 0; cnt && k <= v->nchunks; k++) {
		uint32_t top = cur[0];
		if (M(v, top)->state != CH_QUEUED) {
			r = damaged(v);
			break;
		}
		if (k >= skip) {
			r = visit(ctx, top);
			if (r)
				break;
		}
		uint32_t nx = M(v, top)->bnext;
		if (nx == NIL)
			cur[0] = cur[--cnt];
		else if (ok(v, nx))
			cur[0] = nx;
		else {
			r = damaged(v);
			break;
		}
		SIFT(0);
	}
#undef SIFT
#undef LESS
	scan_free(cur, few, len);
	return r;
}

static long take_first(void *ctx, uint32_t head)
{
	*(uint32_t *)ctx = head;
	return 1;
}

/* The n-th message in queue order (MSG_COPY). */
long store_nth(struct qview *v, uint64_t n)
{
	uint32_t h = NIL;
	long r = store_scan(v, SEARCH_ANY, 0, n, take_first, &h);

	return r == 1 ? (long)h : r ? r : -ENOMSG;
}

int store_read(struct qview *v, uint32_t head, void *dst, size_t n)
{
	/* n <= len, which the block holds, unless len changed under us. */
	if (n > ((uint64_t)v->nchunks - head) * v->chunk - sizeof(struct msg))
		return (int)damaged(v);
	/* dst may be NULL for an empty message */
	return n ? ucopy(dst, M(v, head) + 1, n) : 0;
}

/* ---- recovery --------------------------------------------------------- */

struct stamp {
	uint64_t seq;
	uint32_t idx;
};

static int by_seq(const void *a, const void *b)
{
	const struct stamp *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The first walk of a rebuild: which message blocks stay. */
struct survey {
	bool (*keep)(void *ctx, uint64_t gen, uint32_t owner, uint32_t head,
		     const struct msg *m);
	void *ctx;
	uint32_t *used, nused;		/* kept blocks, in chunk order */
	struct stamp *q;		/* queued messages */
	uint32_t cnt;
	uint64_t maxseq;
};

static long survey_one(struct qview *v, void *ctx, uint32_t i, int k)
{
	struct survey *sv = ctx;
	struct msg *m = M(v, i);
	uint32_t s = m->state;

	(void)k;
	if (s == CH_RESERVED || (s == CH_INFLIGHT &&
	    !(sv->keep && sv->keep(sv->ctx, v->gen, m->owner, i, m))))
		return 0;
	sv->used[sv->nused++] = i;
	if (s == CH_QUEUED) {
		sv->q[sv->cnt].seq = m->seq;
		sv->q[sv->cnt].idx = i;
		sv->cnt++;
		if (m->seq > sv->maxseq)
			sv->maxseq = m->seq;
	}
	return 0;
}

int store_rebuild(struct qview *v,
		  bool (*keep)(void *ctx, uint64_t gen, uint32_t owner,
			     uint32_t head, const struct msg *m),
		  void *ctx, uint64_t *qnum, uint64_t *cbytes)
{
	struct store_hdr *st = v->st;
	uint32_t n = v->nchunks;
	struct survey sv = { keep, ctx, malloc((size_t)n * 4), 0,
			     malloc((size_t)n * sizeof(struct stamp)), 0, 0 };

	if (!sv.used || !sv.q) {
		free(sv.used);
		free(sv.q);
		return -ENOMEM;
	}
	/* A rebuild touches every page of the store: asked for first, so
	 * that a full filesystem leaves it damaged, not diverging - all of
	 * them, as a growth that died may have given some back. */
	pages_forget(&v->pg);
	if (ready(v, st, store_size(v->chunk, n))) {
		free(sv.used);
		free(sv.q);
		return -ENOMEM;
	}
	/* Both walks take the same path: the second writes only behind
	 * itself. */
	uint64_t last;
	walk(v, n, true, survey_one, &sv, &last);
	qsort(sv.q, sv.cnt, sizeof(*sv.q), by_seq);
	coalesce(v, sv.used, sv.nused);
	memset(buckets(v), 0, (size_t)v->hcap * sizeof(struct bucket));
	st->nbuckets = 0;
	st->next_seq = sv.maxseq + 1;
	st->damaged = 0;
	*qnum = *cbytes = 0;
	for (uint32_t j = 0; j < sv.cnt; j++) {
		index_add(v, sv.q[j].idx);
		*qnum += 1;
		*cbytes += M(v, sv.q[j].idx)->len;
	}
	free(sv.used);
	free(sv.q);
	return st->damaged ? -EUCLEAN : 0;
}
