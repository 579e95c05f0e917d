/* SPDX-License-Identifier: MIT */
/*
 * posix_garbage_store.c - garbage in a POSIX queue's store (garbage_mq.h):
 * its chunks, indexes, free lists and derived header fields are repaired,
 * every message sent coming out once; noise in its geometry and a wrong
 * identity give clean errors.
 */
#include "t.h"

#include <fcntl.h>
#include <stddef.h>

#include "garbage_mq.h"

/* ---- the store: chunks, indexes, header ---------------------------------- */

static void damage_chunks(struct qmap *q)
{
	uint32_t used = q->st->bump ? q->st->bump : 1;
	size_t area = (size_t)used * q->chunk;

	if (used > q->nchunks)
		used = q->nchunks, area = (size_t)used * q->chunk;
	switch (below(6)) {
	case 0: {	/* a run of random bytes in the used chunks */
		size_t len = 1 + below(512), off = below((uint32_t)area);

		if (off + len > area)
			len = area - off;
		fill_random(q->chunks + off, len);
		SENT->text_damaged = true;
		did("random bytes [%zu, +%zu) of the chunk area", off, len);
		break;
	}
	case 1:		/* fields of message heads: no text touched */
	case 2:
		for (int k = 1 + (int)below(4); k--;) {
			uint32_t c = below(used);
			struct msg *m = (struct msg *)(q->chunks +
						       (size_t)c * q->chunk);

			switch (below(6)) {
			case 0:
				m->state = plausible32(q);
				did("chunk %u state = %#x", c, m->state);
				break;
			case 1:
				m->next_chunk = plausible32(q);
				did("chunk %u next = %u", c, m->next_chunk);
				break;
			case 2:
				m->len = plausible64(m->len);
				did("chunk %u len = %llu", c,
				    (unsigned long long)m->len);
				break;
			case 3:
				m->seq = plausible64(m->seq);
				did("chunk %u seq = %llu", c,
				    (unsigned long long)m->seq);
				break;
			case 4:
				m->key = below(2) ? -(int64_t)below(40000) :
					 (int64_t)plausible64((uint64_t)m->key);
				did("chunk %u key = %lld", c,
				    (long long)m->key);
				break;
			default:
				m->bnext = plausible32(q);
				m->owner = plausible32(q);
				did("chunk %u bnext = %u owner = %u", c,
				    m->bnext, m->owner);
			}
		}
		/* A length or a chain that changed gives other bytes, a
		 * state that changed brings back a message received:
		 * nothing in the store can tell. */
		SENT->text_damaged = true;
		break;
	case 3: {	/* one chunk copied over another: twins */
		uint32_t a = below(used), b = below(used);

		memcpy(q->chunks + (size_t)b * q->chunk,
		       q->chunks + (size_t)a * q->chunk, q->chunk);
		SENT->text_damaged = true;
		did("chunk %u copied over chunk %u", a, b);
		break;
	}
	case 4: {	/* whole chunks of noise */
		uint32_t c = below(used), k = 1 + below(4);

		if (c + k > used)
			k = used - c;
		fill_random(q->chunks + (size_t)c * q->chunk,
			    (size_t)k * q->chunk);
		SENT->text_damaged = true;
		did("chunks %u..%u random", c, c + k - 1);
		break;
	}
	default:	/* everything used is noise */
		fill_random(q->chunks, area);
		SENT->text_damaged = true;
		did("all %u used chunks random", used);
	}
}

static void damage_index(struct qmap *q)
{
	struct store_hdr *st = q->st;
	uint32_t *heaps = (uint32_t *)(q->index + q->buckets_size);
	struct bucket *b = (struct bucket *)q->index;

	switch (below(6)) {
	case 0: {	/* a run of random bytes in the bucket table */
		size_t len = 1 + below(256),
		       off = below((uint32_t)q->buckets_size);

		if (off + len > q->buckets_size)
			len = q->buckets_size - off;
		fill_random(q->index + off, len);
		did("random bytes [%zu, +%zu) of the buckets", off, len);
		break;
	}
	case 1:		/* random heap entries */
		for (int k = 1 + (int)below(4); k--;) {
			uint32_t i = below(2 * q->nchunks), v;

			v = below(2) ? below(q->hcap + 4) : (uint32_t)rnd64();
			heaps[i] = v;
			did("heap word %u = %u", i, v);
		}
		break;
	case 2:		/* plausible values in live bucket entries */
		for (int k = 1 + (int)below(3); k--;) {
			uint32_t i = below(q->hcap);

			for (uint32_t n = 0; n < q->hcap && !b[i].head; n++)
				i = (i + 1) & (q->hcap - 1);
			switch (below(5)) {
			case 0:
				b[i].head = below(q->nchunks + 3);
				break;
			case 1:
				b[i].tail = plausible32(q);
				break;
			case 2:
				b[i].kpos = below(8);
				b[i].spos = below(8);
				break;
			case 3:
				b[i].hseq = plausible64(b[i].hseq);
				break;
			default:
				b[i].key = -(int64_t)below(6);
			}
			did("bucket %u = {key %lld head %u tail %u kpos %u "
			    "spos %u}", i, (long long)b[i].key, b[i].head,
			    b[i].tail, b[i].kpos, b[i].spos);
		}
		break;
	case 3:		/* the free lists */
		{
			uint32_t k = below(3) ? below(8) : below(STORE_ORDERS);

			st->afree[k] = plausible32(q);
			st->ffree[k] = plausible32(q);
			did("afree[%u] %u, ffree %u", k, st->afree[k],
			    st->ffree[k]);
		}
		break;
	case 4:		/* all the indexes are noise */
		fill_random(q->index, q->index_size);
		did("the whole index area random");
		break;
	default:	/* every bucket entry occupied */
		for (uint32_t i = 0; i < q->hcap; i++)
			if (!b[i].head)
				b[i].head = 1 + below(q->nchunks);
		did("every bucket entry non-empty");
	}
}

static void damage_header_derived(struct qmap *q)
{
	switch (below(4)) {
	case 0:
		q->st->bump = below(3) ? below(q->nchunks + 2) :
					 (uint32_t)rnd64();
		did("bump = %u", q->st->bump);
		break;
	case 1:
		q->st->next_seq = plausible64(q->st->next_seq);
		did("next_seq = %llu", (unsigned long long)q->st->next_seq);
		break;
	case 2:
		q->st->nbuckets = below(3) ? below(8) : (uint32_t)rnd64();
		did("nbuckets = %u", q->st->nbuckets);
		break;
	default:
		q->st->damaged = (uint32_t)rnd64();
		did("damaged = %u", q->st->damaged);
	}
}

static void round_store(uint32_t seed, uint32_t salt,
			void (*damage)(struct qmap *))
{
	struct qmap q;
	uint64_t gen = round_queue(seed, salt, 3 + (int)below(MAXMSG - 2),
				   (int)below(3));

	qmap_of(gen, &q);
	for (int k = 1 + (int)below(2); k--;)
		damage(&q);
	qmap_unmap(&q);
	SENT->lossless = true;	/* the chunks say it all */
	if (!use())
		R_FAIL("a queue whose store is damaged cannot be opened: %s",
		       LOG->op);
	repaired();
	finish();
}

static void round_chunks(uint32_t seed)
{
	round_store(seed, 0x5c, damage_chunks);
}

static void round_index(uint32_t seed)
{
	round_store(seed, 0x5d, damage_index);
}

static void round_header_derived(uint32_t seed)
{
	round_store(seed, 0x5e, damage_header_derived);
}

T_CASE(garbage_store_chunks)
{
	rounds("chunk area", 200, round_chunks);
}

T_CASE(garbage_store_index)
{
	rounds("index area and free lists", 200, round_index);
}

T_CASE(garbage_store_header_derived)
{
	rounds("derived header fields", 100, round_header_derived);
}

/* Noise in the store header's geometry: no repair is possible, only
 * clean errors. */
static void round_header_noise(uint32_t seed)
{
	struct qmap q;
	size_t off, len;
	uint64_t gen = round_queue(seed, 0x5f, 4, 0);

	qmap_of(gen, &q);
	off = below(STORE_HDR_SIZE);
	len = 1 + below(STORE_HDR_SIZE - (uint32_t)off);
	fill_random((uint8_t *)q.st + off, len);
	did("random bytes [%zu, +%zu) of the store header", off, len);
	qmap_unmap(&q);
	use();
	finish();
}

T_CASE(garbage_store_header_noise)
{
	rounds("store header", 100, round_header_noise);
}

/* The store header's identity and geometry: a fresh process refuses the
 * queue at mq_open. */
static void store_ident_scene(const void *arg)
{
	const struct ident *id = arg;
	struct qmap q;
	char what[96];
	uint64_t gen = round_queue(3, 0x60, 3, 0);

	qmap_of(gen, &q);
	memcpy((uint8_t *)q.st + id->off, id->bytes, id->n);
	snprintf(what, sizeof(what), "store %s", id->what);
	did("%s", what);
	qmap_unmap(&q);
	expect_open(what, id->err, 0);
	refused();
	finish();
}

T_CASE(garbage_store_identity)
{
	static struct ident ids[] = {
		{ offsetof(struct store_hdr, magic), "junkjunk", 8, EUCLEAN,
		  "magic is wrong" },
		{ offsetof(struct store_hdr, version),
		  { UMQ_LAYOUT_VERSION + 1 }, 4, EPROTO,
		  "version is the next layout's" },
		{ offsetof(struct store_hdr, hdr_size), { 64 }, 4, EUCLEAN,
		  "hdr_size is 64" },
		{ offsetof(struct store_hdr, gen), { 9 }, 8, EUCLEAN,
		  "gen is another queue's" },
		{ offsetof(struct store_hdr, chunk_size), { 100 }, 4, EUCLEAN,
		  "chunk size is 100" },
		{ offsetof(struct store_hdr, nchunks), { 0, 0, 0, 0x20 }, 4,
		  EUCLEAN, "nchunks is 2^29" },
		{ offsetof(struct store_hdr, nchunks), { 1, 0, 0, 0x80 }, 4,
		  EUCLEAN, "nchunks is 2^31 + 1" },
		{ offsetof(struct store_hdr, nchunks), { 0 }, 4, EUCLEAN,
		  "nchunks is 0" },
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		scene(ids[i].what, store_ident_scene, &ids[i]);
}

int main(int argc, char **argv)
{
	return t_main(argc, argv);
}
