/* h2k: run an external command by argv. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "run.h"
#include "util.h"

struct sink {
  int fd;                       /* read end, or -1 when closed */
  char **buf;
  size_t *len;
  size_t cap;
  h2k_run_line_fn line_fn;      /* if set, records go here, not to buf */
  void *opaque;
};

void
h2k_run_result_free (struct h2k_run_result *res)
{
  if (res == NULL)
    return;
  free (res->out);
  free (res->err);
  res->out = res->err = NULL;
  res->out_len = res->err_len = 0;
}

/* Hand every complete record ('\n' or '\r' terminated, terminator
 * stripped, empty ones skipped) to the line callback, keep the rest.
 */
static void
sink_lines (struct sink *s)
{
  char *buf = *s->buf;
  size_t start = 0;

  for (size_t i = 0; i < *s->len; ++i) {
    if (buf[i] != '\n' && buf[i] != '\r')
      continue;
    buf[i] = '\0';
    if (i > start)
      s->line_fn (buf + start, s->opaque);
    start = i + 1;
  }
  memmove (buf, buf + start, *s->len - start);
  *s->len -= start;
  buf[*s->len] = '\0';
}

static int
sink_read (struct sink *s)
{
  char tmp[65536];
  ssize_t r = read (s->fd, tmp, sizeof tmp);

  if (r == -1)
    return errno == EINTR || errno == EAGAIN ? 0 : -1;
  if (r == 0) {
    close (s->fd);
    s->fd = -1;
    if (s->line_fn && *s->len > 0) {
      s->line_fn ((*s->buf), s->opaque);
      *s->len = 0;
    }
    return 0;
  }
  if (*s->len + r + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 4096;
    char *p;

    while (cap < *s->len + r + 1)
      cap *= 2;
    p = realloc (*s->buf, cap);
    if (p == NULL)
      return -1;
    *s->buf = p;
    s->cap = cap;
  }
  memcpy (*s->buf + *s->len, tmp, r);
  *s->len += r;
  (*s->buf)[*s->len] = '\0';
  if (s->line_fn)
    sink_lines (s);
  return 0;
}

/* In the child: apply LIMITS.  -1 on failure (errno set). */
static int
set_limits (const struct h2k_run_limits *limits)
{
  struct rlimit rl;

  if (limits == NULL)
    return 0;
  if (limits->address_space) {
    rl.rlim_cur = rl.rlim_max = limits->address_space;
    if (setrlimit (RLIMIT_AS, &rl) == -1)
      return -1;
  }
  if (limits->cpu_seconds) {
    rl.rlim_cur = limits->cpu_seconds;
    rl.rlim_max = limits->cpu_seconds + 1;
    if (setrlimit (RLIMIT_CPU, &rl) == -1)
      return -1;
  }
  return 0;
}

/* In the child: wire up fds, apply LIMITS and exec.  Never returns. */
static void __attribute__((noreturn))
child (const char *const *argv, int outfd, int errfd,
       const struct h2k_run_limits *limits)
{
  int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  if (null == -1 || dup2 (null, 0) == -1)
    _exit (126);
  if (dup2 (outfd >= 0 ? outfd : 2, 1) == -1)
    _exit (126);
  if (errfd >= 0 && dup2 (errfd, 2) == -1)
    _exit (126);
  signal (SIGPIPE, SIG_DFL);
  if (set_limits (limits) == -1) {
    fprintf (stderr, "%s: %s: setrlimit: %m\n", h2k_progname, argv[0]);
    _exit (126);
  }
  execvp (argv[0], (char *const *) argv);
  fprintf (stderr, "%s: %s: %m\n", h2k_progname, argv[0]);
  _exit (errno == ENOENT ? 127 : 126);
}

static int
collect (struct sink *sinks, size_t n)
{
  for (;;) {
    struct pollfd pfd[2];
    size_t np = 0;

    for (size_t i = 0; i < n; ++i)
      if (sinks[i].fd >= 0)
        pfd[np++] = (struct pollfd) { .fd = sinks[i].fd, .events = POLLIN };
    if (np == 0)
      return 0;
    if (poll (pfd, np, -1) == -1) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    for (size_t j = 0; j < np; ++j) {
      if (!(pfd[j].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      for (size_t i = 0; i < n; ++i)
        if (sinks[i].fd == pfd[j].fd && sink_read (&sinks[i]) == -1)
          return -1;
    }
  }
}

static int
run (const char *const *argv, unsigned flags,
     const struct h2k_run_limits *limits, h2k_run_line_fn line_fn,
     void *opaque, struct h2k_run_result *res)
{
  int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
  struct sink sinks[2];
  size_t nsinks = 0;
  int r = -1, wstatus;
  pid_t pid;

  memset (res, 0, sizeof *res);
  if (h2k_verbose) {
    CLEANUP_FREE char *cmd = h2k_argv_to_string (argv);
    h2k_debug ("running: %s", cmd ? cmd : argv[0]);
  }
  if (((flags & H2K_RUN_OUT) && pipe2 (outp, O_CLOEXEC) == -1) ||
      ((flags & H2K_RUN_ERR) && pipe2 (errp, O_CLOEXEC) == -1)) {
    h2k_error ("pipe: %m");
    goto out;
  }
  fflush (stderr);
  pid = fork ();
  if (pid == -1) {
    h2k_error ("fork: %m");
    goto out;
  }
  if (pid == 0)
    child (argv, outp[1], errp[1], limits);

  if (outp[1] >= 0) {
    close (outp[1]);
    outp[1] = -1;
    sinks[nsinks++] = (struct sink) { outp[0], &res->out, &res->out_len, 0,
                                      line_fn, opaque };
    outp[0] = -1;
  }
  if (errp[1] >= 0) {
    close (errp[1]);
    errp[1] = -1;
    sinks[nsinks++] = (struct sink) { errp[0], &res->err, &res->err_len, 0,
                                      NULL, NULL };
    errp[0] = -1;
  }
  r = collect (sinks, nsinks);
  if (r == -1)
    h2k_error ("reading output of %s: %m", argv[0]);
  for (size_t i = 0; i < nsinks; ++i)
    if (sinks[i].fd >= 0)
      close (sinks[i].fd);
  while (waitpid (pid, &wstatus, 0) == -1) {
    if (errno != EINTR) {
      h2k_error ("waitpid %s: %m", argv[0]);
      r = -1;
      goto out;
    }
  }
  res->status = WIFEXITED (wstatus) ? WEXITSTATUS (wstatus)
                                    : 128 + WTERMSIG (wstatus);
  if (res->status == 127 && !h2k_have_program (argv[0])) {
    h2k_error ("%s: command not found", argv[0]);
    r = -1;
  }
 out:
  for (int i = 0; i < 2; ++i) {
    if (outp[i] >= 0) close (outp[i]);
    if (errp[i] >= 0) close (errp[i]);
  }
  return r;
}

int
h2k_run (const char *const *argv, unsigned flags, struct h2k_run_result *res)
{
  return run (argv, flags, NULL, NULL, NULL, res);
}

int
h2k_run_limited (const char *const *argv, unsigned flags,
                 const struct h2k_run_limits *limits,
                 struct h2k_run_result *res)
{
  return run (argv, flags, limits, NULL, NULL, res);
}

int
h2k_run_lines (const char *const *argv, unsigned flags,
               h2k_run_line_fn line_fn, void *opaque,
               struct h2k_run_result *res)
{
  int r = run (argv, flags | H2K_RUN_OUT, NULL, line_fn, opaque, res);

  /* Records were consumed; do not leave a partial one looking like output. */
  if (res->out)
    res->out[0] = '\0';
  res->out_len = 0;
  return r;
}

/* The last non-empty line of s, copied; or NULL. */
static char *
last_line (const char *s, size_t len)
{
  size_t end = len, start;

  while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r' || s[end - 1] == ' '))
    end--;
  start = end;
  while (start > 0 && s[start - 1] != '\n')
    start--;
  return end > start ? strndup (s + start, end - start) : NULL;
}

int
h2k_run_ok (const char *const *argv, unsigned flags, struct h2k_run_result *res)
{
  CLEANUP_FREE char *line = NULL;

  if (h2k_run (argv, flags | H2K_RUN_ERR, res) == -1)
    return -1;
  if (h2k_verbose && res->err_len > 0)
    fwrite (res->err, 1, res->err_len, stderr);
  if (res->status == 0)
    return 0;
  if (res->err)
    line = last_line (res->err, res->err_len);
  if (res->status > 128)
    h2k_error ("%s killed by signal %d%s%s", argv[0], res->status - 128,
               line ? ": " : "", line ? line : "");
  else
    h2k_error ("%s failed (exit %d)%s%s", argv[0], res->status,
               line ? ": " : "", line ? line : "");
  return -1;
}

char *
h2k_run_err_line (const struct h2k_run_result *res)
{
  return res->err ? last_line (res->err, res->err_len) : NULL;
}

static int
needs_quotes (const char *s)
{
  if (*s == '\0')
    return 1;
  for (; *s; ++s)
    if (!strchr ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "0123456789-_./=:,+@%", *s))
      return 1;
  return 0;
}

char *
h2k_argv_to_string (const char *const *argv)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream (&buf, &len);

  if (fp == NULL)
    return NULL;
  for (size_t i = 0; argv[i] != NULL; ++i) {
    if (i > 0)
      fputc (' ', fp);
    if (!needs_quotes (argv[i])) {
      fputs (argv[i], fp);
      continue;
    }
    fputc ('\'', fp);
    for (const char *p = argv[i]; *p; ++p) {
      if (*p == '\'')
        fputs ("'\\''", fp);
      else
        fputc (*p, fp);
    }
    fputc ('\'', fp);
  }
  if (fclose (fp) != 0) {
    free (buf);
    return NULL;
  }
  return buf;
}

int
h2k_have_program (const char *program)
{
  const char *path = getenv ("PATH");
  CLEANUP_FREE char *copy = NULL;
  char *dir, *save = NULL;

  if (strchr (program, '/'))
    return access (program, X_OK) == 0;
  copy = strdup (path ? path : "/usr/bin:/bin");
  if (copy == NULL)
    return 0;
  for (dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save)) {
    CLEANUP_FREE char *full = NULL;

    if (asprintf (&full, "%s/%s", dir, program) == -1)
      return 0;
    if (access (full, X_OK) == 0)
      return 1;
  }
  return 0;
}

/* Append what is readable on FD to *BUF.  Returns 1 at EOF, 0, or -1. */
static int
append_read (int fd, char **buf, size_t *len, size_t *cap)
{
  struct sink s = { fd, buf, len, *cap, NULL, NULL };
  int r = sink_read (&s);

  *cap = s.cap;
  if (r == -1)
    return -1;
  return s.fd == -1 ? 1 : 0;
}

int
h2k_run_until (const char *const *argv, const char *match, double timeout,
               int *matched, struct h2k_run_result *res)
{
  regex_t re;
  int p[2] = { -1, -1 }, r = -1, wstatus, eof = 0, killed = 0;
  size_t cap = 0;
  double deadline = h2k_monotonic () + timeout;
  pid_t pid;

  memset (res, 0, sizeof *res);
  *matched = 0;
  if (regcomp (&re, match, REG_EXTENDED | REG_NOSUB) != 0) {
    h2k_error ("bad regular expression '%s'", match);
    return -1;
  }
  if (pipe2 (p, O_CLOEXEC) == -1) {
    h2k_error ("pipe: %m");
    goto out;
  }
  fflush (stderr);
  pid = fork ();
  if (pid == -1) {
    h2k_error ("fork: %m");
    goto out;
  }
  if (pid == 0) {
    dup2 (p[1], 2);
    child (argv, p[1], -1, NULL);
  }
  close (p[1]);
  p[1] = -1;
  while (!eof && !*matched) {
    int left = (int) ((deadline - h2k_monotonic ()) * 1000);
    struct pollfd pfd = { .fd = p[0], .events = POLLIN };

    if (left <= 0)
      break;
    if (poll (&pfd, 1, left) == -1 && errno != EINTR) {
      h2k_error ("poll: %m");
      break;
    }
    if (pfd.revents == 0)
      continue;
    eof = append_read (p[0], &res->out, &res->out_len, &cap);
    if (eof == -1) {
      h2k_error ("reading output of %s: %m", argv[0]);
      break;
    }
    if (eof == 1)
      p[0] = -1;
    if (res->out && regexec (&re, res->out, 0, NULL, 0) == 0)
      *matched = 1;
  }
  if (!eof) {
    kill (pid, SIGKILL);
    killed = 1;
  }
  while (waitpid (pid, &wstatus, 0) == -1 && errno == EINTR)
    ;
  res->status = WIFEXITED (wstatus) ? WEXITSTATUS (wstatus)
                                    : 128 + WTERMSIG (wstatus);
  h2k_debug ("%s: %s after %.1fs, status %d", argv[0],
             *matched ? "matched" : killed ? "killed" : "exited",
             timeout - (deadline - h2k_monotonic ()), res->status);
  r = 0;
 out:
  if (p[0] >= 0) close (p[0]);
  if (p[1] >= 0) close (p[1]);
  regfree (&re);
  return r;
}
