/* h2k unit tests of the linuxcfg parsers: shared helpers.
 *
 * The corpus is $H2K_CORPUS, or SRCDIR "/../shared/corpus".
 */
#ifndef H2K_LINUXCFG_TEST_H
#define H2K_LINUXCFG_TEST_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "h2k.h"
#include "linuxcfg.h"
#include "test.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

static int lct_saved_fd = -1;

/* Silence stderr (expected error messages) until lct_loud. */
static inline void
lct_quiet (void)
{
  int fd;

  fflush (stderr);
  lct_saved_fd = dup (2);
  fd = open ("/dev/null", O_WRONLY);
  dup2 (fd, 2);
  close (fd);
  h2k_clear_error ();
}

static inline void
lct_loud (void)
{
  fflush (stderr);
  dup2 (lct_saved_fd, 2);
  close (lct_saved_fd);
}

/* Corpus directory (static storage), or NULL if absent. */
static inline const char *
lct_corpus (void)
{
  static char buf[4096];
  const char *env = getenv ("H2K_CORPUS");
  struct stat st;

  snprintf (buf, sizeof buf, "%s/linux-guest-config",
            env && *env ? env : SRCDIR "/../shared/corpus");
  if (stat (buf, &st) == -1 || !S_ISDIR (st.st_mode))
    return NULL;
  buf[strlen (buf) - strlen ("/linux-guest-config")] = '\0';
  return buf;
}

/* Read a corpus file (PATH relative to the corpus); caller frees. */
static inline char *
lct_read (const char *rel, size_t *len)
{
  const char *c = lct_corpus ();
  char path[4096];

  if (c == NULL)
    return NULL;
  if (snprintf (path, sizeof path, "%s/%s", c, rel) >= (int) sizeof path)
    return NULL;
  return h2k_read_file (path, 64 * 1024 * 1024, len);
}

/* RUN a test that needs the corpus, or report it skipped. */
#define RUN_CORPUS(name)                                                \
  do {                                                                  \
    if (lct_corpus () == NULL)                                          \
      printf ("ok %d - %s # SKIP corpus missing\n", ++test_n, #name);   \
    else                                                                \
      RUN (name);                                                       \
  } while (0)

/* Call FN (path relative to the corpus, basename) on every regular file
 * under the corpus's linux-guest-config, sorted.
 */
/* Parse the corpus file REL (relative to the corpus) with PARSE; NULL if
 * it cannot be read or does not parse.  Caller puts the result.
 */
static inline json_object *
lct_parse (json_object *(*parse) (const char *, size_t, const char *),
           const char *rel)
{
  size_t len;
  char *text = lct_read (rel, &len);
  json_object *d = text ? parse (text, len, rel) : NULL;

  free (text);
  return d;
}

typedef void (*lct_fn) (const char *rel, const char *base, void *opaque);

static inline int
lct_cmp (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static inline void
lct_walk_dir (const char *top, const char *rel, lct_fn fn, void *opaque)
{
  char path[4096], sub[4096];
  char **names = NULL;
  size_t n = 0, i;
  struct dirent *d;
  DIR *dir;

  if (snprintf (path, sizeof path, "%s/%s", top, rel) >= (int) sizeof path)
    return;
  dir = opendir (path);
  if (dir == NULL)
    return;
  while ((d = readdir (dir)) != NULL) {
    if (d->d_name[0] == '.')
      continue;
    names = realloc (names, (n + 1) * sizeof *names);
    names[n++] = strdup (d->d_name);
  }
  closedir (dir);
  if (n)
    qsort (names, n, sizeof *names, lct_cmp);
  for (i = 0; i < n; ++i) {
    struct stat st;

    if (snprintf (sub, sizeof sub, "%s/%s", rel, names[i]) < (int) sizeof sub
        && snprintf (path, sizeof path, "%s/%s", top, sub) < (int) sizeof path
        && stat (path, &st) == 0) {
      if (S_ISDIR (st.st_mode))
        lct_walk_dir (top, sub, fn, opaque);
      else if (S_ISREG (st.st_mode))
        fn (sub, names[i], opaque);
    }
    free (names[i]);
  }
  free (names);
}

static inline void
lct_walk (lct_fn fn, void *opaque)
{
  const char *c = lct_corpus ();

  if (c)
    lct_walk_dir (c, "linux-guest-config", fn, opaque);
}

static inline int
lct_has (const char *s, const char *sub)
{
  return s && strstr (s, sub) != NULL;
}

static inline int
lct_ends (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);

  return a >= b && strcmp (s + a - b, suffix) == 0;
}

/* Parse corpus file REL with PARSE; on refusal check that the message
 * is "REL...: line N: ..." and count it.  Returns the result (caller puts).
 */
typedef json_object *(*lct_parser) (const char *, size_t, const char *);

struct lct_stats {
  int parsed, refused, bad_messages;
};

static inline json_object *
lct_try (lct_parser parse, const char *rel, struct lct_stats *st)
{
  size_t len = 0;
  char *text = lct_read (rel, &len);
  json_object *r;

  if (text == NULL) {
    st->bad_messages++;
    return NULL;
  }
  lct_quiet ();
  r = parse (text, len, rel);
  lct_loud ();
  if (r)
    st->parsed++;
  else {
    const char *msg = h2k_first_error ();
    st->refused++;
    printf ("# refused: %s\n", msg ? msg : "(no message)");
    if (msg == NULL || strncmp (msg, rel, strlen (rel)) != 0 ||
        strstr (msg, ": line ") == NULL)
      st->bad_messages++;
  }
  h2k_clear_error ();
  free (text);
  return r;
}

/* Feed random and mutated bytes to PARSE: it must not crash (ASan and
 * valgrind catch the rest).  SEED makes runs reproducible.
 */
static inline void
lct_fuzz (lct_parser parse, const char *sample, unsigned seed, int rounds)
{
  size_t slen = strlen (sample);
  char *buf = malloc (slen + 512);
  int r;

  srand (seed);
  lct_quiet ();
  for (r = 0; r < rounds; ++r) {
    size_t len, i;
    json_object *o;

    if (r % 2 == 0) {           /* random bytes, often printable */
      len = (size_t) (rand () % 512);
      for (i = 0; i < len; ++i) {
        int k = rand () % 8;
        buf[i] = k == 0 ? (char) (rand () % 256)
          : k == 1 ? '\n' : k == 2 ? "\"'\\#=[]{}:-/ \t"[rand () % 15]
          : (char) (' ' + rand () % 95);
      }
    }
    else {                      /* the sample, mutated */
      memcpy (buf, sample, slen);
      len = slen;
      for (i = 0; i < 8 && len > 0; ++i)
        buf[rand () % len] = "\"'\\#=[]{}:\n -\t"[rand () % 14];
      len = (size_t) rand () % (len + 1);
    }
    o = parse (buf, len, "fuzz");
    json_object_put (o);
    h2k_clear_error ();
  }
  lct_loud ();
  free (buf);
}

/* JSON path helpers for checks: lct_str (o, "interfaces", 0, "name") */
static inline json_object *
lct_get (json_object *o, const char *key)
{
  json_object *v = NULL;

  if (o && json_object_is_type (o, json_type_object))
    json_object_object_get_ex (o, key, &v);
  return v;
}

static inline json_object *
lct_idx (json_object *a, size_t i)
{
  if (a == NULL || !json_object_is_type (a, json_type_array) ||
      i >= json_object_array_length (a))
    return NULL;
  return json_object_array_get_idx (a, i);
}

static inline const char *
lct_s (json_object *o)
{
  return o && json_object_is_type (o, json_type_string)
    ? json_object_get_string (o) : NULL;
}

static inline long
lct_len (json_object *a)
{
  return a && json_object_is_type (a, json_type_array)
    ? (long) json_object_array_length (a) : -1;
}

/* Parse TEXT (a C string) with PARSE, expecting success. */
#define PARSE(parse, text) ((parse) ((text), strlen (text), "test"))

#endif
