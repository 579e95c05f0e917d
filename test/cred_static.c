/* SPDX-License-Identifier: MIT */
/* cred_static.c - cred.h's scenarios, the library linked as libumq.a. */
#include "cred.h"
