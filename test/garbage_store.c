/* SPDX-License-Identifier: MIT */
/* garbage_store.c - damage to a queue's store: see garbage_store.h. */
#include "t.h"

#include "garbage_store.h"

bool store_view_of(struct store_view *v, void *hdr, size_t size)
{
	v->st = hdr;
	v->size = size;
	v->chunk = v->st->chunk_size;
	v->nchunks = v->st->nchunks;
	/* layout.h: hcap is the power of two >= 2 * nchunks (16 at least). */
	for (v->hcap = 16; v->hcap < 2 * v->nchunks; v->hcap <<= 1)
		;
	v->chunks = (uint8_t *)v->st + STORE_HDR_SIZE;
	v->index = v->chunks + (size_t)v->nchunks * v->chunk;
	v->buckets_size = (size_t)v->hcap * sizeof(struct bucket);
	v->index_size = v->buckets_size + 2 * (size_t)v->nchunks * 4;
	return (size_t)(v->index - (uint8_t *)v->st) + v->index_size <= size;
}

uint64_t plausible64(uint64_t old)
{
	switch (below(7)) {
	case 0:
		return old + 1;
	case 1:
		return old - 1;
	case 2:
		return old * 2 + below(300);
	case 3:
		return below(20000);
	case 4:
		return 0;
	case 5:
		return (uint64_t)1 << (32 + below(31));
	}
	return rnd64();
}

uint32_t plausible32(const struct store_view *v)
{
	static const uint32_t states[] = {
		CH_FREE, CH_FREE | 6, CH_RESERVED, CH_QUEUED, CH_INFLIGHT, NIL,
	};

	switch (below(4)) {
	case 0:
		return states[below(sizeof(states) / sizeof(states[0]))];
	case 1:
		return below(v->st->bump + 2);
	case 2:
		return below(v->nchunks * 2);
	}
	return (uint32_t)rnd64();
}

/* A field of the head of chunk c (which may be in a message's middle). */
static void damage_head(const struct store_view *v, uint32_t c, int key_sign)
{
	struct msg *m = (struct msg *)(v->chunks + (size_t)c * v->chunk);

	switch (below(6)) {
	case 0:
		m->state = plausible32(v);
		did("chunk %u state = %#x", c, m->state);
		break;
	case 1:
		m->next_chunk = plausible32(v);
		did("chunk %u next = %u", c, m->next_chunk);
		break;
	case 2:
		m->len = plausible64(m->len);
		did("chunk %u len = %llu", c, (unsigned long long)m->len);
		break;
	case 3:
		m->seq = plausible64(m->seq);
		did("chunk %u seq = %llu", c, (unsigned long long)m->seq);
		break;
	case 4:
		m->key = below(2) ? key_sign * (int64_t)below(40000) :
				    (int64_t)plausible64((uint64_t)m->key);
		did("chunk %u key = %lld", c, (long long)m->key);
		break;
	default:
		m->bnext = plausible32(v);
		m->owner = plausible32(v);
		did("chunk %u bnext = %u owner = %u", c, m->bnext, m->owner);
	}
}

void damage_chunks(const struct store_view *v, int key_sign)
{
	uint32_t used = v->st->bump ? v->st->bump : 1;
	size_t area;

	if (used > v->nchunks)
		used = v->nchunks;
	area = (size_t)used * v->chunk;
	switch (below(6)) {
	case 0: {	/* a run of random bytes in the used chunks */
		size_t len = 1 + below(512), off = below((uint32_t)area);

		if (off + len > area)
			len = area - off;
		fill_random(v->chunks + off, len);
		did("random bytes [%zu, +%zu) of the chunk area", off, len);
		break;
	}
	case 1:		/* fields of message heads, twice as often */
	case 2:
		for (int k = 1 + (int)below(4); k--;)
			damage_head(v, below(used), key_sign);
		break;
	case 3: {	/* one chunk copied over another: twins */
		uint32_t a = below(used), b = below(used);

		memcpy(v->chunks + (size_t)b * v->chunk,
		       v->chunks + (size_t)a * v->chunk, v->chunk);
		did("chunk %u copied over chunk %u", a, b);
		break;
	}
	case 4: {	/* whole chunks of noise */
		uint32_t c = below(used), k = 1 + below(4);

		if (c + k > used)
			k = used - c;
		fill_random(v->chunks + (size_t)c * v->chunk,
			    (size_t)k * v->chunk);
		did("chunks %u..%u random", c, c + k - 1);
		break;
	}
	default:	/* everything used is noise */
		fill_random(v->chunks, area);
		did("all %u used chunks random", used);
	}
}

/* Plausible values in live bucket entries. */
static void damage_buckets(const struct store_view *v, int key_sign)
{
	struct bucket *b = (struct bucket *)v->index;

	for (int k = 1 + (int)below(3); k--;) {
		uint32_t i = below(v->hcap);

		for (uint32_t n = 0; n < v->hcap && !b[i].head; n++)
			i = (i + 1) & (v->hcap - 1);
		switch (below(5)) {
		case 0:
			b[i].head = below(v->nchunks + 3);
			break;
		case 1:
			b[i].tail = plausible32(v);
			break;
		case 2:
			b[i].kpos = below(8);
			b[i].spos = below(8);
			break;
		case 3:
			b[i].hseq = plausible64(b[i].hseq);
			break;
		default:
			b[i].key = key_sign * (int64_t)below(6);
		}
		did("bucket %u = {key %lld head %u tail %u kpos %u spos %u}",
		    i, (long long)b[i].key, b[i].head, b[i].tail, b[i].kpos,
		    b[i].spos);
	}
}

void damage_index(const struct store_view *v, int key_sign)
{
	struct store_hdr *st = v->st;
	uint32_t *heaps = (uint32_t *)(v->index + v->buckets_size);
	struct bucket *b = (struct bucket *)v->index;

	switch (below(6)) {
	case 0: {	/* a run of random bytes in the bucket table */
		size_t len = 1 + below(256),
		       off = below((uint32_t)v->buckets_size);

		if (off + len > v->buckets_size)
			len = v->buckets_size - off;
		fill_random(v->index + off, len);
		did("random bytes [%zu, +%zu) of the buckets", off, len);
		break;
	}
	case 1:		/* random heap entries */
		for (int k = 1 + (int)below(4); k--;) {
			uint32_t i = below(2 * v->nchunks), w;

			/* mostly the live part near the roots */
			if (below(2))
				i = (i % 8) + (below(2) ? v->nchunks : 0);
			w = below(2) ? below(v->hcap + 4) : (uint32_t)rnd64();
			heaps[i] = w;
			did("heap word %u = %u", i, w);
		}
		break;
	case 2:
		damage_buckets(v, key_sign);
		break;
	case 3: {	/* the free lists */
		uint32_t k = below(3) ? below(8) : below(STORE_ORDERS);

		st->afree[k] = plausible32(v);
		st->ffree[k] = plausible32(v);
		did("afree[%u] %u, ffree %u", k, st->afree[k], st->ffree[k]);
		break;
	}
	case 4:		/* all the indexes are noise */
		fill_random(v->index, v->index_size);
		did("the whole index area random");
		break;
	default:	/* every bucket entry occupied */
		for (uint32_t i = 0; i < v->hcap; i++)
			if (!b[i].head)
				b[i].head = 1 + below(v->nchunks);
		did("every bucket entry non-empty");
	}
}

void damage_header_derived(const struct store_view *v)
{
	struct store_hdr *st = v->st;

	switch (below(4)) {
	case 0:
		st->bump = below(3) ? below(v->nchunks + 2) : (uint32_t)rnd64();
		did("bump = %u", st->bump);
		break;
	case 1:
		st->next_seq = plausible64(st->next_seq);
		did("next_seq = %llu", (unsigned long long)st->next_seq);
		break;
	case 2:
		st->nbuckets = below(3) ? below(8) : (uint32_t)rnd64();
		did("nbuckets = %u", st->nbuckets);
		break;
	default:
		st->damaged = (uint32_t)rnd64();
		did("damaged = %u", st->damaged);
	}
}

void damage_header_noise(const struct store_view *v)
{
	size_t off = below(STORE_HDR_SIZE),
	       len = 1 + below(STORE_HDR_SIZE - (uint32_t)off);

	fill_random((uint8_t *)v->st + off, len);
	did("random bytes [%zu, +%zu) of the store header", off, len);
}
