// SPDX-License-Identifier: MIT
/*
 * fuzz_replay.c - a main() for the fuzz targets where libFuzzer is not
 * linked (gcc, the default build): runs LLVMFuzzerTestOneInput() once over
 * every file named on the command line, and over every regular file of each
 * directory named (in name order), as libFuzzer does with -runs=0. A failed
 * check aborts, so the test fails; no input at all is a failure too (a
 * corpus that went missing must not pass silently).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (!f) {
		perror(path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto err;
	/* a copy of exactly the input's size, so ASan sees reads past it */
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || (len && fread(buf, 1, (size_t)len, f) != (size_t)len))
		goto err;
	fclose(f);
	fprintf(stderr, "Running: %s (%ld bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
err:
	perror(path);
	free(buf);
	fclose(f);
	return -1;
}

static int only_files(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	unsigned long runs = 0;
	int bad = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct dirent **names;
		struct stat sb;
		int n;

		if (argv[i][0] == '-')
			continue; /* libFuzzer flags (-runs=0, ...): nothing to do here */
		if (stat(argv[i], &sb)) {
			perror(argv[i]);
			bad = 1;
			continue;
		}
		if (!S_ISDIR(sb.st_mode)) {
			bad |= run_file(argv[i]) != 0;
			runs++;
			continue;
		}
		n = scandir(argv[i], &names, only_files, alphasort);
		if (n < 0) {
			perror(argv[i]);
			bad = 1;
			continue;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);
			if (!stat(path, &sb) && S_ISREG(sb.st_mode)) {
				bad |= run_file(path) != 0;
				runs++;
			}
			free(names[k]);
		}
		free(names);
	}
	printf("replayed %lu inputs%s\n", runs, bad ? ", some unreadable" : "");
	return bad || !runs ? 1 : 0;
}
