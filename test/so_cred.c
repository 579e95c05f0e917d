/* SPDX-License-Identifier: MIT */
/* so_cred.c - cred.h's scenarios, the library linked as libumq.so. */
#include "cred.h"
