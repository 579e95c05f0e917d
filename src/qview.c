/* SPDX-License-Identifier: MIT */
/*
 * qview.c - this process's mapping of a queue's store.
 *
 * A view maps the store of one queue generation (System V: in struct sq,
 * which lives as long as anyone uses it; POSIX: in struct pview).  It is
 * read and replaced only under the queue lock (LOCKING L4), so the lock
 * that makes the store stable makes the mapping stable too.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int store_path(char *buf, size_t n, uint64_t gen)
{
	return snprintf(buf, n, "sysv/m.%016llx", (unsigned long long)gen);
}

int ctl_path(char *buf, size_t n, uint64_t gen)
{
	return snprintf(buf, n, "sysv/q.%016llx", (unsigned long long)gen);
}

int pending_path(char *buf, size_t n, uint64_t gen, uid_t uid)
{
	return snprintf(buf, n, "sysv/s.%016llx.%u", (unsigned long long)gen,
			(unsigned)uid);
}

/* Through a descriptor, never a symlink in its place: fchmodat's
 * AT_SYMLINK_NOFOLLOW goes through /proc, which may not be there. */
void file_kill(int dirfd, const char *path)
{
	int fd = NOCANCEL(fd_open(dirfd, path, O_RDONLY | O_NOFOLLOW |
				  O_NONBLOCK | O_CLOEXEC, 0));
	struct stat st;

	if (fd < 0)
		return;		/* not ours, or dead already */
	if (!fstat(fd, &st) && S_ISREG(st.st_mode))
		fchmod(fd, 0);
	NOCANCEL(close(fd));
}

bool file_dead(int dirfd, const char *path)
{
	struct stat st;

	return !fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) &&
	       S_ISREG(st.st_mode) && (st.st_mode & 0600) != 0600;
}

static int open_store(struct ns *ns, const char *path, int *fd)
{
	*fd = NOCANCEL(fd_open(ns->dirfd, path, O_RDWR | O_CLOEXEC, 0));
	if (*fd >= 0)
		return 0;
	/* No descriptor left: msgsnd/msgrcv know no EMFILE, and the
	 * kernel's errno for "cannot get the memory" is ENOMEM. */
	return errno == EACCES ? -EACCES : errno == ENOENT ? -EIDRM :
	       errno == EMFILE || errno == ENFILE ? -ENOMEM : -errno;
}

/* v's store is the size bytes at st, at offset off of its file. */
int qview_adopt(struct qview *v, void *st, size_t size, off_t off,
		uint64_t gen)
{
	int r;

	v->st = st;
	v->size = size;
	v->off = off;
	pages_init(&v->pg, size);
	/* Watched before it is read (map.c: no SIGBUS): the file may have
	 * shrunk since its size was taken. */
	r = map_watch(st, size);
	if (!r) {
		r = store_geometry(v, gen);
		if (r)
			map_forget(st, size);
	}
	if (r) {
		v->st = NULL;
		return r;
	}
	v->gen = gen;
	return 0;
}

/*
 * Map all of a queue's file, its fixed part and the store after it, in
 * one mmap: the file must be regular and at least min bytes long (mapped
 * beyond its end, a page would be SIGBUS).  *size is its size if the
 * caller made the file, else 0 (the OS is asked).  The mapping, its size
 * in *size; or NULL, -errno in *size.
 */
void *map_queue_file(int fd, size_t min, size_t *size)
{
	struct stat st;
	void *p;

	if (!*size) {
		if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
		    st.st_size < (off_t)min) {
			*size = (size_t)-EUCLEAN;
			return NULL;
		}
		*size = (size_t)st.st_size;
	}
	p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		*size = (size_t)-ENOMEM;
		return NULL;
	}
	return p;
}

int qview_map(struct qview *v, int fd, off_t off, uint64_t gen)
{
	struct stat st;
	void *p;
	int r;

	if (fstat(fd, &st))
		return -errno;
	if (st.st_size < off + STORE_HDR_SIZE)
		return -EUCLEAN;
	p = mmap(NULL, (size_t)(st.st_size - off), PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, off);
	if (p == MAP_FAILED)
		return -ENOMEM;
	r = qview_adopt(v, p, (size_t)(st.st_size - off), off, gen);
	if (r)
		munmap(p, (size_t)(st.st_size - off));
	return r;
}

/* The header's nchunks moved under us: it grew elsewhere (remap), or the
 * header is garbage (store_geometry refuses it). */
int qview_follow(struct ns *ns, struct qview *v)
{
	/* A store only ever grows, with the same chunks. */
	if (v->st->chunk_size != v->chunk || v->st->nchunks < v->nchunks ||
	    v->st->nchunks > (1u << 30))
		return -EUCLEAN;
	if (store_size(v->chunk, v->st->nchunks) <= v->size) {
		pages_forget(&v->pg);	/* the growth gave some back */
		return store_geometry(v, v->gen);
	}
	return qview_refresh(ns, v);
}

/* Same generation, but the store grew elsewhere: follow it. */
int qview_refresh(struct ns *ns, struct qview *v)
{
	struct qview nv = *v;
	int fd, r = open_store(ns, v->path, &fd);

	if (r)
		return r;
	r = qview_map(&nv, fd, v->off, v->gen);
	NOCANCEL(close(fd));
	if (r)
		return r;
	map_unmap(v->st, v->size);
	pages_fini(&v->pg);
	v->st = nv.st;
	v->size = nv.size;
	v->pg = nv.pg;
	return store_geometry(v, v->gen);
}

int qview_grow(struct ns *ns, struct qview *v, size_t size)
{
	int fd, r = open_store(ns, v->path, &fd);
	void *p;

	if (r)
		return r;
	if (fd_size(fd, v->off + (off_t)size)) {
		NOCANCEL(close(fd));
		return -ENOMEM;
	}
	NOCANCEL(close(fd));
	p = map_remap(v->st, v->size, size);
	if (p == MAP_FAILED)
		return -ENOMEM;
	v->st = p;
	v->size = size;
	pages_fini(&v->pg);	/* store_grow gives some back */
	pages_init(&v->pg, size);
	return 0;
}
