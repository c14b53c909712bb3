/* h2k: human reports printed instead of the manifest. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "error.h"
#include "publish.h"
#include "report.h"

/* Limits against absurd manifests (the schema caps arrays at 4096). */
#define MAX_COLS 16
#define MAX_ROWS 65536

struct h2k_table {
  size_t ncols, nrows, alloc;
  char **cells;                 /* nrows * ncols, row-major */
};

int
h2k_parse_format (const char *arg, enum h2k_format *fmt)
{
  if (strcmp (arg, "manifest") == 0)
    *fmt = H2K_FORMAT_MANIFEST;
  else if (strcmp (arg, "table") == 0)
    *fmt = H2K_FORMAT_TABLE;
  else {
    h2k_error ("--format: \"%s\": expected manifest or table", arg);
    return -1;
  }
  return 0;
}

struct h2k_table *
h2k_table_new (size_t ncols)
{
  struct h2k_table *t;

  if (ncols == 0 || ncols > MAX_COLS) {
    h2k_error ("table: %zu columns (1 to %d)", ncols, MAX_COLS);
    return NULL;
  }
  t = calloc (1, sizeof *t);
  if (t == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  t->ncols = ncols;
  return t;
}

static int
grow (struct h2k_table *t)
{
  size_t alloc = t->alloc ? t->alloc * 2 : 8;
  char **cells;

  if (t->nrows >= MAX_ROWS) {
    h2k_error ("table: more than %d rows", MAX_ROWS);
    return -1;
  }
  cells = reallocarray (t->cells, alloc * t->ncols, sizeof *cells);
  if (cells == NULL) {
    h2k_error ("%m");
    return -1;
  }
  t->cells = cells;
  t->alloc = alloc;
  return 0;
}

int
h2k_table_add (struct h2k_table *t, const char *const *cells)
{
  char **row;

  if (t->nrows == t->alloc && grow (t) == -1)
    return -1;
  row = &t->cells[t->nrows * t->ncols];
  for (size_t i = 0; i < t->ncols; ++i) {
    row[i] = strdup (cells[i] ? cells[i] : "-");
    if (row[i] == NULL) {
      while (i-- > 0)
        free (row[i]);
      h2k_error ("%m");
      return -1;
    }
  }
  t->nrows++;
  return 0;
}

size_t
h2k_table_rows (const struct h2k_table *t)
{
  return t->nrows;
}

void
h2k_table_print (const struct h2k_table *t, FILE *fp, const char *indent)
{
  size_t width[MAX_COLS] = { 0 };

  for (size_t r = 0; r < t->nrows; ++r)
    for (size_t c = 0; c < t->ncols; ++c) {
      size_t len = strlen (t->cells[r * t->ncols + c]);
      if (len > width[c])
        width[c] = len;
    }
  for (size_t r = 0; r < t->nrows; ++r) {
    char *const *row = &t->cells[r * t->ncols];
    size_t last = t->ncols - 1;

    fputs (indent, fp);
    for (size_t c = 0; c < last; ++c)
      fprintf (fp, "%-*s  ", (int) width[c], row[c]);
    fprintf (fp, "%s\n", row[last]);
  }
}

void
h2k_table_free (struct h2k_table *t)
{
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->nrows * t->ncols; ++i)
    free (t->cells[i]);
  free (t->cells);
  free (t);
}

void
h2k_cleanup_table (void *ptr)
{
  h2k_table_free (*(struct h2k_table **) ptr);
}

static int
needs_quotes (const char *s)
{
  return s[0] == '\0' ||
    s[strspn (s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
              "0123456789_./:=@%+,-")] != '\0';
}

void
h2k_print_argv (FILE *fp, json_object *argv)
{
  size_t n = argv ? json_object_array_length (argv) : 0;

  for (size_t i = 0; i < n; ++i) {
    const char *s = json_object_get_string (json_object_array_get_idx (argv, i));

    if (i)
      fputc (' ', fp);
    if (!needs_quotes (s)) {
      fputs (s, fp);
      continue;
    }
    fputc ('\'', fp);
    for (; *s; ++s)
      if (*s == '\'')
        fputs ("'\\''", fp);
      else
        fputc (*s, fp);
    fputc ('\'', fp);
  }
}

/* Render M into a buffer (caller frees); NULL reported. */
static char *
render_buffer (json_object *m, h2k_render_fn render, const void *opaque,
               size_t *len)
{
  char *buf = NULL;
  FILE *fp = open_memstream (&buf, len);
  int r;

  if (fp == NULL) {
    h2k_error ("open_memstream: %m");
    return NULL;
  }
  r = render (fp, m, opaque);
  if (fclose (fp) != 0 && r == 0) {
    h2k_error ("rendering the report: %m");
    r = -1;
  }
  if (r == -1) {
    free (buf);
    return NULL;
  }
  return buf;
}

int
h2k_tool_finish_report (struct h2k_tool *t, json_object *m, int r,
                        h2k_render_fn render, const void *opaque)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len = 0;

  if (r == 0 && m)
    buf = render_buffer (m, render, opaque, &len);
  if (buf == NULL)
    return h2k_tool_finish (t, m, -1);
  if (h2k_write_all (STDOUT_FILENO, buf, len) == -1 ||
      close (STDOUT_FILENO) == -1) {
    h2k_error ("<stdout>: writing the report: %m");
    return h2k_tool_finish (t, m, -1);
  }
  json_object_put (m);
  h2k_clear_error ();
  return H2K_EXIT_OK;
}
