/* h2k-fix-windows: the first-boot runner and steps (firstboot.c).
 *
 * Exact texts or key lines for small inputs; every text ASCII with CRLF
 * line ends; each class of unsafe input refused naming its field; and a
 * lint of the batch structure (labels defined once and all used, every
 * goto and call target defined, quotes and parentheses balanced on each
 * line, every %VAR% set in the file or a Windows one, no fall-through
 * into a subroutine nor off the end).  The lint is tested on broken
 * scripts too.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-fix-windows/fix-windows.h"

/* ---- Helpers. */

/* Printable ASCII, CR only before LF, LF only after CR, ends in CRLF. */
static int
ascii_crlf (const char *s)
{
  size_t n = strlen (s);

  if (n < 2 || s[n - 2] != '\r' || s[n - 1] != '\n')
    return 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = s[i];
    if (c == '\r' && s[i + 1] == '\n')
      ++i;
    else if (c < 0x20 || c > 0x7e)
      return 0;
  }
  return 1;
}

/* Does S hold LINE as a whole line? */
static int
has_line (const char *s, const char *line)
{
  size_t n = strlen (line);

  for (const char *p = s; p && *p; p = strstr (p, "\r\n"), p = p ? p + 2 : p)
    if (strncmp (p, line, n) == 0 && p[n] == '\r' && p[n + 1] == '\n')
      return 1;
  return 0;
}

/* How many lines of S start with PREFIX? */
static int
count_prefix (const char *s, const char *prefix)
{
  int n = 0;

  for (const char *p = s; p && *p; p = strstr (p, "\r\n"), p = p ? p + 2 : p)
    n += strncmp (p, prefix, strlen (prefix)) == 0;
  return n;
}

/* The last line of S (static buffer). */
static const char *
last_line (const char *s)
{
  static char buf[512];
  size_t n = strlen (s);
  const char *e = s + n - 2, *b = e;

  while (b > s && b[-1] != '\n')
    --b;
  snprintf (buf, sizeof buf, "%.*s", (int) (e - b), b);
  return buf;
}

/* R must be NULL with an error naming FIELD. */
static int
refused (char *r, const char *field)
{
  const char *e = h2k_first_error ();
  int ok = r == NULL && e && strstr (e, field) != NULL;

  if (!ok)
    printf ("# not refused as expected (%s): %s\n", field,
            r ? "accepted" : e ? e : "no error");
  free (r);
  h2k_clear_error ();
  return ok;
}

/* ---- The lint. */

#define MAX_NAMES 256

struct names {
  char *v[MAX_NAMES];
  int used[MAX_NAMES];
  size_t n;
};

static void
names_free (struct names *ns)
{
  for (size_t i = 0; i < ns->n; ++i)
    free (ns->v[i]);
  ns->n = 0;
}

static int
names_find (const struct names *ns, const char *s, size_t len)
{
  for (size_t i = 0; i < ns->n; ++i)
    if (strlen (ns->v[i]) == len && strncasecmp (ns->v[i], s, len) == 0)
      return (int) i;
  return -1;
}

static void
names_add (struct names *ns, const char *s, size_t len)
{
  if (ns->n < MAX_NAMES && names_find (ns, s, len) == -1)
    ns->v[ns->n++] = strndup (s, len);
}

static size_t
word_len (const char *s)
{
  size_t n = 0;

  while (isalnum ((unsigned char) s[n]) || s[n] == '_')
    ++n;
  return n;
}

/* The lines of TEXT (CRLF-split), as a NULL-terminated vector. */
static char **
split_lines (const char *text)
{
  size_t n = 0, cap = 16;
  char **v = malloc (cap * sizeof *v);

  for (const char *p = text; *p;) {
    const char *e = strstr (p, "\r\n");
    if (e == NULL)
      e = p + strlen (p);
    if (n + 2 > cap)
      v = realloc (v, (cap *= 2) * sizeof *v);
    v[n++] = strndup (p, e - p);
    p = *e ? e + 2 : e;
  }
  v[n] = NULL;
  return v;
}

static int
is_rem (const char *l)
{
  return strncasecmp (l, "rem", 3) == 0 && (l[3] == 0 || l[3] == ' ');
}

/* An unconditional jump: the next line is reached only through a label. */
static int
is_jump (const char *l)
{
  return strncasecmp (l, "goto ", 5) == 0 || strncasecmp (l, "exit /b", 7) == 0 ||
    strcmp (l, "(goto) 2>nul & del \"%~f0\"") == 0;
}

/* Variables every Windows cmd.exe has. */
static const char *const windows_vars[] = {
  "SystemRoot", "DATE", "TIME", "ERRORLEVEL", NULL
};

/* Check one line's %-references, quotes and parentheses.  SETS holds the
 * variables the file sets.
 */
static const char *
lint_line (const char *l, const struct names *sets)
{
  int inq = 0, depth = 0;

  for (size_t i = 0; l[i]; ++i) {
    char c = l[i];
    if (c == '%') {
      if (l[i + 1] == '%') {                    /* %%X, %%~X: for variable */
        i += 2;
        if (l[i] == '~')
          ++i;
        if (!isalpha ((unsigned char) l[i]))
          return "bad %% variable";
        continue;
      }
      if (l[i + 1] == '~') {                    /* %~1, %~dp0, %~x1, %~f0 */
        size_t j = i + 2;
        while (isalpha ((unsigned char) l[j]))
          ++j;
        if (!isdigit ((unsigned char) l[j]))
          return "bad %~ parameter";
        i = j;
        continue;
      }
      if (isdigit ((unsigned char) l[i + 1])) {
        ++i;
        continue;
      }
      size_t n = word_len (l + i + 1);
      if (n == 0 || l[i + 1 + n] != '%')
        return "a % that is not a variable reference";
      int known = names_find (sets, l + i + 1, n) != -1;
      for (size_t k = 0; windows_vars[k]; ++k)
        known |= strlen (windows_vars[k]) == n &&
          strncasecmp (windows_vars[k], l + i + 1, n) == 0;
      if (!known)
        return "a %VARIABLE% never set";
      i += n + 1;
      continue;
    }
    if (c == '"')
      inq = !inq;
    else if (!inq && c == '^')
      ++i;
    else if (!inq && c == '(')
      ++depth;
    else if (!inq && c == ')' && --depth < 0)
      return "unbalanced )";
    if (l[i] == 0)
      break;
  }
  return inq ? "odd number of quotes" : depth ? "unbalanced (" : NULL;
}

/* Collect the goto and call :X targets of L (outside quotes) into REFS,
 * and whether any is a call into CALLS.
 */
static void
line_targets (const char *l, struct names *refs, struct names *calls)
{
  int inq = 0;

  for (size_t i = 0; l[i]; ++i) {
    if (l[i] == '"')
      inq = !inq;
    if (inq || (i > 0 && l[i - 1] != ' ' && l[i - 1] != '('))
      continue;
    const char *t = NULL;
    int call = 0;
    if (strncasecmp (l + i, "goto ", 5) == 0)
      t = l + i + 5;
    else if (strncasecmp (l + i, "call :", 6) == 0)
      t = l + i + 5, call = 1;
    if (t == NULL)
      continue;
    if (*t == ':')
      ++t;
    size_t n = word_len (t);
    names_add (refs, t, n);
    if (call)
      names_add (calls, t, n);
  }
}

/* NULL if TEXT is consistent, else why not (static buffer). */
static const char *
lint (const char *text)
{
  static char why[256];
  char **v = split_lines (text);
  struct names sets = { 0 }, labels = { 0 }, refs = { 0 }, calls = { 0 };
  const char *prev = NULL, *err = NULL;
  size_t i;

  *why = 0;
  /* First pass: what the file sets, its labels. */
  for (i = 0; v[i]; ++i) {
    const char *l = v[i], *p;
    for (p = l; (p = strcasestr (p, "set ")) != NULL; p += 4) {
      const char *q = p + 4;
      if (*q == '"')
        ++q;
      else if (strncasecmp (q, "/a ", 3) == 0)
        q += 3;
      names_add (&sets, q, word_len (q));
    }
    if (l[0] == ':') {
      size_t n = word_len (l + 1);
      if (n == 0 || names_find (&labels, l + 1, n) != -1 ||
          strncasecmp (l + 1, "eof", 3) == 0) {
        snprintf (why, sizeof why, "line %zu: bad or repeated label", i + 1);
        break;
      }
      names_add (&labels, l + 1, n);
    }
  }
  for (i = 0; !*why && v[i]; ++i) {
    const char *l = v[i];
    if (*l == 0 || is_rem (l))
      continue;
    if (l[0] != ':' && (err = lint_line (l, &sets)) != NULL)
      snprintf (why, sizeof why, "line %zu: %s: %s", i + 1, err, l);
    line_targets (l, &refs, &calls);
  }
  /* Every target defined, every label used. */
  for (i = 0; !*why && i < refs.n; ++i)
    if (strcasecmp (refs.v[i], "eof") != 0 &&
        names_find (&labels, refs.v[i], strlen (refs.v[i])) == -1)
      snprintf (why, sizeof why, "goto or call to a missing label: %s", refs.v[i]);
  for (i = 0; !*why && i < labels.n; ++i)
    if (names_find (&refs, labels.v[i], strlen (labels.v[i])) == -1)
      snprintf (why, sizeof why, "label never used: %s", labels.v[i]);
  /* A subroutine is entered only by call; the file never runs off its end. */
  for (i = 0; !*why && v[i]; ++i) {
    const char *l = v[i];
    if (l[0] == ':' && names_find (&calls, l + 1, word_len (l + 1)) != -1 &&
        (prev == NULL || !is_jump (prev)))
      snprintf (why, sizeof why, "line %zu: falls through into subroutine %s",
                i + 1, l);
    if (*l && !is_rem (l))
      prev = l;
  }
  if (!*why && (prev == NULL || !is_jump (prev)))
    snprintf (why, sizeof why, "runs off its end");
  names_free (&sets);
  names_free (&labels);
  names_free (&refs);
  names_free (&calls);
  h2k_free_strv (v);
  return *why ? why : NULL;
}

/* Is every X.exe of S named by its full path, %SystemRoot%\System32\X.exe
 * or %S32%\X.exe?
 */
static int
exes_by_full_path (const char *s)
{
  char **v = split_lines (s);
  int ok = 1;

  for (size_t i = 0; v[i]; ++i) {
    const char *l = v[i];
    for (const char *t = l; !is_rem (l) && (t = strstr (t, ".exe")) != NULL; t += 4) {
      const char *b = t;
      while (b > l && !strchr (" \"'(=", b[-1]))
        --b;
      if (strncmp (b, "%SystemRoot%\\System32\\", 22) != 0 &&
          strncmp (b, "%S32%\\", 6) != 0) {
        printf ("# not by full path: %.*s\n", (int) (t + 4 - b), b);
        ok = 0;
      }
    }
  }
  h2k_free_strv (v);
  return ok;
}

/* A generated text: ASCII, CRLF, lint-clean. */
static int
good_text (const char *s)
{
  const char *why;

  if (s == NULL) {
    printf ("# no text: %s\n", h2k_first_error ());
    return 0;
  }
  if (!ascii_crlf (s)) {
    printf ("# not ASCII with CRLF line ends\n");
    return 0;
  }
  if ((why = lint (s)) != NULL) {
    printf ("# lint: %s\n", why);
    return 0;
  }
  return exes_by_full_path (s);
}

/* ---- The lint catches what it is meant to catch. */

TEST (lint_finds_faults)
{
#define OK_END "exit /b 0\r\n"
  CHECK (lint ("@echo off\r\nset \"A=1\"\r\necho %A%\r\n" OK_END) == NULL);
  CHECK (lint ("goto :x\r\n:x\r\n" OK_END) == NULL);
  CHECK (lint ("goto :missing\r\n" OK_END) != NULL);
  CHECK (lint ("call :sub\r\n" OK_END ":other\r\ngoto :eof\r\n") != NULL);
  CHECK (lint ("goto :x\r\n:x\r\n:x\r\n" OK_END) != NULL);
  CHECK (lint (":unused\r\n" OK_END) != NULL);
  CHECK (lint ("echo %NEVERSET%\r\n" OK_END) != NULL);
  CHECK (lint ("echo 50%\r\n" OK_END) != NULL);
  CHECK (lint ("echo \"a\r\n" OK_END) != NULL);
  CHECK (lint ("if 1==1 (echo a\r\n" OK_END) != NULL);
  CHECK (lint ("echo a)\r\n" OK_END) != NULL);
  CHECK (lint ("echo \"a)\"\r\n" OK_END) == NULL);
  CHECK (lint ("echo ^)\r\n" OK_END) == NULL);
  CHECK (lint ("call :sub\r\n:sub\r\ngoto :eof\r\n") != NULL);   /* fall-through */
  CHECK (lint ("call :sub\r\n" OK_END ":sub\r\ngoto :eof\r\n") == NULL);
  CHECK (lint ("echo a\r\n") != NULL);                           /* off the end */
  CHECK (!ascii_crlf ("echo a\n"));
  CHECK (!ascii_crlf ("echo a\r\necho b\n"));
  CHECK (!ascii_crlf ("echo \xc3\xa9\r\n"));
  CHECK (!ascii_crlf ("echo a\rb\r\n"));
  CHECK (ascii_crlf ("echo a\r\n"));
  CHECK (!exes_by_full_path ("reg.exe add x\r\n"));
  CHECK (!exes_by_full_path ("\"C:\\Windows\\System32\\reg.exe\" add x\r\n"));
  CHECK (exes_by_full_path ("\"%SystemRoot%\\System32\\reg.exe\" add x\r\nrem reg.exe\r\n"));
}

/* ---- The runner. */

TEST (runner)
{
  CLEANUP_FREE char *r = fb_runner ("C:\\h2k\\firstboot", 0);
  CLEANUP_FREE char *p = fb_runner ("D:\\h2k dir\\fb", 1);

  CHECK (good_text (r));
  CHECK (good_text (p));
  if (r == NULL || p == NULL)
    return;
  CHECK (strncmp (r, "@echo off\r\n", 11) == 0);
  CHECK (has_line (r, "set \"FB=C:\\h2k\\firstboot\""));
  CHECK (has_line (p, "set \"FB=D:\\h2k dir\\fb\""));
  CHECK (has_line (r, "if not exist \"%FB%\\\" exit /b 1"));
  CHECK (has_line (r, "cd /d \"%FB%\""));
  CHECK (strstr (r, "||") == NULL);
  CHECK (has_line (r, "for /f \"delims=\" %%F in ('dir /b /on /a-d \"%FB%\\steps\\*.cmd\" 2^>nul') do call :step \"%%F\""));
  CHECK (has_line (r, "if exist \"%FB%\\done\\%NAME%\" goto :eof"));
  CHECK (has_line (r, "\"%S32%\\cmd.exe\" /d /c call \"%FB%\\steps\\%NAME%\" >>\"%LOG%\" 2>&1"));
  CHECK (has_line (r, "if %TRIES% GEQ 3 goto :step_give_up"));
  CHECK (has_line (r, ">\"%FB%\\failed\\%NAME%\" echo %DATE% %TIME% exit %RC% tries %TRIES%"));
  CHECK (has_line (r, "if %RUNS% GTR 32 goto :runaway"));
  /* Unregistering, then the end. */
  CHECK (strstr (r, "\"%S32%\\reg.exe\" add \"HKLM\\SYSTEM\\Setup\" /v SetupType /t REG_DWORD /d 0 /f >>\"%LOG%\" 2>&1\r\n"
                 "if %ERRORLEVEL% NEQ 0 echo %DATE% %TIME% firstboot: ******** cannot set SetupType=0 ******** >>\"%LOG%\"\r\n"
                 "\"%S32%\\reg.exe\" add \"HKLM\\SYSTEM\\Setup\" /v CmdLine /t REG_SZ /d \"\" /f >>\"%LOG%\" 2>&1\r\n"
                 "if %ERRORLEVEL% NEQ 0 echo %DATE% %TIME% firstboot: ******** cannot empty CmdLine ******** >>\"%LOG%\"\r\n"));
  CHECK (has_line (r, ">>\"%LOG%\" echo %DATE% %TIME% firstboot: finished"));
  CHECK (has_line (r, "\"%S32%\\shutdown.exe\" /r /t 5 >>\"%LOG%\" 2>&1"));
  CHECK_STR (last_line (r), "(goto) 2>nul & del \"%~f0\"");
  CHECK_STR (last_line (p), "(goto) 2>nul & del \"%~f0\"");
  /* Power off: only in the two-phase runner, right before the end. */
  CHECK (strstr (r, "/s /t 5") == NULL);
  CHECK (has_line (r, "if \"%REBOOT%\"==\"1\" \"%S32%\\shutdown.exe\" /r /t 5 >>\"%LOG%\" 2>&1"));
  CHECK (has_line (p, "\"%S32%\\shutdown.exe\" /s /t 5 >>\"%LOG%\" 2>&1"));
  CHECK (strstr (p, "if \"%REBOOT%\"==\"1\" \"%S32%\\shutdown.exe\"") == NULL);
  /* Tools by full path only. */
  CHECK (has_line (r, "set \"S32=%SystemRoot%\\System32\""));
}

TEST (runner_refuses)
{
  CHECK (refused (fb_runner (NULL, 0), "directory"));
  CHECK (refused (fb_runner ("", 0), "directory"));
  CHECK (refused (fb_runner ("h2k\\firstboot", 0), "directory"));
  CHECK (refused (fb_runner ("C:h2k", 0), "directory"));
  CHECK (refused (fb_runner ("C:\\h2k\\", 0), "directory"));
  CHECK (refused (fb_runner ("C:\\h2k\\\\fb", 0), "directory"));
  static const char *const bad[] = {
    "C:\\h2k%TEMP%", "C:\\h2k\"x", "C:\\a&b", "C:\\a|b", "C:\\a<b", "C:\\a>b",
    "C:\\a^b", "C:\\a!b", "C:\\a\nb", "C:\\a\rb", "C:\\caf\xc3\xa9", "C:\\a(b)",
    "C:\\a;b", "C:\\a\tb", NULL
  };
  for (size_t i = 0; bad[i]; ++i)
    CHECK (refused (fb_runner (bad[i], 0), "directory"));
}

/* ---- pnputil. */

TEST (pnputil)
{
  char *infs[] = { "C:\\h2k\\drivers\\viostor\\viostor.inf",
                   "C:\\h2k\\drivers\\NetKVM\\netkvm.INF", NULL };
  CLEANUP_FREE char *old = fb_step_pnputil (7601, infs);
  CLEANUP_FREE char *w1511 = fb_step_pnputil (10586, infs);
  CLEANUP_FREE char *w1607 = fb_step_pnputil (14393, infs);
  static const char expect_new[] =
    "@echo off\r\n"
    "rem h2k first-boot step, written by h2k-fix-windows: install driver packages with pnputil.\r\n"
    "rem Run by the first-boot runner, from the first-boot folder.\r\n"
    "rem (64-bit pnputil on 64-bit Windows: the runner's cmd.exe is 64-bit.)\r\n"
    "setlocal EnableExtensions DisableDelayedExpansion\r\n"
    "set \"FIRST=0\"\r\n"
    "set \"REBOOT=0\"\r\n"
    "call :inf \"C:\\h2k\\drivers\\viostor\\viostor.inf\"\r\n"
    "call :inf \"C:\\h2k\\drivers\\NetKVM\\netkvm.INF\"\r\n"
    "if not \"%FIRST%\"==\"0\" exit /b %FIRST%\r\n"
    "if \"%REBOOT%\"==\"1\" exit /b 3010\r\n"
    "exit /b 0\r\n"
    "\r\n"
    ":inf\r\n"
    "echo pnputil: installing \"%~1\"\r\n"
    "\"%SystemRoot%\\System32\\pnputil.exe\" /add-driver \"%~1\" /install\r\n"
    "set \"E=%ERRORLEVEL%\"\r\n"
    "if \"%E%\"==\"0\" goto :eof\r\n"
    "if \"%E%\"==\"259\" echo pnputil: \"%~1\" is staged, no device to install it on now\r\n"
    "if \"%E%\"==\"259\" goto :eof\r\n"
    "if \"%E%\"==\"3010\" set \"REBOOT=1\"\r\n"
    "if \"%E%\"==\"3010\" goto :eof\r\n"
    "echo pnputil: \"%~1\" failed, exit code %E%\r\n"
    "if \"%FIRST%\"==\"0\" set \"FIRST=%E%\"\r\n"
    "goto :eof\r\n";

  CHECK (good_text (old));
  CHECK (good_text (w1511));
  CHECK_STR (w1607, expect_new);
  CHECK (good_text (w1607));
  if (old == NULL || w1511 == NULL)
    return;
  CHECK (has_line (old, "\"%SystemRoot%\\System32\\pnputil.exe\" -i -a \"%~1\""));
  CHECK (has_line (w1511, "\"%SystemRoot%\\System32\\pnputil.exe\" -i -a \"%~1\""));
  CHECK (strstr (old, "/add-driver") == NULL);
  CHECK_INT (count_prefix (old, "call :inf "), 2);
}

TEST (pnputil_refuses)
{
  char *ok[] = { "C:\\h2k\\a.inf", NULL };
  char *none[] = { NULL };
  char *notinf[] = { "C:\\h2k\\a.sys", NULL };
  char *relative[] = { "h2k\\a.inf", NULL };
  char *second[] = { "C:\\h2k\\a.inf", "C:\\h2k\\100%.inf", NULL };
  char *quote[] = { "C:\\h2k\\\"a.inf", NULL };
  char *amp[] = { "C:\\h2k\\a&b.inf", NULL };
  char *utf8[] = { "C:\\h2k\\\xc3\xa9.inf", NULL };
  char *nl[] = { "C:\\h2k\\a\r\nb.inf", NULL };

  CHECK (refused (fb_step_pnputil (2600, ok), "build 2600"));
  CHECK (refused (fb_step_pnputil (0, ok), "build 0"));
  CHECK (refused (fb_step_pnputil (7601, NULL), "no INF"));
  CHECK (refused (fb_step_pnputil (7601, none), "no INF"));
  CHECK (refused (fb_step_pnputil (7601, notinf), "infs[0]"));
  CHECK (refused (fb_step_pnputil (7601, relative), "infs[0]"));
  CHECK (refused (fb_step_pnputil (7601, second), "infs[1]"));
  CHECK (refused (fb_step_pnputil (7601, quote), "infs[0]"));
  CHECK (refused (fb_step_pnputil (7601, amp), "infs[0]"));
  CHECK (refused (fb_step_pnputil (7601, utf8), "infs[0]"));
  CHECK (refused (fb_step_pnputil (7601, nl), "infs[0]"));
}

/* ---- reg delete. */

TEST (reg_delete)
{
  CLEANUP_JSON json_object *keys = json_tokener_parse (
    "[{\"key\": \"SYSTEM\\\\DriverDatabase\\\\DeviceIds\\\\PCI\\\\VEN_1AF4&DEV_1001\","
    "  \"name\": \"h2k-viostor.inf\"},"
    " {\"key\": \"SYSTEM\\\\DriverDatabase\\\\DriverPackages\\\\h2k-viostor.inf_amd64_0\"}]");
  CLEANUP_FREE char *s = fb_step_reg_delete (keys, "10-drivers.cmd");
  static const char expect[] =
    "@echo off\r\n"
    "rem h2k first-boot step, written by h2k-fix-windows: delete registry keys and values.\r\n"
    "rem Run by the first-boot runner, from the first-boot folder.\r\n"
    "setlocal EnableExtensions DisableDelayedExpansion\r\n"
    "if exist \"%~dp0..\\done\\10-drivers.cmd\" goto :run\r\n"
    "if exist \"%~dp0..\\failed\\10-drivers.cmd\" goto :keep\r\n"
    "echo reg-delete: 10-drivers.cmd has not run yet\r\n"
    "exit /b 1\r\n"
    ":keep\r\n"
    "echo reg-delete: 10-drivers.cmd FAILED: keeping every key and value\r\n"
    "exit /b 0\r\n"
    ":run\r\n"
    "set \"RC=0\"\r\n"
    "echo reg-delete: \"HKLM\\SYSTEM\\DriverDatabase\\DeviceIds\\PCI\\VEN_1AF4&DEV_1001\" /v \"h2k-viostor.inf\"\r\n"
    "\"%SystemRoot%\\System32\\reg.exe\" delete \"HKLM\\SYSTEM\\DriverDatabase\\DeviceIds\\PCI\\VEN_1AF4&DEV_1001\" /v \"h2k-viostor.inf\" /f\r\n"
    "if not errorlevel 1 goto :next_1\r\n"
    "\"%SystemRoot%\\System32\\reg.exe\" query \"HKLM\\SYSTEM\\DriverDatabase\\DeviceIds\\PCI\\VEN_1AF4&DEV_1001\" /v \"h2k-viostor.inf\" >nul 2>&1\r\n"
    "if errorlevel 1 goto :absent_1\r\n"
    "echo reg-delete: could not delete it\r\n"
    "set \"RC=1\"\r\n"
    "goto :next_1\r\n"
    ":absent_1\r\n"
    "echo reg-delete: absent already\r\n"
    ":next_1\r\n"
    "echo reg-delete: \"HKLM\\SYSTEM\\DriverDatabase\\DriverPackages\\h2k-viostor.inf_amd64_0\"\r\n"
    "\"%SystemRoot%\\System32\\reg.exe\" delete \"HKLM\\SYSTEM\\DriverDatabase\\DriverPackages\\h2k-viostor.inf_amd64_0\" /f\r\n"
    "if not errorlevel 1 goto :next_2\r\n"
    "\"%SystemRoot%\\System32\\reg.exe\" query \"HKLM\\SYSTEM\\DriverDatabase\\DriverPackages\\h2k-viostor.inf_amd64_0\" >nul 2>&1\r\n"
    "if errorlevel 1 goto :absent_2\r\n"
    "echo reg-delete: could not delete it\r\n"
    "set \"RC=1\"\r\n"
    "goto :next_2\r\n"
    ":absent_2\r\n"
    "echo reg-delete: absent already\r\n"
    ":next_2\r\n"
    "exit /b %RC%\r\n";

  CHECK_STR (s, expect);
  CHECK (good_text (s));
}

/* fb_step_reg_delete on the JSON text KEYS, refused naming FIELD. */
static int
reg_refused (const char *keys, const char *only, const char *field)
{
  CLEANUP_JSON json_object *k = json_tokener_parse (keys);

  if (k == NULL && strcmp (keys, "null") != 0) {
    printf ("# bad test JSON: %s\n", keys);
    return 0;
  }
  return refused (fb_step_reg_delete (k, only), field);
}

TEST (reg_delete_refuses)
{
  CHECK (reg_refused ("[{\"key\": \"SYSTEM\\\\X\"}]", NULL, "only_if_done"));
  CHECK (reg_refused ("[{\"key\": \"SYSTEM\\\\X\"}]", "10-drivers", "only_if_done"));
  CHECK (reg_refused ("[{\"key\": \"SYSTEM\\\\X\"}]", "..\\x.cmd", "only_if_done"));
  CHECK (reg_refused ("[{\"key\": \"SYSTEM\\\\X\"}]", "a%b.cmd", "only_if_done"));
  CHECK (reg_refused ("[{\"key\": \"SYSTEM\\\\X\"}]", "a b.cmd", "only_if_done"));
  CHECK (reg_refused ("[]", "a.cmd", "keys"));
  CHECK (reg_refused ("{}", "a.cmd", "keys"));
  CHECK (reg_refused ("null", "a.cmd", "keys"));
  CHECK (reg_refused ("[1]", "a.cmd", "keys[0]"));
  CHECK (reg_refused ("[{}]", "a.cmd", "keys[0].key"));
  CHECK (reg_refused ("[{\"key\": 5}]", "a.cmd", "keys[0].key"));
  CHECK (reg_refused ("[{\"key\": \"HKLM\\\\SYSTEM\\\\X\"}]", "a.cmd", "keys[0].key"));
  CHECK (reg_refused ("[{\"key\": \"\\\\SYSTEM\"}]", "a.cmd", "keys[0].key"));
  CHECK (reg_refused ("[{\"key\": \"SYSTEM\\\\\"}]", "a.cmd", "keys[0].key"));
  CHECK (reg_refused ("[{\"key\": \"SYSTEM\\\\X\"}, {\"key\": \"SYSTEM\\\\Y\", \"name\": 3}]",
                      "a.cmd", "keys[1].name"));
  CHECK (reg_refused ("[{\"key\": \"SYSTEM\\\\X\", \"name\": \"\"}]", "a.cmd", "keys[0].name"));
  static const char *const bad[] = { "%", "\\\"", "|", "<", ">", "^", "!", "\\n",
                                     "\\r", "\\u00e9", "(", "\\t", NULL };
  for (size_t i = 0; bad[i]; ++i) {
    char buf[256];
    snprintf (buf, sizeof buf, "[{\"key\": \"SYSTEM\\\\A%sB\"}]", bad[i]);
    CHECK (reg_refused (buf, "a.cmd", "keys[0].key"));
    snprintf (buf, sizeof buf, "[{\"key\": \"SYSTEM\\\\A\", \"name\": \"v%s\"}]", bad[i]);
    CHECK (reg_refused (buf, "a.cmd", "keys[0].name"));
  }
}

/* ---- MSI. */

TEST (msi)
{
  CLEANUP_FREE char *un = fb_step_msi_uninstall (
    "{12345678-abcd-1234-ABCD-123456789ABC}", "VMware Tools (x64)",
    "C:\\h2k\\firstboot\\uninstall-tools.log");
  CLEANUP_FREE char *unnamed = fb_step_msi_uninstall (
    "{12345678-abcd-1234-ABCD-123456789ABC}", NULL, "C:\\h2k\\u.log");
  CLEANUP_FREE char *in = fb_step_msi_install (
    "C:\\h2k\\drivers\\qemu-ga\\qemu-ga-x86_64.msi", "C:\\h2k\\firstboot\\qemu-ga.log");
  static const char expect_un[] =
    "@echo off\r\n"
    "rem h2k first-boot step, written by h2k-fix-windows: uninstall an MSI product.\r\n"
    "rem Run by the first-boot runner, from the first-boot folder.\r\n"
    "rem (cmd.exe waits for msiexec.exe in a batch file.)\r\n"
    "setlocal EnableExtensions DisableDelayedExpansion\r\n"
    "echo msiexec: uninstalling \"VMware Tools (x64)\" {12345678-abcd-1234-ABCD-123456789ABC}\r\n"
    "\"%SystemRoot%\\System32\\msiexec.exe\" /x {12345678-abcd-1234-ABCD-123456789ABC} /qn /norestart /l*v \"C:\\h2k\\firstboot\\uninstall-tools.log\"\r\n"
    "set \"E=%ERRORLEVEL%\"\r\n"
    "echo msiexec: exit code %E%\r\n"
    "if \"%E%\"==\"1605\" exit /b 0\r\n"
    "if \"%E%\"==\"0\" exit /b 0\r\n"
    "if \"%E%\"==\"3010\" exit /b 3010\r\n"
    "if \"%E%\"==\"1641\" exit /b 3010\r\n"
    "exit /b %E%\r\n";
  static const char expect_in[] =
    "@echo off\r\n"
    "rem h2k first-boot step, written by h2k-fix-windows: install an MSI package.\r\n"
    "rem Run by the first-boot runner, from the first-boot folder.\r\n"
    "rem (cmd.exe waits for msiexec.exe in a batch file.)\r\n"
    "setlocal EnableExtensions DisableDelayedExpansion\r\n"
    "echo msiexec: installing \"C:\\h2k\\drivers\\qemu-ga\\qemu-ga-x86_64.msi\"\r\n"
    "\"%SystemRoot%\\System32\\msiexec.exe\" /i \"C:\\h2k\\drivers\\qemu-ga\\qemu-ga-x86_64.msi\" /qn /norestart /l*v \"C:\\h2k\\firstboot\\qemu-ga.log\"\r\n"
    "set \"E=%ERRORLEVEL%\"\r\n"
    "echo msiexec: exit code %E%\r\n"
    "if \"%E%\"==\"0\" exit /b 0\r\n"
    "if \"%E%\"==\"3010\" exit /b 3010\r\n"
    "if \"%E%\"==\"1641\" exit /b 3010\r\n"
    "exit /b %E%\r\n";

  CHECK_STR (un, expect_un);
  CHECK_STR (in, expect_in);
  CHECK (good_text (un));
  CHECK (good_text (in));
  CHECK (good_text (unnamed));
  CHECK (unnamed && has_line (unnamed, "echo msiexec: uninstalling {12345678-abcd-1234-ABCD-123456789ABC}"));
}

TEST (msi_refuses)
{
  const char *g = "{12345678-1234-1234-1234-123456789ABC}", *log = "C:\\h2k\\l.log";

  CHECK (refused (fb_step_msi_uninstall (NULL, "x", log), "product_code"));
  CHECK (refused (fb_step_msi_uninstall ("12345678-1234-1234-1234-123456789ABC", "x", log), "product_code"));
  CHECK (refused (fb_step_msi_uninstall ("{12345678-1234-1234-1234-123456789ABG}", "x", log), "product_code"));
  CHECK (refused (fb_step_msi_uninstall ("{12345678-1234-1234-1234-123456789ABCD}", "x", log), "product_code"));
  CHECK (refused (fb_step_msi_uninstall ("{12345678-1234-1234-1234-123456789AB}", "x", log), "product_code"));
  CHECK (refused (fb_step_msi_uninstall ("{12345678-1234-1234-1234-123456789AB%}", "x", log), "product_code"));
  CHECK (refused (fb_step_msi_uninstall (g, "", log), "name"));
  CHECK (refused (fb_step_msi_uninstall (g, "x", NULL), "log"));
  CHECK (refused (fb_step_msi_uninstall (g, "x", "uninstall.log"), "log"));
  CHECK (refused (fb_step_msi_install (NULL, log), "msi"));
  CHECK (refused (fb_step_msi_install ("C:\\h2k\\qemu-ga.exe", log), "msi"));
  CHECK (refused (fb_step_msi_install ("C:\\h2k\\q.msi", "C:\\h2k\\l\"og"), "log"));
  static const char *const bad[] = { "%", "\"", "&", "|", "<", ">", "^", "!", "\n",
                                     "\r", "\xc3\xa9", "\x7f", NULL };
  for (size_t i = 0; bad[i]; ++i) {
    char name[64], path[64];
    snprintf (name, sizeof name, "VMware%sTools", bad[i]);
    snprintf (path, sizeof path, "C:\\h2k\\a%sb.msi", bad[i]);
    CHECK (refused (fb_step_msi_uninstall (g, name, log), "name"));
    CHECK (refused (fb_step_msi_install (path, log), "msi"));
    snprintf (path, sizeof path, "C:\\h2k\\a%sb.log", bad[i]);
    CHECK (refused (fb_step_msi_install ("C:\\h2k\\q.msi", path), "log"));
    CHECK (refused (fb_step_msi_uninstall (g, "x", path), "log"));
  }
}

/* ---- Network. */

static const char net_one[] =
  "[{\"mac\": \"52:54:00:ab:cd:ef\","
  "  \"old_guid\": \"{11111111-2222-3333-4444-55555555AAAA}\","
  "  \"addresses\": [\"192.168.1.10\", \"10.0.0.5\"],"
  "  \"netmasks\": [\"255.255.255.0\", \"255.0.0.0\"],"
  "  \"gateways\": [\"192.168.1.1\", \"192.168.1.254\"],"
  "  \"dns\": [\"8.8.8.8\", \"2001:4860::8888\", \"1.1.1.1\"],"
  "  \"ipv6_addresses\": [\"2001:db8::10/64\"],"
  "  \"ipv6_gateways\": [\"fe80::1\"],"
  "  \"mac_from\": \"registry\"},"
  " {\"mac\": \"52-54-00-00-00-02\", \"addresses\": [], \"netmasks\": [],"
  "  \"gateways\": [], \"dns\": [\"9.9.9.9\"]}]";

#define NETSH "\"%SystemRoot%\\System32\\netsh.exe\" interface "
#define RC1 "if %ERRORLEVEL% NEQ 0 set \"RC=1\"\r\n"

TEST (network)
{
  CLEANUP_JSON json_object *ifs = json_tokener_parse (net_one);
  CLEANUP_FREE char *s = fb_step_network (ifs);

  CHECK (good_text (s));
  if (s == NULL)
    return;
  CHECK (has_line (s, "set \"K=HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\{11111111-2222-3333-4444-55555555AAAA}\""));
  CHECK (strstr (s, "\"%SystemRoot%\\System32\\reg.exe\" add \"%K%\" /v EnableDHCP /t REG_DWORD /d \"1\" /f\r\n" RC1
                 "\"%SystemRoot%\\System32\\reg.exe\" add \"%K%\" /v IPAddress /t REG_MULTI_SZ /d \"0.0.0.0\" /f\r\n" RC1
                 "\"%SystemRoot%\\System32\\reg.exe\" add \"%K%\" /v SubnetMask /t REG_MULTI_SZ /d \"0.0.0.0\" /f\r\n" RC1
                 "\"%SystemRoot%\\System32\\reg.exe\" add \"%K%\" /v DefaultGateway /t REG_MULTI_SZ /d \"\" /f\r\n" RC1
                 "\"%SystemRoot%\\System32\\reg.exe\" add \"%K%\" /v DefaultGatewayMetric /t REG_MULTI_SZ /d \"\" /f\r\n" RC1
                 "\"%SystemRoot%\\System32\\reg.exe\" add \"%K%\" /v NameServer /t REG_SZ /d \"\" /f\r\n" RC1
                 ":old_1\r\n"));
  CHECK_INT (count_prefix (s, "set \"K="), 1);            /* second NIC: no old_guid */
  CHECK (has_line (s, "for /f \"tokens=1 delims=,\" %%A in ('%SystemRoot%\\System32\\getmac.exe /v /fo csv /nh ^| %SystemRoot%\\System32\\findstr.exe /i /c:\"52-54-00-AB-CD-EF\"') do set \"IF=%%~A\""));
  CHECK (has_line (s, "for /f \"tokens=1 delims=,\" %%A in ('%SystemRoot%\\System32\\getmac.exe /v /fo csv /nh ^| %SystemRoot%\\System32\\findstr.exe /i /c:\"52-54-00-00-00-02\"') do set \"IF=%%~A\""));
  CHECK (has_line (s, "if %N% GEQ 60 goto :nomac_1"));
  CHECK (has_line (s, "\"%SystemRoot%\\System32\\ping.exe\" -n 6 127.0.0.1 >nul"));
  CHECK (strstr (s, "\r\n" NETSH "ipv4 set address name=\"%IF%\" source=static address=192.168.1.10 mask=255.255.255.0 gateway=192.168.1.1 gwmetric=1\r\n" RC1));
  CHECK (strstr (s, "\r\n" NETSH "ipv4 add address name=\"%IF%\" address=10.0.0.5 mask=255.0.0.0\r\n" RC1));
  CHECK (strstr (s, "\r\n" NETSH "ipv4 delete address name=\"%IF%\" gateway=192.168.1.254 >nul 2>&1\r\n"
                 NETSH "ipv4 add address name=\"%IF%\" gateway=192.168.1.254 gwmetric=2\r\n" RC1));
  CHECK (strstr (s, "\r\n" NETSH "ipv4 set dnsservers name=\"%IF%\" source=static address=8.8.8.8 register=primary validate=no\r\n"
                 "if %ERRORLEVEL% NEQ 0 " NETSH "ipv4 set dnsservers name=\"%IF%\" source=static address=8.8.8.8 register=primary\r\n" RC1));
  CHECK (strstr (s, "\r\n" NETSH "ipv4 add dnsservers name=\"%IF%\" address=1.1.1.1 index=2 validate=no\r\n"
                 "if %ERRORLEVEL% NEQ 0 " NETSH "ipv4 add dnsservers name=\"%IF%\" address=1.1.1.1 index=2\r\n" RC1));
  CHECK (strstr (s, "\r\n" NETSH "ipv6 set dnsservers name=\"%IF%\" source=static address=2001:4860::8888 register=primary validate=no\r\n"
                 "if %ERRORLEVEL% NEQ 0 " NETSH "ipv6 set dnsservers name=\"%IF%\" source=static address=2001:4860::8888 register=primary\r\n" RC1));
  CHECK (strstr (s, "\r\n" NETSH "ipv6 delete address interface=\"%IF%\" address=2001:db8::10 >nul 2>&1\r\n"
                 NETSH "ipv6 add address interface=\"%IF%\" address=2001:db8::10/64\r\n" RC1));
  CHECK (strstr (s, "\r\n" NETSH "ipv6 delete route prefix=::/0 interface=\"%IF%\" nexthop=fe80::1 >nul 2>&1\r\n"
                 NETSH "ipv6 add route prefix=::/0 interface=\"%IF%\" nexthop=fe80::1\r\n" RC1));
  /* The second NIC: DNS only, the first of its kind is "set". */
  CHECK (strstr (s, "\r\n" NETSH "ipv4 set dnsservers name=\"%IF%\" source=static address=9.9.9.9 register=primary validate=no\r\n"));
  CHECK_INT (count_prefix (s, NETSH "ipv4 set address "), 1);
  CHECK (strstr (s, "||") == NULL);
  CHECK (has_line (s, ":next_2"));
  CHECK_STR (last_line (s), "exit /b %RC%");
  /* Order: old adapter cleared, wait, then the addresses. */
  CHECK (strstr (s, "set \"K=") < strstr (s, ":wait_1") &&
         strstr (s, ":wait_1") < strstr (s, "ipv4 set address"));
}

/* fb_step_network on [ {ELEMENT} ], refused naming FIELD. */
static int
net_refused (const char *element, const char *field)
{
  char buf[1024];
  CLEANUP_JSON json_object *ifs = NULL;

  snprintf (buf, sizeof buf, "[%s]", element);
  ifs = json_tokener_parse (buf);
  if (ifs == NULL) {
    printf ("# bad test JSON: %s\n", buf);
    return 0;
  }
  return refused (fb_step_network (ifs), field);
}

#define MAC "\"mac\": \"52:54:00:00:00:01\""

TEST (network_refuses)
{
  CLEANUP_JSON json_object *empty = json_object_new_array ();

  CHECK (refused (fb_step_network (NULL), "ifaces"));
  CHECK (refused (fb_step_network (empty), "ifaces"));
  CHECK (net_refused ("1", "ifaces[0]"));
  CHECK (net_refused ("{}", "ifaces[0].mac"));
  CHECK (net_refused ("{" MAC "}, {\"mac\": \"52:54:00:00:00\"}", "ifaces[1].mac"));
  static const char *const macs[] = {
    "52:54:00:00:00:0g", "52:54:00:00:00:001", "52-54:00:00:00:01", "5254.0000.0001",
    "52:54:00:00:00:0%", "52:54:00:00:00:0\\\"", "52:54:00:00:00:0&", NULL
  };
  for (size_t i = 0; macs[i]; ++i) {
    char e[128];
    snprintf (e, sizeof e, "{\"mac\": \"%s\"}", macs[i]);
    CHECK (net_refused (e, "ifaces[0].mac"));
  }
  CHECK (net_refused ("{" MAC ", \"old_guid\": \"11111111-2222-3333-4444-555555555555\"}", "ifaces[0].old_guid"));
  CHECK (net_refused ("{" MAC ", \"old_guid\": \"{11111111-2222-3333-4444-555555555555}&\"}", "ifaces[0].old_guid"));
  CHECK (net_refused ("{" MAC ", \"old_guid\": 7}", "ifaces[0].old_guid"));
  CHECK (net_refused ("{" MAC ", \"addresses\": \"10.0.0.1\"}", "ifaces[0].addresses"));
  CHECK (net_refused ("{" MAC ", \"addresses\": [1]}", "ifaces[0].addresses[0]"));
  static const char *const v4[] = {
    "10.0.0", "10.0.0.1.2", "10.0.0.256", "10.0.0.01", "10.0.0.1 ", " 10.0.0.1",
    "10.0.0.1%", "10.0.0.1&x", "10.0.0.1|x", "10.0.0.1\\n", "10.0.0.-1", "1e1.0.0.1", NULL
  };
  for (size_t i = 0; v4[i]; ++i) {
    char e[256];
    snprintf (e, sizeof e, "{" MAC ", \"addresses\": [\"%s\"], \"netmasks\": [\"255.0.0.0\"]}", v4[i]);
    CHECK (net_refused (e, "ifaces[0].addresses[0]"));
    snprintf (e, sizeof e, "{" MAC ", \"addresses\": [\"10.0.0.1\"], \"netmasks\": [\"255.0.0.0\"], "
              "\"gateways\": [\"10.0.0.254\", \"%s\"]}", v4[i]);
    CHECK (net_refused (e, "ifaces[0].gateways[1]"));
    snprintf (e, sizeof e, "{" MAC ", \"dns\": [\"%s\"]}", v4[i]);
    CHECK (net_refused (e, "ifaces[0].dns[0]"));
  }
  static const char *const masks[] = { "255.0.255.0", "0.0.0.0", "255.255.255.1", "24", NULL };
  for (size_t i = 0; masks[i]; ++i) {
    char e[256];
    snprintf (e, sizeof e, "{" MAC ", \"addresses\": [\"10.0.0.1\"], \"netmasks\": [\"%s\"]}", masks[i]);
    CHECK (net_refused (e, "ifaces[0].netmasks[0]"));
  }
  CHECK (net_refused ("{" MAC ", \"addresses\": [\"10.0.0.1\"], \"netmasks\": []}", "ifaces[0]: addresses and netmasks"));
  CHECK (net_refused ("{" MAC ", \"gateways\": [\"10.0.0.1\"]}", "ifaces[0]: gateways without addresses"));
  static const char *const v6[] = {
    "2001:db8::1/", "2001:db8::1/0", "2001:db8::1/129", "2001:db8::1/64x", "2001:db8::1",
    "2001:db8::g/64", "fe80::1%eth0/64", "2001:db8::1/64&", "2001:db8::1/-1", NULL
  };
  for (size_t i = 0; v6[i]; ++i) {
    char e[256];
    snprintf (e, sizeof e, "{" MAC ", \"ipv6_addresses\": [\"%s\"]}", v6[i]);
    CHECK (net_refused (e, "ifaces[0].ipv6_addresses[0]"));
  }
  CHECK (net_refused ("{" MAC ", \"ipv6_gateways\": [\"fe80::1/64\"]}", "ifaces[0].ipv6_gateways[0]"));
  CHECK (net_refused ("{" MAC ", \"ipv6_gateways\": [\"fe80::1%4\"]}", "ifaces[0].ipv6_gateways[0]"));
  CHECK (net_refused ("{" MAC ", \"dns\": [\"2001:db8::zz\"]}", "ifaces[0].dns[0]"));
  CHECK (net_refused ("{" MAC ", \"dns\": [\"\\u00e9\"]}", "ifaces[0].dns[0]"));
  /* What is valid passes (so the refusals above are about the bad value). */
  CLEANUP_JSON json_object *good = json_tokener_parse (
    "[{" MAC ", \"addresses\": [\"10.0.0.1\"], \"netmasks\": [\"255.255.255.255\"],"
    "  \"ipv6_addresses\": [\"::ffff:10.0.0.1/128\"], \"ipv6_gateways\": [\"::1\"], \"old_guid\": null}]");
  CLEANUP_FREE char *s = fb_step_network (good);
  CHECK (good_text (s));
}

int
main (void)
{
  h2k_set_progname ("test-firstboot");
  RUN (lint_finds_faults);
  RUN (runner);
  RUN (runner_refuses);
  RUN (pnputil);
  RUN (pnputil_refuses);
  RUN (reg_delete);
  RUN (reg_delete_refuses);
  RUN (msi);
  RUN (msi_refuses);
  RUN (network);
  RUN (network_refuses);
  return test_done ();
}
