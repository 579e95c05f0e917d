/* SPDX-License-Identifier: MIT */
/* dl_cred.c - cred.h's scenarios, the library loaded with dlopen(). */
#define CRED_DLOPEN 1
#include "cred.h"
