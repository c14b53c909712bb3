/* h2k unit tests: files of the corpus of real samples ($H2K_CORPUS, else
 * ../shared/corpus beside the source tree).
 *
 *   int main (void) {
 *     if (!corpus_open ("h2k-test-x")) {    prints the TAP plan "1..0 # SKIP"
 *       return 0;                            when there is no corpus
 *     ...
 *     char *p = corpus_file ("registry-hives/regipy/SYSTEM.xz");
 *     ...                                    (caller frees p)
 *     corpus_close ();
 *
 * A file ending in .xz is decompressed (xz -dc, by argv) once into a
 * private temporary directory, which corpus_close removes.  A file that
 * is missing or cannot be decompressed ends the test (exit 1).  Needs
 * h2k.h (h2k_run_ok, h2k_remove_tree).
 */
#ifndef H2K_TEST_CORPUS_H
#define H2K_TEST_CORPUS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char corpus_dir[4096];
static char corpus_tmp[4096];

/* 1: the corpus is there (and the temporary directory made); 0: it is
 * not (the TAP plan says SKIP).  Exits when mkdtemp fails.
 */
static inline int
corpus_open (const char *name)
{
  const char *c = getenv ("H2K_CORPUS");
  struct stat st;

  snprintf (corpus_dir, sizeof corpus_dir, "%s", c ? c : SRCDIR "/../shared/corpus");
  if (stat (corpus_dir, &st) != 0 || !S_ISDIR (st.st_mode)) {
    printf ("1..0 # SKIP corpus not found at %s (set H2K_CORPUS)\n", corpus_dir);
    return 0;
  }
  snprintf (corpus_tmp, sizeof corpus_tmp, "/tmp/%s.XXXXXX", name);
  if (mkdtemp (corpus_tmp) == NULL) {
    perror ("mkdtemp");
    exit (1);
  }
  return 1;
}

/* The path of the corpus file REL, decompressed when it ends in .xz.
 * Caller frees.
 */
static inline char *
corpus_file (const char *rel)
{
  const char *base = strrchr (rel, '/') ? strrchr (rel, '/') + 1 : rel;
  size_t n = strlen (base);
  char *src = NULL, *dst = NULL;
  FILE *fp;

  if (asprintf (&src, "%s/%s", corpus_dir, rel) == -1)
    exit (1);
  if (access (src, R_OK) != 0) {
    printf ("# corpus file missing: %s\n", src);
    exit (1);
  }
  if (n < 3 || strcmp (base + n - 3, ".xz") != 0)
    return src;
  if (asprintf (&dst, "%s/%.*s", corpus_tmp, (int) (n - 3), base) == -1)
    exit (1);
  if (access (dst, R_OK) != 0) {
    const char *argv[] = { "xz", "-dc", "--", src, NULL };
    CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };

    if (h2k_run_ok (argv, H2K_RUN_OUT, &res) == -1 ||
        (fp = fopen (dst, "w")) == NULL) {
      printf ("# cannot decompress %s\n", src);
      exit (1);
    }
    if (fwrite (res.out, 1, res.out_len, fp) != res.out_len || fclose (fp) != 0)
      exit (1);
  }
  free (src);
  return dst;
}

/* Remove the temporary directory: 0, or -1 reported. */
static inline int
corpus_close (void)
{
  return *corpus_tmp ? h2k_remove_tree (corpus_tmp) : 0;
}

#endif
