/* h2k: small string and path helpers. */
#ifndef H2K_UTIL_H
#define H2K_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Normalise PATH in place, lexically: no empty ("//") or "." segment,
 * no trailing "/", and each ".." removes the segment before it ("/.."
 * is "/"; a relative path keeps the ".."s it cannot remove; "a/.."
 * becomes "."; "" stays "").  Links are not resolved, so "l/.." is taken as
 * "." even where l is a symlink.  Returns PATH.
 */
char *h2k_path_normalize (char *path);

/* Make PATH absolute against the current directory, normalised
 * (h2k_path_normalize), without resolving links.  Returns a string the
 * caller frees, or NULL reported.
 */
char *h2k_absolute_path (const char *path);

/* DIR "/" NAME, unless NAME is absolute, normalised
 * (h2k_path_normalize).  Caller frees; NULL reported.
 */
char *h2k_path_join (const char *dir, const char *name);

/* DIR "/" NAME (one slash between), unless NAME is absolute, exactly as
 * written: no "." or
 * ".." removed, as qemu joins a backing or extent name to its image's
 * directory (the kernel then resolves "L/.." through the link L, which
 * a lexical normalisation would skip).  Use it for a path that is
 * checked and then opened; h2k_path_join for one recorded.  Caller
 * frees; NULL reported.
 */
char *h2k_path_join_raw (const char *dir, const char *name);

/* The directory part of PATH ("." if none).  Caller frees; NULL reported. */
char *h2k_dirname (const char *path);

/* Does S end with SUFFIX, ignoring ASCII case? */
int h2k_ends_with_ci (const char *s, const char *suffix);

/* Strip leading and trailing white space in place; returns S moved past
 * leading space.
 */
char *h2k_trim (char *s);

/* Read the whole of FP (at most MAX bytes: more is an error, E2BIG) into a
 * NUL-terminated buffer the caller frees.  *LEN gets the length.  NAME is
 * used in messages.  NULL reported.
 */
char *h2k_read_stream (FILE *fp, const char *name, size_t max, size_t *len);
char *h2k_read_file (const char *path, size_t max, size_t *len);

/* Current time as RFC 3339 UTC ("2026-11-28T12:00:00Z") into BUF[32]. */
void h2k_now_rfc3339 (char buf[32]);

/* A new private directory TMPDIR/PREFIX.XXXXXX (TMPDIR, else /tmp);
 * caller frees, and removes it with h2k_remove_tree.  NULL reported.
 */
char *h2k_make_temp_dir (const char *prefix);

/* Remove PATH and everything under it (symlinks are not followed).
 * NULL and a missing PATH are fine.  -1 (not reported) on failure.
 */
int h2k_remove_tree (const char *path);

/* Monotonic seconds, for durations. */
double h2k_monotonic (void);

/* The value of hexadecimal digit C (either case), or -1. */
int h2k_hexval (int c);

#endif
