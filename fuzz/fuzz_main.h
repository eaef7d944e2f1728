/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_main.h - the plain-program main() of the daemon-path fuzz targets.
 *
 * Built with -DFUZZ_LIBFUZZER (clang -fsanitize=fuzzer), a target is a libFuzzer target
 * and libFuzzer supplies main(). Without it, this main() runs the target as an ordinary
 * program, so that the test suite exercises it with any compiler:
 *   TARGET FILE...          each file as one input
 *   TARGET -r N [SEED]      N inputs from a seeded generator (lengths 1 to 600 bytes)
 * Include it once, after LLVMFuzzerTestOneInput is declared.
 */
#ifndef IOASID_FUZZ_MAIN_H
#define IOASID_FUZZ_MAIN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_LIBFUZZER
static int fuzz_run_file(const char *path)
{
	static uint8_t buf[1 << 16];
	FILE *f = fopen(path, "rb");
	size_t len;

	if (!f) {
		perror(path);
		return 1;
	}
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc >= 3 && !strcmp(argv[1], "-r")) {
		unsigned long n = strtoul(argv[2], NULL, 0);
		uint64_t s = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
		uint8_t buf[600];

		for (unsigned long k = 0; k < n; k++) {
			size_t len;

			s = s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
			len = 1 + (size_t)(s >> 33) % sizeof(buf);
			for (size_t j = 0; j < len; j++) {
				s = s * UINT64_C(6364136223846793005) +
				    UINT64_C(1442695040888963407);
				buf[j] = (uint8_t)(s >> 56);
			}
			LLVMFuzzerTestOneInput(buf, len);
		}
		return 0;
	}
	for (int i = 1; i < argc; i++)
		rc |= fuzz_run_file(argv[i]);
	return rc;
}
#endif

#endif
