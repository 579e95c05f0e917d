/* SPDX-License-Identifier: MIT */
/*
 * stub.c - a library that interposes nothing: what the tests of `umq run`
 * put next to a copy of umq in the place of libumq-preload.so, to check
 * the environment and exit statuses without depending on the real one.
 */
int umq_test_stub(void);

int umq_test_stub(void)
{
	return 0;
}
