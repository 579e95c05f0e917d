// SPDX-License-Identifier: MIT
//
// boost.cc - Boost.Interprocess message_queue for the bench's third column:
// header-only, built only with the bench.  Without Boost's headers it
// builds to a boost_version() that says so.
#include <cerrno>
#include <cstdio>
#include <exception>

#include "boost.h"

#if __has_include(<boost/interprocess/ipc/message_queue.hpp>)
#include <boost/interprocess/ipc/message_queue.hpp>
#include <boost/version.hpp>

namespace bi = boost::interprocess;

const char *boost_version(char *, size_t)
{
	static char v[16];

	snprintf(v, sizeof(v), "%d.%d", BOOST_VERSION / 100000,
		 BOOST_VERSION / 100 % 1000);
	return v;
}

void *boost_mq_create(const char *name, long depth, size_t size, char *why,
		      size_t len)
{
	try {
		bi::message_queue::remove(name);
		return new bi::message_queue(bi::create_only, name, depth,
					     size);
	} catch (const std::exception &e) {
		snprintf(why, len, "message_queue(%s): %s", name, e.what());
		return nullptr;
	}
}

void boost_mq_destroy(void *q, const char *name)
{
	delete static_cast<bi::message_queue *>(q);
	bi::message_queue::remove(name);
}

int boost_mq_send(void *q, const void *buf, size_t size)
{
	try {
		static_cast<bi::message_queue *>(q)->send(buf, size, 0);
		return 0;
	} catch (const std::exception &) {
		errno = EIO;
		return -1;
	}
}

long boost_mq_recv(void *q, void *buf, size_t size)
{
	bi::message_queue::size_type got;
	unsigned int prio;

	try {
		static_cast<bi::message_queue *>(q)->receive(buf, size, got,
							     prio);
		return (long)got;
	} catch (const std::exception &) {
		errno = EIO;
		return -1;
	}
}

#else

const char *boost_version(char *why, size_t len)
{
	snprintf(why, len, "Boost.Interprocess not installed (Debian "
		 "libboost-dev): <boost/interprocess/ipc/message_queue.hpp> "
		 "not found");
	return nullptr;
}

void *boost_mq_create(const char *, long, size_t, char *why, size_t len)
{
	boost_version(why, len);
	return nullptr;
}

void boost_mq_destroy(void *, const char *)
{
}

int boost_mq_send(void *, const void *, size_t)
{
	errno = ENOSYS;
	return -1;
}

long boost_mq_recv(void *, void *, size_t)
{
	errno = ENOSYS;
	return -1;
}

#endif
