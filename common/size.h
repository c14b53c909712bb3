/* h2k: human-readable sizes. */
#ifndef H2K_SIZE_H
#define H2K_SIZE_H

#include <stdint.h>

#define H2K_HUMAN_SIZE_LEN 32

/* Format BYTES as "0", "512", "1.5K", "8.0G" (powers of 1024, one decimal
 * above 1K).  If BUF is NULL a buffer is allocated and returned, which the
 * caller must free; otherwise BUF (H2K_HUMAN_SIZE_LEN bytes) is filled and
 * returned.  Returns NULL only when allocation fails.
 */
char *h2k_human_size (char *buf, uint64_t bytes);

/* Parse "4096", "512K", "8G", "1.5T", "2MiB" (powers of 1024; a trailing
 * B or iB is allowed).  Returns 0 and sets *bytes, or -1 (not reported)
 * on a malformed or overflowing value.
 */
int h2k_parse_size (const char *s, uint64_t *bytes);

#endif
