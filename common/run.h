/* h2k: run an external command by argv, never through a shell.
 *
 * The child's stdin is /dev/null.  Its stdout is captured (H2K_RUN_OUT) or
 * sent to our stderr, never to our stdout, which carries only the manifest.
 * Its stderr is captured (H2K_RUN_ERR) or passed through to our stderr.
 */
#ifndef H2K_RUN_H
#define H2K_RUN_H

#include <stddef.h>

enum {
  H2K_RUN_OUT = 1,              /* capture stdout into res->out */
  H2K_RUN_ERR = 2,              /* capture stderr into res->err */
};

struct h2k_run_result {
  int status;                   /* exit code, or 128 + signal number */
  char *out;                    /* captured stdout, NUL-terminated, or NULL */
  size_t out_len;
  char *err;                    /* captured stderr, NUL-terminated, or NULL */
  size_t err_len;
};

/* Run argv[0] (looked up in PATH) with argv.  Returns 0 when the command
 * ran to the end, whatever its status (in res->status); -1, reported, when
 * it could not be started or read.  The caller frees res with
 * h2k_run_result_free, on success and failure alike.
 */
int h2k_run (const char *const *argv, unsigned flags,
             struct h2k_run_result *res);

/* Resource limits set in the child before exec (setrlimit), for commands
 * that read untrusted input (qemu-img info of an image off the net): a
 * crafted image must not exhaust the host.  0 leaves a limit alone.  The
 * CPU limit is soft; the hard one is a second later, so the command gets
 * SIGXCPU (status 128 + SIGXCPU) before SIGKILL.
 */
struct h2k_run_limits {
  unsigned long long address_space;     /* RLIMIT_AS, bytes */
  unsigned long cpu_seconds;            /* RLIMIT_CPU */
};

/* h2k_run with LIMITS (NULL: none). */
int h2k_run_limited (const char *const *argv, unsigned flags,
                     const struct h2k_run_limits *limits,
                     struct h2k_run_result *res);

/* Like h2k_run, but a non-zero status is an error too, reported as
 * "ARGV0 failed (exit N): LAST LINE OF STDERR".  Stderr is always captured
 * (so it can be quoted); with -v it is also printed.
 */
int h2k_run_ok (const char *const *argv, unsigned flags,
                struct h2k_run_result *res);

/* Like h2k_run, but the child's stdout is read as it comes and handed to
 * LINE_FN one record at a time (records end at '\n' or '\r', as progress
 * meters write them; the terminator is stripped and empty records are
 * skipped).  LINE is only valid during the call.  res->out stays empty.
 */
typedef void (*h2k_run_line_fn) (const char *line, void *opaque);
int h2k_run_lines (const char *const *argv, unsigned flags,
                   h2k_run_line_fn line_fn, void *opaque,
                   struct h2k_run_result *res);

/* The last non-empty line of the captured stderr (for messages quoting a
 * failed command), or NULL.  The caller frees it.
 */
char *h2k_run_err_line (const struct h2k_run_result *res);

void h2k_run_result_free (struct h2k_run_result *res);

#define CLEANUP_RUN_RESULT __attribute__((cleanup (h2k_run_result_free)))

/* Run ARGV with stdout and stderr captured together (into res->out) until
 * the extended regular expression MATCH appears in what it printed, or
 * TIMEOUT seconds pass, or it exits.  A command still running then is
 * killed (SIGKILL) and reaped.  *MATCHED is set to 1 if MATCH appeared.
 * res->status is the exit status, or 128 + 9 when we killed it.  Returns
 * 0, or -1 reported (could not start, bad regex).
 */
int h2k_run_until (const char *const *argv, const char *match,
                   double timeout, int *matched, struct h2k_run_result *res);

/* The command line as text, for messages only (shell-quoted where needed).
 * Returns a string the caller must free, or NULL on ENOMEM.
 */
char *h2k_argv_to_string (const char *const *argv);

/* Is PROGRAM found in PATH? */
int h2k_have_program (const char *program);

#endif
