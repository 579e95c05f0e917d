/* SPDX-License-Identifier: MIT */
/*
 * fault.c - the library's SIGBUS and SIGSEGV handlers.
 *
 * Two kinds of fault are the library's to mend, and nothing else:
 * a page of a queue file that another process cut off (map.c: it reads
 * as zeros from then on), and a bad address in the caller's buffer met
 * by one of ucopy.c's accesses (the access returns -EFAULT).  Any other
 * fault, or a SIGBUS/SIGSEGV sent with kill(), goes to the handler the
 * program had, or kills as it would have.  Installed when the first
 * namespace is opened; a program that installs its own handler after
 * that replaces ours, and its faults are then its own again.
 */
#include <pthread.h>
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

#define NSIG_OURS 2		/* SIGBUS, SIGSEGV */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct sigaction before[NSIG_OURS];	/* the program's handlers */
static bool spent[NSIG_OURS];	/* its SA_RESETHAND handler ran */

static int slot(int sig)
{
	return sig == SIGBUS ? 0 : 1;
}

#if defined(__x86_64__)
extern const char umq_ucopy_raw[], umq_ucopy_end[], umq_ucopy_land[];

/* A fault in one of ucopy.c's leaves: on to the landing, -EFAULT. */
static bool ucopy_mend(void *ctx)
{
	greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;

	if (g[REG_RIP] < (greg_t)umq_ucopy_raw ||
	    g[REG_RIP] >= (greg_t)umq_ucopy_end)
		return false;
	g[REG_RIP] = (greg_t)umq_ucopy_land;
	return true;
}
#else
static bool ucopy_mend(void *ctx)
{
	(void)ctx;
	return false;
}
#endif

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	/* A fault comes again when we return; a signal sent by kill() or
	 * an asynchronous memory error does not. */
	bool fault = si->si_code > 0 &&
		     (sig != SIGBUS || si->si_code < BUS_MCEERR_AO);
	const struct sigaction *b = &before[slot(sig)];
	void (*h)(int) = b->sa_handler;

	if (fault && sig == SIGBUS && map_mend(si))
		return;
	if (fault && ucopy_mend(ctx))
		return;
	/* Not ours: as if we were not there.  A one-shot handler of the
	 * program's is the default once it ran, as the kernel would have
	 * made it. */
	if ((b->sa_flags & SA_RESETHAND) &&
	    __atomic_exchange_n(&spent[slot(sig)], true, __ATOMIC_RELAXED))
		h = SIG_DFL;
	if (h != SIG_DFL && h != SIG_IGN) {
		if (b->sa_flags & SA_SIGINFO)
			b->sa_sigaction(sig, si, ctx);
		else
			h(sig);
	} else if (h == SIG_DFL || fault) {
		/* The default action kills: a fault does so when it comes
		 * again (an ignored one too, as the kernel forces it); a
		 * sent signal, raised again, once we return (it is blocked
		 * until then). */
		signal(sig, SIG_DFL);
		if (!fault)
			raise(sig);
	}
	/* else ignored, as it was, and the handler stays ours */
}

bool fault_ready;

static void install(void)
{
	struct sigaction sa = { .sa_sigaction = on_fault,
				.sa_flags = SA_SIGINFO | SA_ONSTACK |
					    SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &before[slot(SIGBUS)]);
	sigaction(SIGSEGV, &sa, &before[slot(SIGSEGV)]);
	__atomic_store_n(&fault_ready, true, __ATOMIC_RELEASE);
}

void fault_install(void)
{
	pthread_once(&once, install);
}
