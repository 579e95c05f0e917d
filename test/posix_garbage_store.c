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

/* POSIX keys are priorities, negated (garbage_store.h). */
#define KEYS (-1)

static void damage_chunks_text(const struct store_view *v)
{
	damage_chunks(v, KEYS);
	/* A length or a chain that changed gives other bytes, a state that
	 * changed brings back a message received: nothing in the store can
	 * tell. */
	SENT->text_damaged = true;
}

static void damage_index_prio(const struct store_view *v)
{
	damage_index(v, KEYS);
}

static void round_store(uint32_t seed, uint32_t salt,
			void (*damage)(const struct store_view *))
{
	struct qmap q;
	uint64_t gen = round_queue(seed, salt, 3 + (int)below(MAXMSG - 2),
				   (int)below(3));

	qmap_of(gen, &q);
	for (int k = 1 + (int)below(2); k--;)
		damage(&q.sv);
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
	round_store(seed, 0x5c, damage_chunks_text);
}

static void round_index(uint32_t seed)
{
	round_store(seed, 0x5d, damage_index_prio);
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
	uint64_t gen = round_queue(seed, 0x5f, 4, 0);

	qmap_of(gen, &q);
	damage_header_noise(&q.sv);
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
	memcpy((uint8_t *)q.sv.st + id->off, id->bytes, id->n);
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
