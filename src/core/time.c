// SPDX-License-Identifier: MIT
/* time.c - the process's fake clock (see time.h); 0 means real time. */
#include "core/time.h"

uint64_t pp__clock_fake_ns;
