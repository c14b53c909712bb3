/* h2k-fix-windows: the first-boot runner and steps at work, run by
 * Wine's cmd.exe (skipped when Wine is not installed; H2K_WINE names
 * wine64).
 *
 * Each "boot" is one run of firstboot.cmd in a throwaway Wine prefix.
 * The tools (reg, shutdown, pnputil, msiexec, netsh, getmac, ping) are
 * batch files in C:\shims that log their arguments and exit with the
 * codes queued for them (Windows codes such as 3010 or negative ones: a
 * Unix script could only return 0-255).  Checked: steps run once and in order, 3010
 * reboots and goes on at the next boot, a failing step is retried then
 * given up after FB_MAX_TRIES boots, unregistering and reaching the end,
 * power off in the two-phase runner, the runaway guard, and the real
 * steps end to end with the tools' arguments and exit codes.
 *
 * Wine 8 is not Windows, so the texts are adapted where its cmd differs,
 * and only there (see adapt): "call" of a batch file loses its exit code
 * (any non-zero becomes 1), so `cmd /c call "step"` runs as
 * `cmd /c "step"`; findstr lacks /c: (a grep script stands in); and
 * `(goto) 2>nul & del "%~f0"` does not delete, so the last line is
 * `del "%~f0" & exit /b 0` (the runner file gone still proves the end
 * was reached).  The tools become `cmd /d /c C:\shims\X.cmd`.
 * H2K_WINE_KEEP=1 keeps the prefix for a look.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-fix-windows/fix-windows.h"

static char tmp[] = "/tmp/h2k-fbwine.XXXXXX";
static const char *wine;
static char *shims, *fb, *calls_path;

static const char *const tools[] = {
  "reg", "shutdown", "pnputil", "msiexec", "netsh", "getmac", "ping", NULL
};

/* Write TEXT to DIR/NAME (mode 755 when EXEC). */
static int
put (const char *dir, const char *name, const char *text, int exec)
{
  CLEANUP_FREE char *p = NULL;
  FILE *fp;
  int r;

  if (asprintf (&p, "%s/%s", dir, name) == -1 || (fp = fopen (p, "w")) == NULL)
    return -1;
  r = fputs (text, fp) < 0;
  r |= fclose (fp) != 0;
  return r || (exec && chmod (p, 0755) == -1) ? -1 : 0;
}

/* The content of FB/REL (or of REL when absolute), "" when absent. */
static char *
slurp (const char *rel)
{
  CLEANUP_FREE char *p = NULL;
  char *s;

  if (asprintf (&p, "%s/%s", fb, rel) == -1)
    return strdup ("");
  s = h2k_read_file (*rel == '/' ? rel : p, 1 << 20, NULL);
  h2k_clear_error ();
  return s ? s : strdup ("");
}

/* calls.log, without the spaces %* keeps before a redirection. */
static char *
calls (void)
{
  char *s = slurp (calls_path), *w = s;

  for (const char *r = s; *r; ++r) {
    size_t n = strspn (r, " ");
    if (n && r[n] == '\r')
      r += n;
    *w++ = *r;
  }
  *w = 0;
  return s;
}

static int
exists (const char *rel)
{
  CLEANUP_FREE char *p = NULL;

  return asprintf (&p, "%s/%s", fb, rel) != -1 && access (p, F_OK) == 0;
}

static int
lines_in (const char *rel)
{
  CLEANUP_FREE char *s = slurp (rel);
  int n = 0;

  for (const char *p = s; *p; ++p)
    n += *p == '\n';
  return n;
}

static int
run (const char *const *argv)
{
  struct h2k_run_result res = { 0 };
  int r = h2k_run (argv, H2K_RUN_OUT | H2K_RUN_ERR, &res);

  r = r == 0 ? res.status : -1;
  h2k_run_result_free (&res);
  return r;
}

/* S with every FROM replaced by TO (S is freed). */
static char *
replace (char *s, const char *from, const char *to)
{
  char *r = NULL, *p;
  size_t n = 0;
  FILE *fp = open_memstream (&r, &n);

  for (const char *q = s; (p = strstr (q, from)) != NULL || *q; q = p + strlen (from)) {
    if (p == NULL) {
      fputs (q, fp);
      break;
    }
    fprintf (fp, "%.*s%s", (int) (p - q), q, to);
  }
  fclose (fp);
  free (s);
  return r;
}

/* TEXT as Wine 8 can run it (see the top).  TEXT is freed. */
static char *
adapt (char *text)
{
  if (text == NULL)
    return NULL;
  text = replace (text, "/d /c call \"", "/d /c \"");
  text = replace (text, "(goto) 2>nul & del \"%~f0\"", "del \"%~f0\" & exit /b 0");
  text = replace (text, "%SystemRoot%\\System32\\findstr.exe", "C:\\shims\\findstr.exe");
  for (size_t i = 0; tools[i]; ++i) {
    CLEANUP_FREE char *q1 = NULL, *q2 = NULL, *u = NULL, *to = NULL;
    if (asprintf (&q1, "\"%%SystemRoot%%\\System32\\%s.exe\"", tools[i]) == -1 ||
        asprintf (&q2, "\"%%S32%%\\%s.exe\"", tools[i]) == -1 ||
        asprintf (&u, "%%SystemRoot%%\\System32\\%s.exe", tools[i]) == -1 ||
        asprintf (&to, "%%SystemRoot%%\\System32\\cmd.exe /d /c C:\\shims\\%s.cmd", tools[i]) == -1)
      abort ();
    text = replace (replace (replace (text, q1, to), q2, to), u, to);
  }
  return text;
}

/* The shims: X.cmd logs "X ARGS" to calls.log and exits with its Nth
 * queued code on its Nth call (file rc-X.N, 0 when there is none; the
 * count in n-X).  findstr.exe (a Unix script) does /i /c:"S" with grep.
 */
static int
setup (void)
{
  const char *const boot[] = { "timeout", "300", wine, "wineboot", "-i", NULL };
  CLEANUP_FREE char *prefix = NULL;
  int r = 0;

  if (mkdtemp (tmp) == NULL ||
      asprintf (&prefix, "%s/prefix", tmp) == -1 ||
      asprintf (&shims, "%s/drive_c/shims", prefix) == -1 ||
      asprintf (&fb, "%s/drive_c/h2k/firstboot", prefix) == -1 ||
      asprintf (&calls_path, "%s/calls.log", shims) == -1)
    return -1;
  setenv ("WINEPREFIX", prefix, 1);
  setenv ("WINEDEBUG", "-all", 1);
  setenv ("WINEDLLOVERRIDES", "mscoree,mshtml=", 1);
  if (run (boot) != 0 || mkdir (shims, 0755) == -1)
    return -1;
  for (size_t i = 0; tools[i]; ++i) {
    CLEANUP_FREE char *name = NULL, *text = NULL;
    const char *t = tools[i];
    if (asprintf (&name, "%s.cmd", t) == -1 ||
        asprintf (&text, "@echo off\r\n"
                  ">>C:\\shims\\calls.log echo %s %%*\r\n"
                  "%s"
                  "set N=0\r\n"
                  "if exist C:\\shims\\n-%s set /p N=<C:\\shims\\n-%s\r\n"
                  "set /a N+=1\r\n"
                  ">C:\\shims\\n-%s echo %%N%%\r\n"
                  "set RC=0\r\n"
                  "if exist C:\\shims\\rc-%s.%%N%% set /p RC=<C:\\shims\\rc-%s.%%N%%\r\n"
                  "exit /b %%RC%%\r\n", t,
                  strcmp (t, "getmac") == 0 ? "type C:\\shims\\getmac.txt\r\n" : "",
                  t, t, t, t, t) == -1)
      return -1;
    r |= put (shims, name, text, 0);
  }
  return r |
    put (shims, "findstr.exe",
         "#!/bin/sh\n"
         "[ \"$1\" = /i ] && case \"$2\" in /c:*) exec grep -i -F -e \"${2#/c:}\";; esac\n"
         "exit 2\n", 1) |
    put (shims, "getmac.txt",
         "\"Ethernet 2\",\"Red Hat VirtIO Ethernet Adapter\",\"52-54-00-AB-CD-EF\",\"\\Device\\Tcpip_{0}\"\r\n"
         "\"Local Area Connection\",\"Intel(R) PRO/1000 MT\",\"00-50-56-00-00-01\",\"Media disconnected\"\r\n", 0);
}

/* Queue exit codes for tool NAME's next calls: CODES, one a line. */
static void
queue (const char *name, const char *codes)
{
  const char *const rm[] = { "sh", "-c", "rm -f \"$1/n-$2\" \"$1/rc-$2\".*", "sh", shims, name, NULL };
  char code[32];
  int n = 0;

  run (rm);
  for (const char *p = codes; *p; p += strcspn (p, "\n") + (p[strcspn (p, "\n")] != 0)) {
    CLEANUP_FREE char *f = NULL;
    snprintf (code, sizeof code, "%.*s\r\n", (int) strcspn (p, "\n"), p);
    if (asprintf (&f, "rc-%s.%d", name, ++n) != -1)
      put (shims, f, code, 0);
  }
}

static void
clear_calls (void)
{
  put (shims, "calls.log", "", 0);
}

/* A clean C:\h2k\firstboot with the runner (POWEROFF) and no steps;
 * nothing logged, no exit code queued.
 */
static void
fresh (int poweroff)
{
  const char *const rm[] = { "sh", "-c", "rm -rf \"$1\" \"$2\"/rc-* \"$2\"/n-* && mkdir -p \"$1/steps\"",
                              "sh", fb, shims, NULL };
  char *r = adapt (fb_runner ("C:\\h2k\\firstboot", poweroff));

  if (r && run (rm) == 0)
    put (fb, "firstboot.cmd", r, 0);
  clear_calls ();
  free (r);
}

/* Step NAME: TEXT (freed), adapted. */
static void
step_text (const char *name, char *text)
{
  CLEANUP_FREE char *steps = NULL, *t = adapt (text);

  if (t && asprintf (&steps, "%s/steps", fb) != -1)
    put (steps, name, t, 0);
}

/* A step NAME exiting with CODE, logging "ran NAME" into FB/ran. */
static void
step (const char *name, const char *code)
{
  char *text;

  if (asprintf (&text, "@echo off\r\necho ran %s>>\"%%~dp0..\\ran\"\r\nexit /b %s\r\n",
                name, code) != -1)
    step_text (name, text);
}

/* One boot: Windows runs CmdLine.  Wine now and then gets nowhere (no
 * new line in the runner's "runs"): then once more.
 */
static void
boot (void)
{
  const char *const argv[] = { "timeout", "300", wine, "cmd", "/c",
                               "C:\\h2k\\firstboot\\firstboot.cmd", NULL };
  int before = lines_in ("runs");

  for (int i = 0; i < 2 && lines_in ("runs") == before && exists ("firstboot.cmd"); ++i) {
    if (i > 0)
      printf ("# Wine did not start the runner: again\n");
    run (argv);
  }
}

static int
has (const char *what, const char *text, const char *s, int want)
{
  int r = (strstr (text, s) != NULL) == want;

  if (!r)
    printf ("# %s %s \"%s\":\n%s", what, want ? "lacks" : "has", s, text);
  return r;
}

#define RAN(text) ({ CLEANUP_FREE char *r_ = slurp ("ran"); strcmp (r_, text) == 0 ? 1 : (printf ("# ran: %s\n", r_), 0); })
#define CALLS_HAVE(s) ({ CLEANUP_FREE char *c_ = calls (); has ("calls.log", c_, s, 1); })
#define CALLS_LACK(s) ({ CLEANUP_FREE char *c_ = calls (); has ("calls.log", c_, s, 0); })
#define LOG_HAS(s) ({ CLEANUP_FREE char *l_ = slurp ("firstboot.log"); has ("the log", l_, s, 1); })

#define UNREGISTERED \
  "reg add \"HKLM\\SYSTEM\\Setup\" /v SetupType /t REG_DWORD /d 0 /f\r\n" \
  "reg add \"HKLM\\SYSTEM\\Setup\" /v CmdLine /t REG_SZ /d \"\" /f\r\n"

TEST (reboot_and_go_on)
{
  fresh (0);
  step ("10-a.cmd", "0");
  step ("20-b.cmd", "3010");
  step ("30-c.cmd", "0");
  boot ();
  CHECK (RAN ("ran 10-a.cmd\r\nran 20-b.cmd\r\n"));
  CHECK (exists ("done/10-a.cmd") && exists ("done/20-b.cmd") && !exists ("done/30-c.cmd"));
  CHECK (CALLS_HAVE ("shutdown /r /t 5\r\n"));
  CHECK (CALLS_LACK ("reg "));
  CHECK (exists ("firstboot.cmd"));
  clear_calls ();
  boot ();
  CHECK (RAN ("ran 10-a.cmd\r\nran 20-b.cmd\r\nran 30-c.cmd\r\n"));
  CHECK (exists ("done/30-c.cmd"));
  CHECK (CALLS_HAVE (UNREGISTERED));
  CHECK (CALLS_LACK ("shutdown"));
  CHECK (LOG_HAS ("firstboot: finished"));
  CHECK (!exists ("firstboot.cmd"));
}

TEST (retry_then_give_up)
{
  fresh (0);
  step ("10-x.cmd", "5");
  step ("20-y.cmd", "0");
  for (int b = 1; b < FB_MAX_TRIES; ++b) {
    clear_calls ();
    boot ();
    CHECK_INT (lines_in ("tries/10-x.cmd"), b);
    CHECK (!exists ("failed/10-x.cmd") && !exists ("done/20-y.cmd"));
    CHECK (CALLS_HAVE ("shutdown /r /t 5\r\n"));
    CHECK (CALLS_LACK ("reg "));
    CHECK (exists ("firstboot.cmd"));
  }
  clear_calls ();
  boot ();
  CHECK_INT (lines_in ("tries/10-x.cmd"), FB_MAX_TRIES);
  CHECK (exists ("failed/10-x.cmd") && !exists ("done/10-x.cmd"));
  CHECK (exists ("done/20-y.cmd"));
  CHECK (RAN ("ran 10-x.cmd\r\nran 10-x.cmd\r\nran 10-x.cmd\r\nran 20-y.cmd\r\n"));
  CHECK (CALLS_HAVE (UNREGISTERED));
  CHECK (CALLS_LACK ("shutdown"));
  CHECK (LOG_HAS ("10-x.cmd: FAILED, exit code 5, after 3 tries: giving up"));
  CHECK (LOG_HAS ("some steps FAILED"));
  CHECK (!exists ("firstboot.cmd"));
}

TEST (fail_once_then_succeed)
{
  fresh (0);
  step_text ("10-once.cmd", strdup (
               "@echo off\r\n"
               "if exist \"%~dp0..\\flag\" exit /b 0\r\n"
               "echo x>\"%~dp0..\\flag\"\r\n"
               "exit /b 1603\r\n"));
  boot ();
  CHECK (!exists ("done/10-once.cmd") && lines_in ("tries/10-once.cmd") == 1);
  CHECK (LOG_HAS ("10-once.cmd: failed, exit code 1603, try 1 of 3"));
  clear_calls ();
  boot ();
  CHECK (exists ("done/10-once.cmd") && !exists ("failed/10-once.cmd"));
  CHECK (CALLS_HAVE (UNREGISTERED));
}

TEST (last_step_reboots_poweroff)
{
  /* The last step asks for a reboot: nothing is left, so unregister,
   * then reboot; the two-phase runner powers off instead.
   */
  fresh (0);
  step ("10-a.cmd", "3010");
  boot ();
  CHECK (CALLS_HAVE (UNREGISTERED "shutdown /r /t 5\r\n"));
  CHECK (!exists ("firstboot.cmd"));
  fresh (1);
  step ("10-a.cmd", "3010");
  step ("20-b.cmd", "0");
  boot ();
  CHECK (CALLS_HAVE ("shutdown /r /t 5\r\n"));
  CHECK (CALLS_LACK ("reg "));
  clear_calls ();
  boot ();
  CHECK (CALLS_HAVE (UNREGISTERED "shutdown /s /t 5\r\n"));
  CHECK (CALLS_LACK ("/r /t"));
  CHECK (!exists ("firstboot.cmd"));
  /* No steps at all. */
  fresh (1);
  boot ();
  CHECK (CALLS_HAVE (UNREGISTERED "shutdown /s /t 5\r\n"));
  CHECK (!exists ("firstboot.cmd"));
}

TEST (unregister_fails)
{
  fresh (0);
  queue ("reg", "1\n0\n");
  boot ();
  CHECK (LOG_HAS ("******** cannot set SetupType=0 ********"));
  CHECK (LOG_HAS ("firstboot: finished"));
}

TEST (runaway_guard)
{
  fresh (0);
  step ("10-a.cmd", "0");
  put (fb, "runs", "r\nr\nr\nr\nr\nr\nr\nr\nr\nr\nr\nr\nr\nr\nr\nr\n"
       "r\nr\nr\nr\nr\nr\nr\nr\nr\nr\nr\nr\nr\nr\nr\nr\n", 0);
  boot ();
  CHECK (!exists ("ran"));
  CHECK (CALLS_HAVE (UNREGISTERED));
  CHECK (LOG_HAS ("started 33 times"));
  CHECK (!exists ("firstboot.cmd"));
}

/* The real steps, end to end, with the tools' exit codes queued. */
TEST (real_steps)
{
  char *infs[] = { "C:\\h2k\\drivers\\viostor\\viostor.inf",
                   "C:\\h2k\\drivers\\netkvm\\netkvm.inf", NULL };
  CLEANUP_JSON json_object *keys = json_tokener_parse (
    "[{\"key\": \"SYSTEM\\\\DriverDatabase\\\\DeviceIds\\\\PCI\\\\VEN_1AF4&DEV_1001\", \"name\": \"h2k-viostor.inf\"},"
    " {\"key\": \"SYSTEM\\\\DriverDatabase\\\\DriverPackages\\\\h2k-viostor.inf_amd64_0\"}]");
  CLEANUP_JSON json_object *nics = json_tokener_parse (
    "[{\"mac\": \"52:54:00:ab:cd:ef\", \"addresses\": [\"192.168.1.10\"],"
    "  \"netmasks\": [\"255.255.255.0\"], \"gateways\": [\"192.168.1.1\"],"
    "  \"dns\": [\"8.8.8.8\", \"8.8.4.4\"], \"old_guid\": \"{11111111-2222-3333-4444-555555555555}\"}]");

  fresh (0);
  step_text ("10-drivers.cmd", fb_step_pnputil (19045, infs));
  step_text ("20-boot-binding.cmd", fb_step_reg_delete (keys, "10-drivers.cmd"));
  step_text ("30-uninstall-tools.cmd", fb_step_msi_uninstall (
               "{12345678-1234-1234-1234-123456789ABC}", "VMware Tools",
               "C:\\h2k\\firstboot\\u.log"));
  step_text ("40-network.cmd", fb_step_network (nics));
  step_text ("50-qemu-ga.cmd", fb_step_msi_install ("C:\\h2k\\drivers\\qemu-ga.msi",
                                                     "C:\\h2k\\firstboot\\q.log"));
  queue ("pnputil", "259\n3010\n");
  boot ();
  CHECK (CALLS_HAVE ("pnputil /add-driver \"C:\\h2k\\drivers\\viostor\\viostor.inf\" /install\r\n"
                     "pnputil /add-driver \"C:\\h2k\\drivers\\netkvm\\netkvm.inf\" /install\r\n"
                     "shutdown /r /t 5\r\n"));
  CHECK (exists ("done/10-drivers.cmd") && !exists ("done/20-boot-binding.cmd"));
  CHECK (LOG_HAS ("10-drivers.cmd: done, exit code 3010"));
  clear_calls ();
  /* reg: the value deleted; the key fails, and is still there (query 0);
   * the old NIC's key is absent (query 1).
   */
  queue ("reg", "0\n5\n0\n1\n");
  queue ("msiexec", "1605\n3010\n");
  boot ();
  CHECK (CALLS_HAVE ("reg delete \"HKLM\\SYSTEM\\DriverDatabase\\DeviceIds\\PCI\\VEN_1AF4&DEV_1001\" /v \"h2k-viostor.inf\" /f\r\n"
                     "reg delete \"HKLM\\SYSTEM\\DriverDatabase\\DriverPackages\\h2k-viostor.inf_amd64_0\" /f\r\n"
                     "reg query \"HKLM\\SYSTEM\\DriverDatabase\\DriverPackages\\h2k-viostor.inf_amd64_0\"\r\n"
                     "shutdown /r /t 5\r\n"));
  CHECK (LOG_HAS ("20-boot-binding.cmd: failed, exit code 1, try 1 of 3"));
  clear_calls ();
  queue ("reg", "0\n0\n1\n");
  queue ("msiexec", "1605\n3010\n");
  boot ();
  CHECK (CALLS_HAVE ("reg delete \"HKLM\\SYSTEM\\DriverDatabase\\DeviceIds\\PCI\\VEN_1AF4&DEV_1001\" /v \"h2k-viostor.inf\" /f\r\n"
                     "reg delete \"HKLM\\SYSTEM\\DriverDatabase\\DriverPackages\\h2k-viostor.inf_amd64_0\" /f\r\n"
                     "msiexec /x {12345678-1234-1234-1234-123456789ABC} /qn /norestart /l*v \"C:\\h2k\\firstboot\\u.log\"\r\n"
                     "reg query \"HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\{11111111-2222-3333-4444-555555555555}\"\r\n"
                     "getmac /v /fo csv /nh\r\n"));
  /* (Wine now and then loses the output of the findstr script: a round
   * of waiting more; so getmac is not always right before netsh.)
   */
  CHECK (CALLS_HAVE ("getmac /v /fo csv /nh\r\n"
                     "netsh interface ipv4 set address name=\"Ethernet 2\" source=static address=192.168.1.10 mask=255.255.255.0 gateway=192.168.1.1 gwmetric=1\r\n"
                     "netsh interface ipv4 set dnsservers name=\"Ethernet 2\" source=static address=8.8.8.8 register=primary validate=no\r\n"
                     "netsh interface ipv4 add dnsservers name=\"Ethernet 2\" address=8.8.4.4 index=2 validate=no\r\n"
                     "msiexec /i \"C:\\h2k\\drivers\\qemu-ga.msi\" /qn /norestart /l*v \"C:\\h2k\\firstboot\\q.log\"\r\n"
                     UNREGISTERED "shutdown /r /t 5\r\n"));
  CHECK (CALLS_LACK ("reg add \"HKLM\\SYSTEM\\CurrentControlSet"));
  CHECK (exists ("done/20-boot-binding.cmd") && exists ("done/30-uninstall-tools.cmd") &&
         exists ("done/40-network.cmd") && exists ("done/50-qemu-ga.cmd"));
  CHECK (LOG_HAS ("network: MAC 52-54-00-AB-CD-EF is \"Ethernet 2\""));
  CHECK (LOG_HAS ("30-uninstall-tools.cmd: done, exit code 0"));
  CHECK (LOG_HAS ("50-qemu-ga.cmd: done, exit code 3010"));
  CHECK (!exists ("firstboot.cmd"));
}

/* Failures inside the steps: the first failing pnputil code is the
 * step's; reg-delete without its prerequisite, and after it failed; a
 * netsh failure, and the old NIC's key cleared; DNS without validate=.
 */
TEST (step_failures)
{
  char *infs[] = { "C:\\a.inf", "C:\\b.inf", "C:\\c.inf", NULL };
  CLEANUP_JSON json_object *keys = json_tokener_parse ("[{\"key\": \"SYSTEM\\\\X\"}]");
  CLEANUP_FREE char *failed = NULL;
  CLEANUP_JSON json_object *nics = json_tokener_parse (
    "[{\"mac\": \"00:50:56:00:00:01\", \"addresses\": [\"10.0.0.2\"], \"netmasks\": [\"255.0.0.0\"],"
    "  \"dns\": [\"10.0.0.53\"], \"old_guid\": \"{11111111-2222-3333-4444-555555555555}\"}]");

  fresh (0);
  step_text ("10-drivers.cmd", fb_step_pnputil (7601, infs));
  queue ("pnputil", "3010\n-536870389\n2\n");
  boot ();
  CHECK (CALLS_HAVE ("pnputil -i -a \"C:\\a.inf\"\r\npnputil -i -a \"C:\\b.inf\"\r\npnputil -i -a \"C:\\c.inf\"\r\n"));
  CHECK (LOG_HAS ("10-drivers.cmd: failed, exit code -536870389, try 1"));

  fresh (0);
  step_text ("20-boot-binding.cmd", fb_step_reg_delete (keys, "05-missing.cmd"));
  boot ();
  CHECK (LOG_HAS ("05-missing.cmd has not run yet"));
  CHECK (lines_in ("tries/20-boot-binding.cmd") == 1);
  CHECK (CALLS_LACK ("reg delete"));

  fresh (0);
  step ("10-drivers.cmd", "7");
  step_text ("20-boot-binding.cmd", fb_step_reg_delete (keys, "10-drivers.cmd"));
  CHECK (asprintf (&failed, "%s/failed", fb) != -1 && mkdir (failed, 0755) == 0 &&
         put (failed, "10-drivers.cmd", "given up\r\n", 0) == 0);
  boot ();
  CHECK (LOG_HAS ("10-drivers.cmd FAILED: keeping every key and value"));
  CHECK (exists ("done/20-boot-binding.cmd"));
  CHECK (CALLS_LACK ("reg delete"));

  fresh (0);
  step_text ("40-network.cmd", fb_step_network (nics));
  queue ("netsh", "1\n1\n0\n");
  boot ();
  CHECK (CALLS_HAVE ("reg query \"HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\{11111111-2222-3333-4444-555555555555}\"\r\n"
                     "reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\{11111111-2222-3333-4444-555555555555}\" /v EnableDHCP /t REG_DWORD /d \"1\" /f\r\n"));
  CHECK (CALLS_HAVE ("netsh interface ipv4 set address name=\"Local Area Connection\" source=static address=10.0.0.2 mask=255.0.0.0\r\n"
                     "netsh interface ipv4 set dnsservers name=\"Local Area Connection\" source=static address=10.0.0.53 register=primary validate=no\r\n"
                     "netsh interface ipv4 set dnsservers name=\"Local Area Connection\" source=static address=10.0.0.53 register=primary\r\n"));
  CHECK (LOG_HAS ("40-network.cmd: failed, exit code 1, try 1"));
}

/* A MAC that never appears: the step waits FB_WAIT rounds, then fails. */
TEST (mac_never_seen)
{
  CLEANUP_JSON json_object *nics = json_tokener_parse (
    "[{\"mac\": \"02:00:00:00:00:99\", \"addresses\": [\"10.0.0.2\"], \"netmasks\": [\"255.0.0.0\"]}]");
  CLEANUP_FREE char *c = NULL;
  int pings = 0;

  fresh (0);
  step_text ("40-network.cmd", fb_step_network (nics));
  boot ();
  c = calls ();
  for (const char *s = c; (s = strstr (s, "ping -n 6 127.0.0.1\r\n")) != NULL; ++s)
    ++pings;
  CHECK_INT (pings, 59);
  CHECK (strstr (c, "netsh") == NULL);
  CHECK (LOG_HAS ("network: FAILED: no adapter with MAC 02-00-00-00-00-99 appeared"));
  CHECK (lines_in ("tries/40-network.cmd") == 1);
}

int
main (void)
{
  const char *probe[] = { "sh", "-c", "command -v \"$1\" >/dev/null", "sh", NULL, NULL };
  const char *stop[] = { "sh", "-c",
    "for s in \"${1%/*}/wineserver64\" \"${1%/*}/wineserver\" wineserver; do "
    "command -v \"$s\" >/dev/null && exec \"$s\" -k; done; true", "sh", NULL, NULL };
  const char *const rm[] = { "rm", "-rf", tmp, NULL };

  h2k_set_progname ("test-firstboot-wine");
  wine = getenv ("H2K_WINE") ? getenv ("H2K_WINE")
    : access ("/usr/lib/wine/wine64", X_OK) == 0 ? "/usr/lib/wine/wine64" : "wine64";
  probe[4] = stop[4] = wine;
  if (run (probe) != 0) {
    printf ("ok 1 - wine # SKIP %s not found\n1..1\n", wine);
    return 0;
  }
  if (setup () == -1) {
    printf ("not ok 1 - setting up a Wine prefix in %s\n1..1\n", tmp);
    return 1;
  }
  RUN (reboot_and_go_on);
  RUN (retry_then_give_up);
  RUN (fail_once_then_succeed);
  RUN (last_step_reboots_poweroff);
  RUN (unregister_fails);
  RUN (runaway_guard);
  RUN (real_steps);
  RUN (step_failures);
  RUN (mac_never_seen);
  run (stop);
  if (getenv ("H2K_WINE_KEEP"))
    printf ("# kept %s\n", tmp);
  else
    run (rm);
  free (shims);
  free (fb);
  free (calls_path);
  return test_done ();
}
