// SPDX-License-Identifier: MIT
/*
 * test_headers.c - the public headers are contracts (docs: STYLE.md §3).
 *
 * The hard check is at build time (tests/meson.build): each header under
 * include/pktpipe is compiled alone, twice in a row, in strict C11 and, where
 * it declares extern "C", as C++ (cf. DPDK buildtools/chkincs). This test
 * makes sure that check covers the tree as it is now (a header added since
 * meson last configured would otherwise escape it), that each header opens
 * with an SPDX line and an include guard, that the stack API and the
 * ring/pool toolkit stay apart with no inline internals in the toolkit, and
 * that all of them can be included together (pp_headers_list.h includes
 * every one).
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pp_test.h"

#include "pp_headers_list.h"

static const char *const listed[] = {PP_HEADERS NULL};
static const char *const listed_cxx[] = {PP_HEADERS_CXX NULL};

#define MAX_FOUND 256
static char *found[MAX_FOUND];
static int nfound;
static size_t root_len;

static int on_file(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	size_t n = strlen(path);

	(void)sb;
	(void)ftw;
	if (type == FTW_F && n > 2 && !strcmp(path + n - 2, ".h") && nfound < MAX_FOUND)
		found[nfound++] = strdup(path + root_len + 1); /* "pktpipe/..." */
	return 0;
}

static int scan(void **state)
{
	(void)state;
	root_len = strlen(PP_INCLUDE_DIR);
	if (nftw(PP_INCLUDE_DIR "/pktpipe", on_file, 16, FTW_PHYS))
		return -1;
	return 0;
}

static int unscan(void **state)
{
	(void)state;
	for (int i = 0; i < nfound; i++)
		free(found[i]);
	nfound = 0;
	return 0;
}

static bool in(const char *const *list, const char *h)
{
	for (; *list; list++)
		if (!strcmp(*list, h))
			return true;
	return false;
}

/* Whole file, NUL-terminated; NULL if it cannot be read. */
static char *slurp(const char *rel)
{
	char path[4096];
	FILE *fp;
	long n;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", PP_INCLUDE_DIR, rel);
	fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* ---- negative cases: a header the build-time check does not cover ------ */

static void test_every_header_compiled_alone(void **state)
{
	(void)state;
	assert_true(nfound > 0);
	for (int i = 0; i < nfound; i++)
		if (!in(listed, found[i]))
			fail_msg("include/%s is not in the compiled-alone list: it was added after "
				 "meson configured; run `meson setup --reconfigure <builddir>`",
				 found[i]);
	/* and nothing listed has gone (a stale list checks a ghost) */
	for (const char *const *h = listed; *h; h++) {
		bool there = false;

		for (int i = 0; i < nfound; i++)
			there |= !strcmp(found[i], *h);
		if (!there)
			fail_msg("include/%s was compiled alone but is gone: reconfigure", *h);
	}
}

static void test_extern_c_headers_compiled_as_cxx(void **state)
{
	(void)state;
	if (!PP_HAVE_CXX_CHECK)
		PP_SKIP("no C++23 compiler: the build checked the headers as C only");
	for (int i = 0; i < nfound; i++) {
		char *text = slurp(found[i]);

		assert_non_null(text);
		if (strstr(text, "extern \"C\"") && !in(listed_cxx, found[i]))
			fail_msg("include/%s says extern \"C\" but was not compiled as C++", found[i]);
		free(text);
	}
}

/* SPDX on the first line; the first directive is #ifndef G, the next #define G. */
static void test_spdx_and_guard(void **state)
{
	(void)state;
	for (int i = 0; i < nfound; i++) {
		char *text = slurp(found[i]);
		char guard[128] = "", def[128] = "";
		const char *p;

		assert_non_null(text);
		p = strchr(text, '\n');
		if (!p || !memmem(text, (size_t)(p - text), "SPDX-License-Identifier:", 24))
			fail_msg("include/%s: first line has no SPDX-License-Identifier", found[i]);
		for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
			if (*p != '#')
				continue;
			if (!guard[0]) {
				if (sscanf(p, "#ifndef %127s", guard) != 1)
					fail_msg("include/%s: first directive is not #ifndef GUARD",
						 found[i]);
			} else {
				if (sscanf(p, "#define %127s", def) != 1 || strcmp(def, guard))
					fail_msg("include/%s: #ifndef %s is not followed by #define %s",
						 found[i], guard, guard);
				break;
			}
		}
		if (!def[0])
			fail_msg("include/%s: no include guard", found[i]);
		free(text);
	}
}

/*
 * The stack API (pktpipe.h and what it includes) offers no toolkit, and the
 * toolkit (pktpipe/toolkit/) offers opaque objects and functions only: no
 * header outside toolkit/ includes one inside it, no toolkit header has an
 * inline function, and no public header lays out the ring, the pool or a
 * pool cache, or names the pool's slow paths (what inline callers needed).
 */
static void test_toolkit_apart_and_opaque(void **state)
{
	static const char *const internals[] = {
		"struct pp_ring {", "struct pp_pool {", "struct pp_pool_cache {",
		"pp__pool_refill", "pp__pool_flush", "pp__skb_", "pp__ring_side",
		"PP_POOL_CACHES_MAX",
	};
	int ntoolkit = 0;

	(void)state;
	for (int i = 0; i < nfound; i++) {
		bool toolkit = !strncmp(found[i], "pktpipe/toolkit/", 16);
		char *text = slurp(found[i]);

		assert_non_null(text);
		ntoolkit += toolkit;
		if (!toolkit && strstr(text, "#include <pktpipe/toolkit/"))
			fail_msg("include/%s includes a toolkit header: the stack API does not", found[i]);
		for (const char *l = text; toolkit && l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
			if (!strncmp(l, "static", 6) || !strncmp(l, "inline", 6) ||
			    !strncmp(l, "extern inline", 13))
				fail_msg("include/%s defines a static or inline function: the toolkit "
					 "is exported functions only",
					 found[i]);
		for (size_t k = 0; k < sizeof(internals) / sizeof(internals[0]); k++)
			if (strstr(text, internals[k]))
				fail_msg("include/%s has \"%s\": an internal of src/core", found[i],
					 internals[k]);
		free(text);
	}
	assert_int_equal(ntoolkit, 2); /* ring.h, pool.h */
}

/* ---- normal case: all of them in one translation unit ------------------- */

static void test_all_together(void **state)
{
	int n = 0;

	(void)state;
	for (const char *const *h = listed; *h; h++)
		n++;
	assert_int_equal(n, nfound);
	/* the include above pulled every header in; a few contracts they state */
	assert_int_equal(sizeof(struct pp_skb), PP_SKB_META);
	assert_int_equal(PP_RING_SIZE_MAX, 1u << 31);
	assert_int_equal(PP_POOL_F_ALL, PP_POOL_F_HUGEPAGES | PP_POOL_F_NO_HUGEPAGES);
	assert_true(PP_BURST <= PP_BURST_MAX);
	print_message("headers: %d compiled alone in C11, %d also as C++\n", n,
		      (int)(sizeof(listed_cxx) / sizeof(listed_cxx[0])) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_header_compiled_alone),
		cmocka_unit_test(test_extern_c_headers_compiled_as_cxx),
		cmocka_unit_test(test_spdx_and_guard),
		cmocka_unit_test(test_toolkit_apart_and_opaque),
		cmocka_unit_test(test_all_together),
	};

	return pp_test_exit(cmocka_run_group_tests_name("headers", tests, scan, unscan));
}
