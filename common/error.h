/* h2k: errors, warnings and debug messages.
 *
 * Every message goes to stderr as one line: "progname: message".  Library
 * code reports an error once, with h2k_error, then returns -1 (or NULL); it
 * never exits.  Only main() exits, with one exception: the common option
 * handling, h2k_tool_option (tool.h), exits for -h, -V, a bad option and
 * a bad --allow-disk-dir, as getopt-style option parsing does.  Formats may
 * use %m (errno).
 */
#ifndef H2K_ERROR_H
#define H2K_ERROR_H

#include <stdbool.h>

extern const char *h2k_progname;
extern int h2k_verbose;

/* Set h2k_progname from argv[0] (its basename). */
void h2k_set_progname (const char *argv0);

void h2k_error (const char *fs, ...) __attribute__((format (printf, 1, 2)));
void h2k_warning (const char *fs, ...) __attribute__((format (printf, 1, 2)));
/* A progress or status line, always shown. */
void h2k_info (const char *fs, ...) __attribute__((format (printf, 1, 2)));
void h2k_debug_at (const char *func, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));

/* Debug messages, shown with -v, prefixed by the function name. */
#define h2k_debug(fs, ...)                                        \
  do {                                                            \
    if (h2k_verbose)                                              \
      h2k_debug_at (__func__, (fs), ##__VA_ARGS__);               \
  } while (0)

/* The text of the first error reported since the last h2k_clear_error, or
 * NULL.  The stage record takes its message from here.  Owned by the
 * library; valid until the next h2k_clear_error.
 */
const char *h2k_first_error (void);
void h2k_clear_error (void);

#endif
