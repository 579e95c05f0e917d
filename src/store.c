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

#include "internal.h"

#define HEAD_CAP(v) ((v)->chunk - sizeof(struct msg))
#define CONT_CAP(v) ((v)->chunk - sizeof(struct cont))
#define HK 0				/* key heap */
#define HS 1				/* seq heap */

static uint32_t hcap_for(uint32_t nchunks)
{
	uint32_t c = 16;
	while (c < 2 * (uint64_t)nchunks)
		c <<= 1;
	return c;
}

size_t store_size(uint32_t chunk, uint32_t nchunks)
{
	return STORE_HDR_SIZE + (size_t)nchunks * chunk +
	       ((size_t)hcap_for(nchunks) + 2 * (size_t)nchunks) * 4;
}

static void *chunk_at(struct qview *v, uint32_t i)
{
	return (char *)v->st + STORE_HDR_SIZE + (size_t)i * v->chunk;
}

#define M(v, i) ((struct msg *)chunk_at(v, i))
#define C(v, i) ((struct cont *)chunk_at(v, i))

static uint32_t *hash_tab(struct qview *v)
{
	return (uint32_t *)chunk_at(v, v->nchunks);
}

static uint32_t *heap_tab(struct qview *v, int which)
{
	return hash_tab(v) + v->hcap + (size_t)which * v->nchunks;
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
	st->free_head = st->head = st->tail = NIL;
	st->next_seq = 1;
	memset((char *)base + STORE_HDR_SIZE + (size_t)nchunks * chunk, 0xff,
	       (size_t)hcap_for(nchunks) * 4);
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
	    chunk < 128 || chunk % 64 || chunk > (64u << 20) || n < 1 ||
	    n > (1u << 30) || store_size(chunk, n) > v->size)
		return -EUCLEAN;
	v->chunk = chunk;
	v->nchunks = n;
	v->hcap = hcap_for(n);
	return 0;
}

/* ---- hash: bucket head by key (linear probing) ------------------------ */

static uint32_t hslot(struct qview *v, int64_t key)
{
	return (uint32_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> 32) &
	       (v->hcap - 1);
}

static long hfind(struct qview *v, int64_t key)
{
	uint32_t *h = hash_tab(v), i = hslot(v, key);

	for (uint32_t n = 0; n < v->hcap; n++, i = (i + 1) & (v->hcap - 1)) {
		uint32_t e = h[i];
		if (e == NIL)
			return NIL;
		if (!ok(v, e))
			return damaged(v);
		if (M(v, e)->key == key)
			return e;
	}
	return NIL;
}

/* Position of the entry holding idx, or -1. */
static long hpos(struct qview *v, uint32_t idx)
{
	uint32_t *h = hash_tab(v), i = hslot(v, M(v, idx)->key);

	for (uint32_t n = 0; n < v->hcap; n++, i = (i + 1) & (v->hcap - 1)) {
		if (h[i] == idx)
			return i;
		if (h[i] == NIL)
			break;
	}
	return -1;
}

static void hput(struct qview *v, uint32_t idx)
{
	uint32_t *h = hash_tab(v), i = hslot(v, M(v, idx)->key);

	/* Buckets <= nchunks <= hcap / 2: a free entry exists. */
	while (h[i] != NIL)
		i = (i + 1) & (v->hcap - 1);
	h[i] = idx;
}

static void hdel(struct qview *v, uint32_t idx)
{
	uint32_t *h = hash_tab(v), mask = v->hcap - 1;
	long p = hpos(v, idx);

	if (p < 0) {
		damaged(v);
		return;
	}
	/* Backward-shift deletion keeps every probe chain unbroken. */
	for (uint32_t j = (uint32_t)p, i = j;;) {
		h[j] = NIL;
		for (;;) {
			i = (i + 1) & mask;
			uint32_t e = h[i];
			if (e == NIL)
				return;
			if (!ok(v, e)) {
				damaged(v);
				return;
			}
			uint32_t home = hslot(v, M(v, e)->key);
			bool stays = j <= i ? (j < home && home <= i) :
					      (j < home || home <= i);
			if (!stays) {
				h[j] = e;
				j = i;
				break;
			}
		}
	}
}

/* ---- heaps of bucket heads: by key (HK) and by head seq (HS) ---------- */

static bool less(struct qview *v, int which, uint32_t a, uint32_t b)
{
	return which == HK ? M(v, a)->key < M(v, b)->key :
			     M(v, a)->seq < M(v, b)->seq;
}

static void hset(struct qview *v, int which, uint32_t pos, uint32_t idx)
{
	heap_tab(v, which)[pos] = idx;
	if (which == HK)
		M(v, idx)->kpos = pos;
	else
		M(v, idx)->spos = pos;
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
	uint32_t *t = heap_tab(v, which), x = t[pos];

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
	hset(v, which, pos, x);
}

static void heap_del(struct qview *v, int which, uint32_t pos, uint32_t n)
{
	uint32_t *t = heap_tab(v, which), last = t[n - 1];

	if (pos >= n || !ok(v, last)) {
		damaged(v);
		return;
	}
	if (pos == n - 1)
		return;
	hset(v, which, pos, last);
	sift_down(v, which, pos, n - 1);
	sift_up(v, which, which == HK ? M(v, last)->kpos : M(v, last)->spos);
}

/* ---- buckets and the FIFO list ---------------------------------------- */

static void index_add(struct qview *v, uint32_t idx)
{
	struct store_hdr *st = v->st;
	struct msg *m = M(v, idx);
	long b = hfind(v, m->key);

	m->bnext = NIL;
	if (b < 0)
		return;
	if (b == NIL) {
		uint32_t n = st->nbuckets;
		if (n >= v->nchunks) {
			damaged(v);
			return;
		}
		m->btail = idx;
		hput(v, idx);
		hset(v, HK, n, idx);
		sift_up(v, HK, n);
		hset(v, HS, n, idx);
		sift_up(v, HS, n);
		st->nbuckets = n + 1;
	} else {
		struct msg *h = M(v, (uint32_t)b);
		if (!ok(v, h->btail)) {
			damaged(v);
			return;
		}
		M(v, h->btail)->bnext = idx;
		h->btail = idx;
	}
	m->gnext = NIL;
	m->gprev = st->tail;
	if (ok(v, st->tail))
		M(v, st->tail)->gnext = idx;
	else
		st->head = idx;
	st->tail = idx;
}

/* Remove a bucket head from the indexes. */
static void index_del(struct qview *v, uint32_t idx)
{
	struct store_hdr *st = v->st;
	struct msg *m = M(v, idx);
	uint32_t nx = m->bnext, n = st->nbuckets;

	if (m->kpos >= n || m->spos >= n ||
	    heap_tab(v, HK)[m->kpos] != idx ||
	    heap_tab(v, HS)[m->spos] != idx) {
		damaged(v);
		return;
	}
	if (nx == NIL) {
		hdel(v, idx);
		heap_del(v, HK, m->kpos, n);
		heap_del(v, HS, m->spos, n);
		st->nbuckets = n - 1;
	} else if (ok(v, nx)) {
		long p = hpos(v, idx);
		if (p < 0) {
			damaged(v);
			return;
		}
		hash_tab(v)[p] = nx;
		M(v, nx)->btail = m->btail;
		hset(v, HK, m->kpos, nx);	/* same key: order holds */
		hset(v, HS, m->spos, nx);
		sift_down(v, HS, m->spos, n);
	} else {
		damaged(v);
		return;
	}
	if (ok(v, m->gprev))
		M(v, m->gprev)->gnext = m->gnext;
	else
		st->head = ok(v, m->gnext) ? m->gnext : NIL;
	if (ok(v, m->gnext))
		M(v, m->gnext)->gprev = m->gprev;
	else
		st->tail = ok(v, m->gprev) ? m->gprev : NIL;
}

/* ---- chunk allocation ------------------------------------------------- */

static void push_free(struct qview *v, uint32_t i)
{
	struct cont *c = C(v, i);

	__atomic_store_n(&c->state, CH_FREE, __ATOMIC_RELEASE);
	c->next_chunk = v->st->free_head;
	v->st->free_head = i;
	v->st->nfree++;
}

static long pop_free(struct qview *v)
{
	struct store_hdr *st = v->st;
	uint32_t i = st->free_head;

	if (i != NIL) {
		if (!ok(v, i) || C(v, i)->state != CH_FREE || !st->nfree)
			return damaged(v);
		st->free_head = C(v, i)->next_chunk;
		st->nfree--;
		return i;
	}
	if (st->bump < v->nchunks)
		return st->bump++;
	return damaged(v);
}

static uint64_t chunks_for(struct qview *v, size_t len)
{
	if (len <= HEAD_CAP(v))
		return 1;
	return 1 + (len - HEAD_CAP(v) + CONT_CAP(v) - 1) / CONT_CAP(v);
}

static uint64_t avail(struct qview *v)
{
	struct store_hdr *st = v->st;
	uint64_t fresh = st->bump < v->nchunks ? v->nchunks - st->bump : 0;
	return st->nfree + fresh;
}

/*
 * Grow the store so that `need` chunks are free.  The new indexes are
 * built beyond the old end before nchunks - the commit - changes (L3).
 */
static int store_grow(struct ns *ns, struct qview *v, uint64_t need)
{
	struct store_hdr *st;
	uint64_t n = v->nchunks, newn = n * 2;
	uint32_t nb = v->st->nbuckets, *keep;
	int r;

	while (newn - n + avail(v) < need)
		newn *= 2;
	if (newn > (1u << 30) || nb > n)
		return -ENOMEM;
	keep = malloc(2 * (size_t)nb * 4 + 4);
	if (!keep)
		return -ENOMEM;
	memcpy(keep, heap_tab(v, HK), (size_t)nb * 4);
	memcpy(keep + nb, heap_tab(v, HS), (size_t)nb * 4);
	r = qview_grow(ns, v, store_size(v->chunk, (uint32_t)newn));
	if (r) {
		free(keep);
		return r;
	}
	st = v->st;
	v->nchunks = (uint32_t)newn;
	v->hcap = hcap_for(v->nchunks);
	memset(hash_tab(v), 0xff, (size_t)v->hcap * 4);
	for (uint32_t i = 0; i < nb; i++) {
		if (!ok(v, keep[i]) || !ok(v, keep[nb + i])) {
			free(keep);
			return (int)damaged(v);
		}
		hset(v, HK, i, keep[i]);
		hset(v, HS, i, keep[nb + i]);
		hput(v, keep[i]);
	}
	free(keep);
	__atomic_store_n(&st->nchunks, v->nchunks, __ATOMIC_RELEASE);
	return 0;
}

int store_put(struct ns *ns, struct qview *v, int64_t key, const void *text,
	      size_t len, uint32_t *out)
{
	uint64_t need = chunks_for(v, len);
	const char *src = text;
	size_t n;
	long h, c;
	uint32_t *link;

	if (avail(v) < need) {
		int r = store_grow(ns, v, need);
		if (r)
			return r;
	}
	h = pop_free(v);
	if (h < 0)
		return (int)h;
	struct msg *m = M(v, (uint32_t)h);
	m->state = CH_RESERVED;
	m->key = key;
	m->len = len;
	m->owner = NIL;
	n = len < HEAD_CAP(v) ? len : HEAD_CAP(v);
	memcpy(m + 1, src, n);
	src += n;
	len -= n;
	link = &m->next_chunk;
	while (len) {
		c = pop_free(v);
		if (c < 0) {
			*link = NIL;
			store_free(v, (uint32_t)h);
			return (int)c;
		}
		struct cont *k = C(v, (uint32_t)c);
		k->state = CH_CONT;
		*link = (uint32_t)c;
		n = len < CONT_CAP(v) ? len : CONT_CAP(v);
		memcpy(k + 1, src, n);
		src += n;
		len -= n;
		link = &k->next_chunk;
	}
	*link = NIL;
	*out = (uint32_t)h;
	return 0;
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

static void free_chain(struct qview *v, uint32_t head)
{
	struct msg *m = M(v, head);
	uint64_t left = chunks_for(v, m->len) - 1;
	uint32_t c = m->next_chunk;

	push_free(v, head);
	while (left-- && ok(v, c) && C(v, c)->state == CH_CONT) {
		uint32_t next = C(v, c)->next_chunk;
		push_free(v, c);
		c = next;
	}
}

void store_take(struct qview *v, uint32_t head)
{
	index_del(v, head);
	free_chain(v, head);
}

void store_free(struct qview *v, uint32_t head)
{
	free_chain(v, head);
}

long store_find(struct qview *v, int mode, int64_t type)
{
	struct store_hdr *st = v->st;
	uint32_t nb = st->nbuckets, *s, best;
	long r;

	if (st->damaged || nb > v->nchunks)
		return damaged(v);
	if (!nb)
		return -ENOMSG;
	switch (mode) {
	case SEARCH_ANY:
		r = st->head;
		break;
	case SEARCH_EQUAL:
		r = hfind(v, type);
		break;
	case SEARCH_LESSEQUAL:
		r = heap_tab(v, HK)[0];
		if (ok(v, (uint32_t)r) && M(v, (uint32_t)r)->key > type)
			r = NIL;
		break;
	case SEARCH_NOTEQUAL:
		/* Bucket keys are distinct: the oldest head of another key
		 * is the heap root or one of its children. */
		s = heap_tab(v, HS);
		best = NIL;
		for (uint32_t i = 0; i < 3 && i < nb; i++) {
			if (!ok(v, s[i]))
				return damaged(v);
			if (M(v, s[i])->key != type &&
			    (best == NIL || less(v, HS, s[i], best)))
				best = s[i];
			if (i == 0 && best != NIL)
				break;
		}
		r = best;
		break;
	default:
		return -EINVAL;
	}
	if (r < 0)
		return r;
	if (r == NIL)
		return -ENOMSG;
	if (!ok(v, (uint32_t)r) || M(v, (uint32_t)r)->state != CH_QUEUED)
		return damaged(v);
	return r;
}

long store_nth(struct qview *v, uint64_t n)
{
	uint32_t i = v->st->head;

	if (v->st->damaged)
		return damaged(v);
	for (uint64_t k = 0; k <= v->nchunks; k++) {
		if (i == NIL)
			return -ENOMSG;
		if (!ok(v, i) || M(v, i)->state != CH_QUEUED)
			return damaged(v);
		if (k == n)
			return i;
		i = M(v, i)->gnext;
	}
	return damaged(v);
}

int store_read(struct qview *v, uint32_t head, void *dst, size_t n)
{
	struct msg *m = M(v, head);
	char *out = dst;
	size_t k = n < HEAD_CAP(v) ? n : HEAD_CAP(v);
	uint32_t c = m->next_chunk;

	memcpy(out, m + 1, k);
	out += k;
	n -= k;
	while (n) {
		if (!ok(v, c) || C(v, c)->state != CH_CONT)
			return (int)damaged(v);
		k = n < CONT_CAP(v) ? n : CONT_CAP(v);
		memcpy(out, C(v, c) + 1, k);
		out += k;
		n -= k;
		c = C(v, c)->next_chunk;
	}
	return 0;
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

#define USED(u, i) ((u)[(i) / 8] & (1u << ((i) % 8)))
#define MARK(u, i) ((u)[(i) / 8] |= (uint8_t)(1u << ((i) % 8)))

/* A message whose chain is intact and shares no chunk: claim its chunks. */
static bool claim_chain(struct qview *v, uint32_t head, uint8_t *used)
{
	struct msg *m = M(v, head);
	uint64_t left, steps;
	uint32_t c;

	if (USED(used, head) || m->len > (uint64_t)v->nchunks * CONT_CAP(v))
		return false;
	steps = left = chunks_for(v, m->len) - 1;
	for (c = m->next_chunk; left; left--) {
		if (!ok(v, c) || USED(used, c) || C(v, c)->state != CH_CONT)
			return false;
		c = C(v, c)->next_chunk;
	}
	MARK(used, head);
	for (c = m->next_chunk; steps; steps--) {
		MARK(used, c);
		c = C(v, c)->next_chunk;
	}
	return true;
}

int store_rebuild(struct qview *v,
		  bool (*keep)(void *ctx, uint32_t owner, uint32_t head),
		  void *ctx, uint64_t *qnum, uint64_t *cbytes)
{
	struct store_hdr *st = v->st;
	uint32_t n = v->nchunks, cnt = 0, top = 0;
	uint8_t *used = calloc(n / 8 + 1, 1);
	struct stamp *q = malloc((size_t)n * sizeof(*q));
	uint64_t maxseq = 0;

	if (!used || !q) {
		free(used);
		free(q);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct msg *m = M(v, i);
		uint32_t s = m->state;
		if (s == CH_INFLIGHT && !(keep && keep(ctx, m->owner, i)))
			continue;
		if ((s == CH_QUEUED || s == CH_INFLIGHT) &&
		    claim_chain(v, i, used) && s == CH_QUEUED) {
			q[cnt].seq = m->seq;
			q[cnt].idx = i;
			cnt++;
			if (m->seq > maxseq)
				maxseq = m->seq;
		}
	}
	qsort(q, cnt, sizeof(*q), by_seq);
	st->free_head = NIL;
	st->nfree = 0;
	for (uint32_t i = n; i-- > 0;)
		if (USED(used, i)) {
			top = i + 1;
			break;
		}
	st->bump = top;
	for (uint32_t i = top; i-- > 0;)
		if (!USED(used, i))
			push_free(v, i);
	memset(hash_tab(v), 0xff, (size_t)v->hcap * 4);
	st->nbuckets = 0;
	st->head = st->tail = NIL;
	st->next_seq = maxseq + 1;
	st->damaged = 0;
	*qnum = *cbytes = 0;
	for (uint32_t j = 0; j < cnt; j++) {
		index_add(v, q[j].idx);
		*qnum += 1;
		*cbytes += M(v, q[j].idx)->len;
	}
	free(used);
	free(q);
	return st->damaged ? -EUCLEAN : 0;
}
