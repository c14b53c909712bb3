/* h2k: message digests (OpenSSL libcrypto). */
#ifndef H2K_DIGEST_H
#define H2K_DIGEST_H

#include <stddef.h>

/* Large enough for the hex form of any digest we use, with its NUL. */
#define H2K_DIGEST_HEX_MAX 129

/* Digest the file PATH with ALGO ("sha1", "sha256", "sha512", as OpenSSL
 * names them) and write the lowercase hex form into HEX (at least
 * H2K_DIGEST_HEX_MAX bytes).  Returns 0, or -1 reported.
 */
int h2k_digest_file (const char *path, const char *algo, char *hex);

/* The same for an open fd, read from its current offset to EOF; NAME is
 * used in messages.
 */
int h2k_digest_fd (int fd, const char *name, const char *algo, char *hex);

/* The same for a buffer. */
int h2k_digest_buffer (const void *buf, size_t len, const char *algo, char *hex);

/* sha256 of a file, the common case. */
int h2k_sha256_file (const char *path, char hex[65]);

/* Is S a lowercase or uppercase hex string of exactly LEN characters? */
int h2k_is_hex (const char *s, size_t len);

#endif
