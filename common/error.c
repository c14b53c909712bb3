/* h2k: errors, warnings and debug messages. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

const char *h2k_progname = "h2k";
int h2k_verbose;

static char *first_error;

void
h2k_set_progname (const char *argv0)
{
  const char *p = argv0 ? strrchr (argv0, '/') : NULL;

  if (argv0)
    h2k_progname = p ? p + 1 : argv0;
}

/* Print "progname: [prefix]message\n" to stderr.  errno is restored before
 * formatting so that %m names the caller's error.
 */
static char *
vreport (int saved_errno, const char *prefix, const char *fs, va_list args)
{
  char *msg = NULL;

  errno = saved_errno;
  if (vasprintf (&msg, fs, args) == -1)
    msg = NULL;
  fprintf (stderr, "%s: %s%s\n", h2k_progname, prefix,
           msg ? msg : "(out of memory formatting a message)");
  return msg;
}

void
h2k_error (const char *fs, ...)
{
  int e = errno;
  va_list args;
  char *msg;

  va_start (args, fs);
  msg = vreport (e, "", fs, args);
  va_end (args);
  if (first_error == NULL)
    first_error = msg;
  else
    free (msg);
  errno = e;
}

void
h2k_warning (const char *fs, ...)
{
  int e = errno;
  va_list args;

  va_start (args, fs);
  free (vreport (e, "warning: ", fs, args));
  va_end (args);
  errno = e;
}

void
h2k_info (const char *fs, ...)
{
  int e = errno;
  va_list args;

  va_start (args, fs);
  free (vreport (e, "", fs, args));
  va_end (args);
  errno = e;
}

void
h2k_debug_at (const char *func, const char *fs, ...)
{
  int e = errno;
  va_list args;
  char *msg = NULL;

  va_start (args, fs);
  if (vasprintf (&msg, fs, args) == -1)
    msg = NULL;
  va_end (args);
  fprintf (stderr, "%s: debug: %s: %s\n", h2k_progname, func,
           msg ? msg : "(out of memory)");
  free (msg);
  errno = e;
}

const char *
h2k_first_error (void)
{
  return first_error;
}

void
h2k_clear_error (void)
{
  free (first_error);
  first_error = NULL;
}
