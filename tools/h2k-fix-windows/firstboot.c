/* h2k-fix-windows: the first-boot runner and its steps, as .cmd text.
 *
 * Why HKLM\SYSTEM\Setup CmdLine: Windows itself runs it, as LocalSystem
 * before the logon screen, and it takes nothing but two registry values
 * written offline.  A service would need a service binary wrapping
 * cmd.exe (srvany and the like: third party); RunOnce waits for a logon
 * and runs as that user; a scheduled task means editing the Task
 * Scheduler store offline; Group Policy startup scripts do not exist on
 * Home editions.
 *
 * Every value put into the text is checked first against what cmd.exe
 * reads literally (see the check_* functions): no % " & | < > ^ ! (but
 * & inside registry keys, always quoted), no control or non-ASCII bytes.
 * Lines are built with printf formats, where a batch % is written %%.
 */

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "h2k.h"
#include "fix-windows.h"

/* The runner gives up on every step left once Windows has started it
 * this many times: no step reboots forever by design (3010 marks it
 * done, failures are counted), this guards against the unforeseen.
 */
#define FB_MAX_RUNS 32
/* Rounds of about 5 s waiting for a network adapter: 5 minutes. */
#define FB_WAIT_ROUNDS 60

#define MAX_WIN_PATH 200
#define MAX_REG_KEY 1000
#define MAX_LIST 64

/* In printf formats: the tools' folder, as the batch file spells it. */
#define S32 "%%SystemRoot%%\\System32"

/* ---- The text: lines ending in CRLF, in memory. */

struct text {
  FILE *fp;
  char *buf;
  size_t len;
};

static void
text_cleanup (struct text *t)
{
  if (t->fp)
    fclose (t->fp);
  free (t->buf);
}

#define CLEANUP_TEXT __attribute__((cleanup (text_cleanup)))

static int
text_open (struct text *t)
{
  t->fp = open_memstream (&t->buf, &t->len);
  if (t->fp == NULL) {
    h2k_error ("open_memstream: %m");
    return -1;
  }
  return 0;
}

static void line (struct text *t, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));

/* Append one line (FS formatted, then CRLF). */
static void
line (struct text *t, const char *fs, ...)
{
  va_list args;

  va_start (args, fs);
  vfprintf (t->fp, fs, args);
  va_end (args);
  fputs ("\r\n", t->fp);
}

/* Is every byte of S printable ASCII, every CR followed by LF and every
 * LF preceded by CR, with no other control byte?
 */
static int
ascii_crlf (const char *s)
{
  for (size_t i = 0; s[i]; ++i) {
    unsigned char c = s[i];
    if (c == '\r' && s[i + 1] == '\n')
      ++i;
    else if (c < 0x20 || c > 0x7e)
      return 0;
  }
  return 1;
}

/* The finished text (caller frees), or NULL reported. */
static char *
text_close (struct text *t, const char *what)
{
  int bad = ferror (t->fp);
  char *r;

  if (fclose (t->fp) != 0)
    bad = 1;
  t->fp = NULL;
  if (bad || t->buf == NULL) {
    h2k_error ("first-boot %s: out of memory", what);
    return NULL;
  }
  if (!ascii_crlf (t->buf)) {
    h2k_error ("first-boot %s: internal error: the text is not ASCII with "
               "CRLF line ends", what);
    return NULL;
  }
  r = t->buf;
  t->buf = NULL;
  return r;
}

/* ---- Checking values before they go into the text. */

static int
alnum (unsigned char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
    (c >= 'A' && c <= 'Z');
}

/* S is not empty, at most MAX bytes, and each byte is a letter, a digit
 * or one of PUNCT.  FIELD names the value in the message.
 */
static int
check_chars (const char *what, const char *field, const char *s,
             const char *punct, size_t max)
{
  size_t i;

  if (s == NULL || *s == 0) {
    h2k_error ("first-boot %s: %s: missing or empty", what, field);
    return -1;
  }
  for (i = 0; s[i]; ++i) {
    unsigned char c = s[i];
    if (!alnum (c) && strchr (punct, c) == NULL)
      break;
  }
  if (s[i] && strchr ("%\"&|<>^!", s[i]))
    h2k_error ("first-boot %s: %s: '%c' at offset %zu cannot be written "
               "safely into a .cmd file", what, field, s[i], i);
  else if (s[i] && (unsigned char) s[i] >= 0x20 && (unsigned char) s[i] < 0x7f)
    h2k_error ("first-boot %s: %s: '%c' at offset %zu: not allowed in this "
               "value", what, field, s[i], i);
  else if (s[i])
    h2k_error ("first-boot %s: %s: byte 0x%02x at offset %zu cannot be "
               "written safely into a .cmd file", what, field,
               (unsigned char) s[i], i);
  else if (i > max)
    h2k_error ("first-boot %s: %s: longer than %zu bytes", what, field, max);
  return s[i] || i > max ? -1 : 0;
}

/* An absolute Windows path: X:\..., no "\\", not ending in \ . or space. */
static int
check_win_path (const char *what, const char *field, const char *s)
{
  size_t n;

  if (check_chars (what, field, s, " \\:._-~{}$#@+", MAX_WIN_PATH) == -1)
    return -1;
  n = strlen (s);
  if (n < 4 || !alnum (s[0]) || (s[0] >= '0' && s[0] <= '9') ||
      s[1] != ':' || s[2] != '\\' || strchr (s + 2, ':') ||
      strstr (s, "\\\\") || strchr ("\\. ", s[n - 1])) {
    h2k_error ("first-boot %s: %s: \"%s\": not an absolute Windows path "
               "(X:\\dir\\name)", what, field, s);
    return -1;
  }
  return 0;
}

/* A Windows path ending in SUFFIX (".inf", ".msi"). */
static int
check_win_file (const char *what, const char *field, const char *s,
                const char *suffix)
{
  if (check_win_path (what, field, s) == -1)
    return -1;
  if (!h2k_ends_with_ci (s, suffix)) {
    h2k_error ("first-boot %s: %s: \"%s\": not a %s file", what, field, s,
               suffix);
    return -1;
  }
  return 0;
}

/* A key under HKLM.  '&' is allowed (hardware IDs hold it): keys are
 * only ever written between double quotes, where cmd.exe reads it
 * literally.
 */
static int
check_reg_key (const char *what, const char *field, const char *s)
{
  if (check_chars (what, field, s, " \\_-.{}&#$@+~,", MAX_REG_KEY) == -1)
    return -1;
  if (*s == '\\' || s[strlen (s) - 1] == '\\' || strstr (s, "\\\\") ||
      strncasecmp (s, "HKLM\\", 5) == 0 || strncasecmp (s, "HKEY_", 5) == 0) {
    h2k_error ("first-boot %s: %s: \"%s\": not a key path under HKLM "
               "(e.g. SYSTEM\\Setup)", what, field, s);
    return -1;
  }
  return 0;
}

/* A display name: printable ASCII but % " & | < > ^ !. */
static int
check_name (const char *what, const char *field, const char *s)
{
  static const char punct[] = " #$'()*+,-./:;=?@[\\]_`{}~";

  return check_chars (what, field, s, punct, 200);
}

/* {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}, hex digits in either case. */
static int
check_guid (const char *what, const char *field, const char *s)
{
  static const char shape[] = "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";
  size_t i;

  if (check_chars (what, field, s, "{}-", sizeof shape - 1) == -1)
    return -1;
  for (i = 0; shape[i] && s[i]; ++i)
    if (shape[i] == 'x' ? strchr ("0123456789abcdefABCDEF", s[i]) == NULL
        : s[i] != shape[i])
      break;
  if (shape[i] || s[i]) {
    h2k_error ("first-boot %s: %s: \"%s\": not a GUID in braces", what,
               field, s);
    return -1;
  }
  return 0;
}

/* The name of a step file: letters, digits, . _ -, ending in .cmd. */
static int
check_step_name (const char *what, const char *field, const char *s)
{
  if (check_chars (what, field, s, "._-", 100) == -1)
    return -1;
  if (*s == '.' || strlen (s) < 5 || !h2k_ends_with_ci (s, ".cmd")) {
    h2k_error ("first-boot %s: %s: \"%s\": not a step file name (NAME.cmd)",
               what, field, s);
    return -1;
  }
  return 0;
}

/* The value of dotted quad S into *V, or -1 (not reported).  No leading
 * zeros: some Windows parsers read them as octal.
 */
static int
parse_ipv4 (const char *s, uint32_t *v)
{
  const char *p = s;

  *v = 0;
  for (int part = 0; part < 4; ++part) {
    unsigned n = 0, digits = 0;
    const char *start;
    if (part > 0 && *p++ != '.')
      return -1;
    start = p;
    while (*p >= '0' && *p <= '9' && digits < 4) {
      n = n * 10 + (unsigned) (*p++ - '0');
      ++digits;
    }
    if (digits == 0 || digits > 3 || n > 255 || (digits > 1 && *start == '0'))
      return -1;
    *v = *v << 8 | n;
  }
  return *p ? -1 : 0;
}

static int
check_ipv4 (const char *what, const char *field, const char *s)
{
  uint32_t v;

  if (check_chars (what, field, s, ".", 15) == -1)
    return -1;
  if (parse_ipv4 (s, &v) == -1) {
    h2k_error ("first-boot %s: %s: \"%s\": not an IPv4 address", what, field,
               s);
    return -1;
  }
  return 0;
}

/* A netmask: contiguous ones from the top, at least one. */
static int
check_netmask (const char *what, const char *field, const char *s)
{
  uint32_t v;

  if (check_chars (what, field, s, ".", 15) == -1)
    return -1;
  if (parse_ipv4 (s, &v) == -1 || v == 0 || (~v & (~v + 1)) != 0) {
    h2k_error ("first-boot %s: %s: \"%s\": not an IPv4 netmask", what, field,
               s);
    return -1;
  }
  return 0;
}

static int
check_ipv6 (const char *what, const char *field, const char *s)
{
  struct in6_addr a;

  if (check_chars (what, field, s, ":.", INET6_ADDRSTRLEN - 1) == -1)
    return -1;
  if (inet_pton (AF_INET6, s, &a) != 1) {
    h2k_error ("first-boot %s: %s: \"%s\": not an IPv6 address", what, field,
               s);
    return -1;
  }
  return 0;
}

/* ADDR/PREFIX, PREFIX 1..128. */
static int
check_ipv6_prefix (const char *what, const char *field, const char *s)
{
  char addr[INET6_ADDRSTRLEN + 4];
  const char *slash;
  struct in6_addr a;
  char *end = NULL;
  long prefix = 0;

  if (check_chars (what, field, s, ":./", sizeof addr - 1) == -1)
    return -1;
  slash = strchr (s, '/');
  if (slash && (size_t) (slash - s) < INET6_ADDRSTRLEN) {
    memcpy (addr, s, slash - s);
    addr[slash - s] = 0;
    prefix = slash[1] >= '0' && slash[1] <= '9' ? strtol (slash + 1, &end, 10) : 0;
  }
  if (slash == NULL || prefix < 1 || prefix > 128 || end == NULL || *end ||
      inet_pton (AF_INET6, addr, &a) != 1) {
    h2k_error ("first-boot %s: %s: \"%s\": not an IPv6 address/prefix", what,
               field, s);
    return -1;
  }
  return 0;
}

/* aa:bb:cc:dd:ee:ff (or with '-') into OUT as getmac writes it:
 * AA-BB-CC-DD-EE-FF.
 */
static int
check_mac (const char *what, const char *field, const char *s, char out[18])
{
  size_t i;

  if (check_chars (what, field, s, ":-", 17) == -1)
    return -1;
  for (i = 0; i < 17 && s[i]; ++i) {
    if (i % 3 == 2 ? s[i] != s[2] || (s[i] != ':' && s[i] != '-')
        : strchr ("0123456789abcdefABCDEF", s[i]) == NULL)
      break;
    out[i] = i % 3 == 2 ? '-'
      : (s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 'A' : s[i]);
  }
  out[i < 18 ? i : 17] = 0;
  if (i != 17 || s[i]) {
    h2k_error ("first-boot %s: %s: \"%s\": not a MAC address "
               "(aa:bb:cc:dd:ee:ff)", what, field, s);
    return -1;
  }
  return 0;
}

/* ---- The runner. */

static void
runner_head (struct text *t, const char *dir)
{
  line (t, "@echo off");
  line (t, "rem h2k first-boot runner, written by h2k-fix-windows.");
  line (t, "rem Windows starts it as LocalSystem before the logon screen through");
  line (t, "rem HKLM\\SYSTEM\\Setup (SetupType=2, CmdLine).  It runs each steps\\*.cmd");
  line (t, "rem once, in name order, and unregisters itself when all are done.");
  line (t, "rem On 64-bit Windows, cmd.exe started by Setup is the 64-bit one, and so");
  line (t, "rem are the System32 tools it starts: pnputil must be the 64-bit one.");
  line (t, "setlocal EnableExtensions DisableDelayedExpansion");
  line (t, "set \"FB=%s\"", dir);
  line (t, "set \"S32=%%SystemRoot%%\\System32\"");
  line (t, "set \"ComSpec=%%SystemRoot%%\\System32\\cmd.exe\"");
  line (t, "set \"LOG=%%FB%%\\firstboot.log\"");
  line (t, "if not exist \"%%FB%%\\\" exit /b 1");
  line (t, "cd /d \"%%FB%%\"");
  line (t, "if not exist \"%%FB%%\\done\\\" mkdir \"%%FB%%\\done\"");
  line (t, "if not exist \"%%FB%%\\tries\\\" mkdir \"%%FB%%\\tries\"");
  line (t, "if not exist \"%%FB%%\\failed\\\" mkdir \"%%FB%%\\failed\"");
  line (t, ">>\"%%LOG%%\" echo %%DATE%% %%TIME%% firstboot: start");
  line (t, ">>\"%%FB%%\\runs\" echo run %%DATE%% %%TIME%%");
  line (t, "set \"RUNS=0\"");
  line (t, "for /f \"usebackq delims=\" %%%%L in (\"%%FB%%\\runs\") do set /a RUNS+=1");
  line (t, "if %%RUNS%% GTR %d goto :runaway", FB_MAX_RUNS);
  line (t, "set \"STOP=0\"");
  line (t, "set \"PENDING=0\"");
  line (t, "set \"REBOOT=0\"");
  line (t, "set \"FAILED=0\"");
  line (t, "for /f \"delims=\" %%%%F in ('dir /b /on /a-d \"%%FB%%\\steps\\*.cmd\" 2^>nul') do call :step \"%%%%F\"");
  line (t, "if \"%%PENDING%%\"==\"1\" goto :again");
  line (t, "goto :finish");
  line (t, "%s", "");
}

/* One step: skip it if done or given up, or (noting that steps remain)
 * when the run is stopping; else run it in a child cmd.exe, so that its
 * exit /b cannot end the runner, and record the outcome.
 */
static void
runner_step (struct text *t)
{
  line (t, ":step");
  line (t, "set \"NAME=%%~1\"");
  line (t, "if /i not \"%%~x1\"==\".cmd\" goto :eof");
  line (t, "if exist \"%%FB%%\\done\\%%NAME%%\" goto :eof");
  line (t, "if exist \"%%FB%%\\failed\\%%NAME%%\" goto :eof");
  line (t, "if \"%%STOP%%\"==\"1\" set \"PENDING=1\"");
  line (t, "if \"%%STOP%%\"==\"1\" goto :eof");
  line (t, ">>\"%%LOG%%\" echo %%DATE%% %%TIME%% firstboot: %%NAME%%: start");
  line (t, "\"%%S32%%\\cmd.exe\" /d /c call \"%%FB%%\\steps\\%%NAME%%\" >>\"%%LOG%%\" 2>&1");
  line (t, "set \"RC=%%ERRORLEVEL%%\"");
  line (t, "if \"%%RC%%\"==\"0\" goto :step_done");
  line (t, "if \"%%RC%%\"==\"3010\" goto :step_reboot");
  line (t, "goto :step_failed");
  line (t, "%s", "");
  line (t, ":step_reboot");
  line (t, "set \"REBOOT=1\"");
  line (t, "set \"STOP=1\"");
  line (t, ":step_done");
  line (t, ">\"%%FB%%\\done\\%%NAME%%\" echo %%DATE%% %%TIME%% exit %%RC%%");
  line (t, ">>\"%%LOG%%\" echo %%DATE%% %%TIME%% firstboot: %%NAME%%: done, exit code %%RC%%");
  line (t, "goto :eof");
  line (t, "%s", "");
  line (t, "rem A try that cannot be counted gives up at once: never a reboot loop.");
  line (t, ":step_failed");
  line (t, "set \"TRIES=0\"");
  line (t, ">>\"%%FB%%\\tries\\%%NAME%%\" echo try %%DATE%% %%TIME%% exit %%RC%%");
  line (t, "for /f \"usebackq delims=\" %%%%L in (\"%%FB%%\\tries\\%%NAME%%\") do set /a TRIES+=1");
  line (t, "if %%TRIES%% LSS 1 goto :step_give_up");
  line (t, "if %%TRIES%% GEQ %d goto :step_give_up", FB_MAX_TRIES);
  line (t, ">>\"%%LOG%%\" echo %%DATE%% %%TIME%% firstboot: %%NAME%%: failed, exit code %%RC%%, try %%TRIES%% of %d: trying again at the next boot",
        FB_MAX_TRIES);
  line (t, "set \"STOP=1\"");
  line (t, "set \"PENDING=1\"");
  line (t, "goto :eof");
  line (t, "%s", "");
  line (t, ":step_give_up");
  line (t, "set \"FAILED=1\"");
  line (t, ">\"%%FB%%\\failed\\%%NAME%%\" echo %%DATE%% %%TIME%% exit %%RC%% tries %%TRIES%%");
  line (t, ">>\"%%LOG%%\" echo %%DATE%% %%TIME%% firstboot: ******** %%NAME%%: FAILED, exit code %%RC%%, after %%TRIES%% tries: giving up ********");
  line (t, "goto :eof");
  line (t, "%s", "");
}

static void
runner_tail (struct text *t, int poweroff)
{
  line (t, ":runaway");
  line (t, ">>\"%%LOG%%\" echo %%DATE%% %%TIME%% firstboot: ******** started %%RUNS%% times: giving up on every step left ********");
  line (t, "set \"FAILED=1\"");
  line (t, "set \"REBOOT=0\"");
  line (t, "goto :finish");
  line (t, "%s", "");
  line (t, "rem Steps remain: keep the registration so the next boot goes on.");
  line (t, ":again");
  line (t, ">>\"%%LOG%%\" echo %%DATE%% %%TIME%% firstboot: rebooting, the steps left run at the next boot");
  line (t, "\"%%S32%%\\shutdown.exe\" /r /t 5 >>\"%%LOG%%\" 2>&1");
  line (t, "exit /b 0");
  line (t, "%s", "");
  line (t, "rem Every step is done or has given up: unregister, and delete this file.");
  line (t, ":finish");
  line (t, "\"%%S32%%\\reg.exe\" add \"HKLM\\SYSTEM\\Setup\" /v SetupType /t REG_DWORD /d 0 /f >>\"%%LOG%%\" 2>&1");
  line (t, "if %%ERRORLEVEL%% NEQ 0 echo %%DATE%% %%TIME%% firstboot: ******** cannot set SetupType=0 ******** >>\"%%LOG%%\"");
  line (t, "\"%%S32%%\\reg.exe\" add \"HKLM\\SYSTEM\\Setup\" /v CmdLine /t REG_SZ /d \"\" /f >>\"%%LOG%%\" 2>&1");
  line (t, "if %%ERRORLEVEL%% NEQ 0 echo %%DATE%% %%TIME%% firstboot: ******** cannot empty CmdLine ******** >>\"%%LOG%%\"");
  line (t, "if \"%%FAILED%%\"==\"1\" echo %%DATE%% %%TIME%% firstboot: ******** some steps FAILED: see %%FB%%\\failed ******** >>\"%%LOG%%\"");
  line (t, ">>\"%%LOG%%\" echo %%DATE%% %%TIME%% firstboot: finished");
  if (poweroff)
    line (t, "\"%%S32%%\\shutdown.exe\" /s /t 5 >>\"%%LOG%%\" 2>&1");
  else
    line (t, "if \"%%REBOOT%%\"==\"1\" \"%%S32%%\\shutdown.exe\" /r /t 5 >>\"%%LOG%%\" 2>&1");
  line (t, "(goto) 2>nul & del \"%%~f0\"");
}

char *
fb_runner (const char *dir, int poweroff)
{
  CLEANUP_TEXT struct text t = { 0 };

  if (check_win_path ("runner", "directory", dir) == -1 ||
      text_open (&t) == -1)
    return NULL;
  runner_head (&t, dir);
  runner_step (&t);
  runner_tail (&t, poweroff);
  return text_close (&t, "runner");
}

/* ---- Steps. */

static void
step_head (struct text *t, const char *what)
{
  line (t, "@echo off");
  line (t, "rem h2k first-boot step, written by h2k-fix-windows: %s.", what);
  line (t, "rem Run by the first-boot runner, from the first-boot folder.");
}

/* pnputil: /add-driver X /install from Windows 10 1607 (build 14393),
 * -i -a X before (Vista to 10 1511).  259 (ERROR_NO_MORE_ITEMS: no
 * device to bind now) leaves the package staged: fine.
 */
char *
fb_step_pnputil (int64_t build, char *const *infs)
{
  CLEANUP_TEXT struct text t = { 0 };
  const char *cmd = build >= 14393 ? "/add-driver \"%~1\" /install"
    : "-i -a \"%~1\"";
  char field[32];
  size_t i;

  if (build < 6000) {
    h2k_error ("first-boot pnputil: Windows build %" PRId64 ": pnputil "
               "needs Windows Vista or later", build);
    return NULL;
  }
  if (infs == NULL || infs[0] == NULL) {
    h2k_error ("first-boot pnputil: no INF to install");
    return NULL;
  }
  for (i = 0; infs[i]; ++i) {
    snprintf (field, sizeof field, "infs[%zu]", i);
    if (check_win_file ("pnputil", field, infs[i], ".inf") == -1)
      return NULL;
  }
  if (text_open (&t) == -1)
    return NULL;
  step_head (&t, "install driver packages with pnputil");
  line (&t, "rem (64-bit pnputil on 64-bit Windows: the runner's cmd.exe is 64-bit.)");
  line (&t, "setlocal EnableExtensions DisableDelayedExpansion");
  line (&t, "set \"FIRST=0\"");
  line (&t, "set \"REBOOT=0\"");
  for (i = 0; infs[i]; ++i)
    line (&t, "call :inf \"%s\"", infs[i]);
  line (&t, "if not \"%%FIRST%%\"==\"0\" exit /b %%FIRST%%");
  line (&t, "if \"%%REBOOT%%\"==\"1\" exit /b 3010");
  line (&t, "exit /b 0");
  line (&t, "%s", "");
  line (&t, ":inf");
  line (&t, "echo pnputil: installing \"%%~1\"");
  line (&t, "\"" S32 "\\pnputil.exe\" %s", cmd);
  line (&t, "set \"E=%%ERRORLEVEL%%\"");
  line (&t, "if \"%%E%%\"==\"0\" goto :eof");
  line (&t, "if \"%%E%%\"==\"259\" echo pnputil: \"%%~1\" is staged, no device to install it on now");
  line (&t, "if \"%%E%%\"==\"259\" goto :eof");
  line (&t, "if \"%%E%%\"==\"3010\" set \"REBOOT=1\"");
  line (&t, "if \"%%E%%\"==\"3010\" goto :eof");
  line (&t, "echo pnputil: \"%%~1\" failed, exit code %%E%%");
  line (&t, "if \"%%FIRST%%\"==\"0\" set \"FIRST=%%E%%\"");
  line (&t, "goto :eof");
  return text_close (&t, "pnputil");
}

/* The key and name (NULL: the whole key) of element I of KEYS. */
static int
reg_entry (json_object *keys, size_t i, const char **key, const char **name)
{
  json_object *o = json_object_array_get_idx (keys, i), *v;
  char field[48];

  *key = *name = NULL;
  snprintf (field, sizeof field, "keys[%zu]", i);
  if (!json_object_is_type (o, json_type_object)) {
    h2k_error ("first-boot reg-delete: %s: not an object", field);
    return -1;
  }
  *key = h2k_json_get_string (o, "key");
  snprintf (field, sizeof field, "keys[%zu].key", i);
  if (check_reg_key ("reg-delete", field, *key) == -1)
    return -1;
  if (!json_object_object_get_ex (o, "name", &v) || v == NULL)
    return 0;
  *name = json_object_get_string (v);
  snprintf (field, sizeof field, "keys[%zu].name", i);
  if (!json_object_is_type (v, json_type_string)) {
    h2k_error ("first-boot reg-delete: %s: not a string", field);
    return -1;
  }
  return check_chars ("reg-delete", field, *name, " \\_-.{}&#$@+~,", 255);
}

/* Delete KEY (NAME: only that value); absent already is fine. */
static void
reg_delete_one (struct text *t, size_t i, const char *key, const char *name)
{
  char v[300] = "";

  if (name)
    snprintf (v, sizeof v, " /v \"%s\"", name);
  line (t, "echo reg-delete: \"HKLM\\%s\"%s", key, v);
  line (t, "\"" S32 "\\reg.exe\" delete \"HKLM\\%s\"%s /f", key, v);
  line (t, "if not errorlevel 1 goto :next_%zu", i);
  line (t, "\"" S32 "\\reg.exe\" query \"HKLM\\%s\"%s >nul 2>&1", key, v);
  line (t, "if errorlevel 1 goto :absent_%zu", i);
  line (t, "echo reg-delete: could not delete it");
  line (t, "set \"RC=1\"");
  line (t, "goto :next_%zu", i);
  line (t, ":absent_%zu", i);
  line (t, "echo reg-delete: absent already");
  line (t, ":next_%zu", i);
}

char *
fb_step_reg_delete (json_object *keys, const char *only_if_done)
{
  CLEANUP_TEXT struct text t = { 0 };
  const char *key, *name;
  size_t n, i;

  if (check_step_name ("reg-delete", "only_if_done", only_if_done) == -1)
    return NULL;
  if (!json_object_is_type (keys, json_type_array) ||
      (n = json_object_array_length (keys)) == 0 || n > 1024) {
    h2k_error ("first-boot reg-delete: keys: not an array of 1 to 1024 "
               "elements");
    return NULL;
  }
  for (i = 0; i < n; ++i)
    if (reg_entry (keys, i, &key, &name) == -1)
      return NULL;
  if (text_open (&t) == -1)
    return NULL;
  step_head (&t, "delete registry keys and values");
  line (&t, "setlocal EnableExtensions DisableDelayedExpansion");
  line (&t, "if exist \"%%~dp0..\\done\\%s\" goto :run", only_if_done);
  line (&t, "if exist \"%%~dp0..\\failed\\%s\" goto :keep", only_if_done);
  line (&t, "echo reg-delete: %s has not run yet", only_if_done);
  line (&t, "exit /b 1");
  line (&t, ":keep");
  line (&t, "echo reg-delete: %s FAILED: keeping every key and value", only_if_done);
  line (&t, "exit /b 0");
  line (&t, ":run");
  line (&t, "set \"RC=0\"");
  for (i = 0; i < n; ++i) {
    reg_entry (keys, i, &key, &name);
    reg_delete_one (&t, i + 1, key, name);
  }
  line (&t, "exit /b %%RC%%");
  return text_close (&t, "reg-delete");
}

/* Run msiexec with ARGS; 0 and 3010 are success, 1641 (a restart
 * started, which /norestart prevents) counts as 3010, and 1605 (not
 * installed) as 0 when OK1605.
 */
static void
msiexec_lines (struct text *t, const char *args, int ok1605)
{
  line (t, "\"" S32 "\\msiexec.exe\" %s", args);
  line (t, "set \"E=%%ERRORLEVEL%%\"");
  line (t, "echo msiexec: exit code %%E%%");
  if (ok1605)
    line (t, "if \"%%E%%\"==\"1605\" exit /b 0");
  line (t, "if \"%%E%%\"==\"0\" exit /b 0");
  line (t, "if \"%%E%%\"==\"3010\" exit /b 3010");
  line (t, "if \"%%E%%\"==\"1641\" exit /b 3010");
  line (t, "exit /b %%E%%");
}

char *
fb_step_msi_uninstall (const char *product_code, const char *name,
                       const char *log)
{
  CLEANUP_TEXT struct text t = { 0 };
  CLEANUP_FREE char *args = NULL;

  if (check_guid ("msi-uninstall", "product_code", product_code) == -1 ||
      (name && check_name ("msi-uninstall", "name", name) == -1) ||
      check_win_path ("msi-uninstall", "log", log) == -1)
    return NULL;
  if (asprintf (&args, "/x %s /qn /norestart /l*v \"%s\"", product_code,
                log) == -1) {
    args = NULL;
    h2k_error ("out of memory");
    return NULL;
  }
  if (text_open (&t) == -1)
    return NULL;
  step_head (&t, "uninstall an MSI product");
  line (&t, "rem (cmd.exe waits for msiexec.exe in a batch file.)");
  line (&t, "setlocal EnableExtensions DisableDelayedExpansion");
  if (name)
    line (&t, "echo msiexec: uninstalling \"%s\" %s", name, product_code);
  else
    line (&t, "echo msiexec: uninstalling %s", product_code);
  msiexec_lines (&t, args, 1);
  return text_close (&t, "msi-uninstall");
}

char *
fb_step_msi_install (const char *msi, const char *log)
{
  CLEANUP_TEXT struct text t = { 0 };
  CLEANUP_FREE char *args = NULL;

  if (check_win_file ("msi-install", "msi", msi, ".msi") == -1 ||
      check_win_path ("msi-install", "log", log) == -1)
    return NULL;
  if (asprintf (&args, "/i \"%s\" /qn /norestart /l*v \"%s\"", msi, log) == -1) {
    args = NULL;
    h2k_error ("out of memory");
    return NULL;
  }
  if (text_open (&t) == -1)
    return NULL;
  step_head (&t, "install an MSI package");
  line (&t, "rem (cmd.exe waits for msiexec.exe in a batch file.)");
  line (&t, "setlocal EnableExtensions DisableDelayedExpansion");
  line (&t, "echo msiexec: installing \"%s\"", msi);
  msiexec_lines (&t, args, 0);
  return text_close (&t, "msi-install");
}

/* ---- Network. */

struct nic {
  char mac[18];                 /* AA-BB-CC-DD-EE-FF */
  const char *old_guid;         /* or NULL */
  json_object *addr, *mask, *gw, *dns, *v6, *v6gw;      /* or NULL */
};

typedef int (*check_fn) (const char *what, const char *field, const char *s);

/* IPv4 or IPv6: DNS servers may be either. */
static int
check_ip (const char *what, const char *field, const char *s)
{
  return strchr (s ? s : "", ':') ? check_ipv6 (what, field, s)
    : check_ipv4 (what, field, s);
}

/* O.KEY: absent (*ARR NULL), or an array of at most MAX_LIST strings
 * each passing CHECK.
 */
static int
nic_list (json_object *o, size_t i, const char *key, check_fn check,
          json_object **arr)
{
  char field[64];
  size_t n = 0, j;

  *arr = NULL;
  snprintf (field, sizeof field, "ifaces[%zu].%s", i, key);
  if (!json_object_object_get_ex (o, key, arr) || *arr == NULL)
    return 0;
  if (json_object_is_type (*arr, json_type_array))
    n = json_object_array_length (*arr);
  if (!json_object_is_type (*arr, json_type_array) || n > MAX_LIST) {
    h2k_error ("first-boot network: %s: not an array of at most %d "
               "strings", field, MAX_LIST);
    return -1;
  }
  for (j = 0; j < n; ++j) {
    json_object *e = json_object_array_get_idx (*arr, j);
    snprintf (field, sizeof field, "ifaces[%zu].%s[%zu]", i, key, j);
    if (check ("network", field, json_object_is_type (e, json_type_string)
               ? json_object_get_string (e) : NULL) == -1)
      return -1;
  }
  return 0;
}

static const char *
str (json_object *arr, size_t j)
{
  return json_object_get_string (json_object_array_get_idx (arr, j));
}

/* Element I of IFACES into *N, checked. */
static int
nic_parse (json_object *ifaces, size_t i, struct nic *n)
{
  json_object *o = json_object_array_get_idx (ifaces, i);
  char field[48];
  int r;

  memset (n, 0, sizeof *n);
  snprintf (field, sizeof field, "ifaces[%zu]", i);
  if (!json_object_is_type (o, json_type_object)) {
    h2k_error ("first-boot network: %s: not an object", field);
    return -1;
  }
  snprintf (field, sizeof field, "ifaces[%zu].mac", i);
  r = check_mac ("network", field, h2k_json_get_string (o, "mac"), n->mac);
  n->old_guid = h2k_json_get_string (o, "old_guid");
  snprintf (field, sizeof field, "ifaces[%zu].old_guid", i);
  if (r == 0 && (n->old_guid || h2k_json_get (o, "old_guid")))
    r = check_guid ("network", field, n->old_guid);
  if (r == -1 ||
      nic_list (o, i, "addresses", check_ipv4, &n->addr) == -1 ||
      nic_list (o, i, "netmasks", check_netmask, &n->mask) == -1 ||
      nic_list (o, i, "gateways", check_ipv4, &n->gw) == -1 ||
      nic_list (o, i, "dns", check_ip, &n->dns) == -1 ||
      nic_list (o, i, "ipv6_addresses", check_ipv6_prefix, &n->v6) == -1 ||
      nic_list (o, i, "ipv6_gateways", check_ipv6, &n->v6gw) == -1)
    return -1;
  if (h2k_json_array_len (n->addr) != h2k_json_array_len (n->mask) || (h2k_json_array_len (n->gw) && !h2k_json_array_len (n->addr))) {
    h2k_error ("first-boot network: ifaces[%zu]: %s", i,
               h2k_json_array_len (n->addr) != h2k_json_array_len (n->mask)
               ? "addresses and netmasks differ in number"
               : "gateways without addresses");
    return -1;
  }
  return 0;
}

/* After a command: note its failure.  (Not "cmd || set": the exit code
 * is tested the same way everywhere, and Wine's cmd, used in the tests,
 * runs the right side of || whatever the left side's status.)
 */
#define FAILED_RC "if %%ERRORLEVEL%% NEQ 0 set \"RC=1\""

/* Clear the old adapter's static IPv4 settings, if its key is there. */
static void
nic_old (struct text *t, size_t i, const char *guid)
{
  static const char *const values[][3] = {
    { "EnableDHCP", "REG_DWORD", "1" },
    { "IPAddress", "REG_MULTI_SZ", "0.0.0.0" },
    { "SubnetMask", "REG_MULTI_SZ", "0.0.0.0" },
    { "DefaultGateway", "REG_MULTI_SZ", "" },
    { "DefaultGatewayMetric", "REG_MULTI_SZ", "" },
    { "NameServer", "REG_SZ", "" },
  };

  line (t, "set \"K=HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\%s\"",
        guid);
  line (t, "\"" S32 "\\reg.exe\" query \"%%K%%\" >nul 2>&1");
  line (t, "if errorlevel 1 goto :old_%zu", i);
  line (t, "echo network: clearing the static settings of the old adapter %s", guid);
  for (size_t j = 0; j < sizeof values / sizeof values[0]; ++j) {
    line (t, "\"" S32 "\\reg.exe\" add \"%%K%%\" /v %s /t %s /d \"%s\" /f",
          values[j][0], values[j][1], values[j][2]);
    line (t, FAILED_RC);
  }
  line (t, ":old_%zu", i);
}

/* Wait for the adapter with MAC; its connection name into IF. */
static void
nic_wait (struct text *t, size_t i, const char *mac)
{
  line (t, "set \"N=0\"");
  line (t, ":wait_%zu", i);
  line (t, "set \"IF=\"");
  line (t, "for /f \"tokens=1 delims=,\" %%%%A in ('" S32 "\\getmac.exe /v /fo csv /nh ^| " S32 "\\findstr.exe /i /c:\"%s\"') do set \"IF=%%%%~A\"",
        mac);
  line (t, "if defined IF goto :found_%zu", i);
  line (t, "set /a N+=1");
  line (t, "if %%N%% GEQ %d goto :nomac_%zu", FB_WAIT_ROUNDS, i);
  line (t, "\"" S32 "\\ping.exe\" -n 6 127.0.0.1 >nul");
  line (t, "goto :wait_%zu", i);
  line (t, ":nomac_%zu", i);
  line (t, "echo network: FAILED: no adapter with MAC %s appeared", mac);
  line (t, "set \"RC=1\"");
  line (t, "goto :next_%zu", i);
  line (t, ":found_%zu", i);
  line (t, "echo network: MAC %s is \"%%IF%%\"", mac);
}

#define NETSH "\"" S32 "\\netsh.exe\" interface "

static void
nic_ipv4 (struct text *t, const struct nic *n)
{
  for (size_t j = 0; j < h2k_json_array_len (n->addr); ++j) {
    line (t, "echo network: \"%%IF%%\": IPv4 %s mask %s", str (n->addr, j),
          str (n->mask, j));
    if (j == 0 && h2k_json_array_len (n->gw))
      line (t, NETSH "ipv4 set address name=\"%%IF%%\" source=static address=%s mask=%s gateway=%s gwmetric=1",
            str (n->addr, 0), str (n->mask, 0), str (n->gw, 0));
    else if (j == 0)
      line (t, NETSH "ipv4 set address name=\"%%IF%%\" source=static address=%s mask=%s",
            str (n->addr, 0), str (n->mask, 0));
    else
      line (t, NETSH "ipv4 add address name=\"%%IF%%\" address=%s mask=%s",
            str (n->addr, j), str (n->mask, j));
    line (t, FAILED_RC);
  }
  for (size_t j = 1; j < h2k_json_array_len (n->gw); ++j) {
    line (t, "echo network: \"%%IF%%\": IPv4 gateway %s", str (n->gw, j));
    line (t, NETSH "ipv4 delete address name=\"%%IF%%\" gateway=%s >nul 2>&1",
          str (n->gw, j));
    line (t, NETSH "ipv4 add address name=\"%%IF%%\" gateway=%s gwmetric=%zu",
          str (n->gw, j), j + 1);
    line (t, FAILED_RC);
  }
}

/* DNS servers of family V (4 or 6), in order.  validate=no exists from
 * Windows 7 on: again without it when netsh refuses it.
 */
static void
nic_dns (struct text *t, const struct nic *n, int v)
{
  size_t index = 0;

  for (size_t j = 0; j < h2k_json_array_len (n->dns); ++j) {
    const char *a = str (n->dns, j);
    if ((strchr (a, ':') != NULL) != (v == 6))
      continue;
    line (t, "echo network: \"%%IF%%\": DNS server %s", a);
    for (int validate = 1; validate >= 0; --validate) {
      if (index == 0)
        line (t, "%s" NETSH "ipv%d set dnsservers name=\"%%IF%%\" source=static address=%s register=primary%s",
              validate ? "" : "if %ERRORLEVEL% NEQ 0 ", v, a, validate ? " validate=no" : "");
      else
        line (t, "%s" NETSH "ipv%d add dnsservers name=\"%%IF%%\" address=%s index=%zu%s",
              validate ? "" : "if %ERRORLEVEL% NEQ 0 ", v, a, index + 1,
              validate ? " validate=no" : "");
    }
    line (t, FAILED_RC);
    ++index;
  }
}

/* IPv6 addresses and default routes; each deleted first, so that a
 * second run (the step retried) does not fail on "already exists".
 */
static void
nic_ipv6 (struct text *t, const struct nic *n)
{
  for (size_t j = 0; j < h2k_json_array_len (n->v6); ++j) {
    const char *a = str (n->v6, j);
    int alen = (int) (strchr (a, '/') - a);
    line (t, "echo network: \"%%IF%%\": IPv6 %s", a);
    line (t, NETSH "ipv6 delete address interface=\"%%IF%%\" address=%.*s >nul 2>&1",
          alen, a);
    line (t, NETSH "ipv6 add address interface=\"%%IF%%\" address=%s", a);
    line (t, FAILED_RC);
  }
  for (size_t j = 0; j < h2k_json_array_len (n->v6gw); ++j) {
    const char *g = str (n->v6gw, j);
    line (t, "echo network: \"%%IF%%\": IPv6 gateway %s", g);
    line (t, NETSH "ipv6 delete route prefix=::/0 interface=\"%%IF%%\" nexthop=%s >nul 2>&1", g);
    line (t, NETSH "ipv6 add route prefix=::/0 interface=\"%%IF%%\" nexthop=%s", g);
    line (t, FAILED_RC);
  }
}

char *
fb_step_network (json_object *ifaces)
{
  CLEANUP_TEXT struct text t = { 0 };
  struct nic n;
  size_t count, i;

  if (!json_object_is_type (ifaces, json_type_array) ||
      (count = json_object_array_length (ifaces)) == 0 || count > MAX_LIST) {
    h2k_error ("first-boot network: ifaces: not an array of 1 to %d "
               "elements", MAX_LIST);
    return NULL;
  }
  for (i = 0; i < count; ++i)
    if (nic_parse (ifaces, i, &n) == -1)
      return NULL;
  if (text_open (&t) == -1)
    return NULL;
  step_head (&t, "static network settings");
  line (&t, "rem A MAC that never appears fails the step: it is retried at the next boot.");
  line (&t, "setlocal EnableExtensions DisableDelayedExpansion");
  line (&t, "set \"RC=0\"");
  for (i = 0; i < count; ++i) {
    nic_parse (ifaces, i, &n);
    line (&t, "%s", "");
    line (&t, "rem Adapter %zu: MAC %s", i + 1, n.mac);
    if (n.old_guid)
      nic_old (&t, i + 1, n.old_guid);
    nic_wait (&t, i + 1, n.mac);
    nic_ipv4 (&t, &n);
    nic_dns (&t, &n, 4);
    nic_ipv6 (&t, &n);
    nic_dns (&t, &n, 6);
    line (&t, ":next_%zu", i + 1);
  }
  line (&t, "exit /b %%RC%%");
  return text_close (&t, "network");
}
