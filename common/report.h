/* h2k: human reports printed instead of the manifest (--format table).
 *
 * A tool that offers --format table renders the manifest into text with a
 * render function, usually as aligned tables:
 *
 *   struct h2k_table *t CLEANUP_TABLE = h2k_table_new (3);
 *   h2k_table_add (t, (const char *[]) { "ID", "FORMAT", "SIZE" });
 *   h2k_table_add (t, (const char *[]) { id, fmt, NULL });   NULL prints "-"
 *   h2k_table_print (t, fp, "  ");
 *
 * and ends with h2k_tool_finish_report instead of h2k_tool_finish: the
 * report goes to stdout, written once at the end, and nothing at all on
 * failure.
 */
#ifndef H2K_REPORT_H
#define H2K_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

#include "tool.h"

/* What goes to stdout. */
enum h2k_format {
  H2K_FORMAT_MANIFEST,          /* the manifest (default) */
  H2K_FORMAT_TABLE,             /* a human report */
};

/* Parse a --format argument ("manifest" or "table").  0, or -1 reported
 * naming the option.
 */
int h2k_parse_format (const char *arg, enum h2k_format *fmt);

/* A table of NCOLS columns whose cells are copied in.  Columns are
 * separated by two spaces and padded to the widest cell (in bytes: the
 * reports are ASCII but for what the guest's files hold); the last column
 * is not padded.  NULL on ENOMEM (reported).
 */
struct h2k_table;
struct h2k_table *h2k_table_new (size_t ncols);

/* Append a row of NCOLS cells; a NULL cell prints as "-".  0, or -1
 * reported.
 */
int h2k_table_add (struct h2k_table *t, const char *const *cells);

/* The number of rows added so far. */
size_t h2k_table_rows (const struct h2k_table *t);

/* Print every row, each line prefixed with INDENT. */
void h2k_table_print (const struct h2k_table *t, FILE *fp, const char *indent);

void h2k_table_free (struct h2k_table *t);
void h2k_cleanup_table (void *ptr);
#define CLEANUP_TABLE __attribute__((cleanup (h2k_cleanup_table)))

/* Print the argv array ARGV (a JSON array of strings) as one line that a
 * shell would split back into the same words: words with anything but
 * [A-Za-z0-9_./:=@%+,-] are single-quoted.
 */
void h2k_print_argv (FILE *fp, json_object *argv);

/* Render M to FP: 0, or -1 reported. */
typedef int (*h2k_render_fn) (FILE *fp, json_object *m, const void *opaque);

/* Like h2k_tool_finish, but on success RENDER's text goes to stdout in
 * place of the manifest (rendered in memory first, so that a failure
 * prints nothing; no stage record is added: nothing reads it).  On
 * failure it is h2k_tool_finish (--failed-manifest included).  Frees M;
 * returns the exit status for main.
 */
int h2k_tool_finish_report (struct h2k_tool *t, json_object *m, int r,
                            h2k_render_fn render, const void *opaque);

#endif
