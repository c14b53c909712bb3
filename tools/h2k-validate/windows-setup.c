/* h2k-validate: how the beacon runs in a Windows guest.
 *
 * Windows prints no login prompt on the serial console, so the beacon is
 * the only signal.  It runs before the logon screen, as LocalSystem,
 * through HKLM\SYSTEM\Setup: Winlogon runs CmdLine when SetupType is 2.
 * When h2k-fix-windows registered its first-boot runner there, the beacon
 * is the runner's last step; else validate registers its own one-shot
 * script.  Pure: hivex and text, no appliance.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h2k.h"
#include "validate.h"
#include "windows.h"

json_object *
win_setup_state (hive_h *h)
{
  hive_node_h setup = h2k_winreg_key (h, hivex_root (h), "Setup");
  CLEANUP_FREE char *cmd = h2k_winreg_get_string (h, setup, "CmdLine");
  json_object *o = json_object_new_object ();
  int64_t type = 0;
  int have_type = h2k_winreg_get_dword (h, setup, "SetupType", &type);
  int runner = 0;

  if (cmd && have_type && type == 2) {
    /* Any case, any drive: ...\h2k\firstboot\firstboot.cmd */
    for (const char *p = cmd; *p && !runner; ++p)
      runner = strncasecmp (p, WIN_FB_RUNNER, strlen (WIN_FB_RUNNER)) == 0;
  }
  if (o == NULL ||
      (cmd && h2k_json_set_string (o, "cmdline", cmd) == -1) ||
      (have_type && h2k_json_set_int (o, "setup_type", type) == -1) ||
      h2k_json_set_bool (o, "runner", runner) == -1) {
    json_object_put (o);
    h2k_error ("%m");
    return NULL;
  }
  return o;
}

/* S as a REG_SZ: UTF-16LE with its terminating NUL.  ASCII only. */
static char *
utf16le (const char *s, size_t *len)
{
  size_t n = strlen (s) + 1;
  char *out = malloc (2 * n);

  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = s[i];
    out[2 * i + 1] = 0;
  }
  *len = 2 * n;
  return out;
}

int
win_setup_register (hive_h *h, const char *cmdline)
{
  hive_node_h setup = h2k_winreg_key (h, hivex_root (h), "Setup");
  char dword[4] = { 2, 0, 0, 0 };
  size_t len;
  CLEANUP_FREE char *wide = NULL;
  hive_set_value v[2];

  for (const char *p = cmdline; *p; ++p)
    if ((unsigned char) *p > 0x7e) {
      h2k_error ("HKLM\\SYSTEM\\Setup\\CmdLine: %s: not ASCII", cmdline);
      return -1;
    }
  if (setup == 0)
    setup = hivex_node_add_child (h, hivex_root (h), "Setup");
  if (setup == 0 || (wide = utf16le (cmdline, &len)) == NULL) {
    h2k_error ("HKLM\\SYSTEM\\Setup: %m");
    return -1;
  }
  v[0] = (hive_set_value) { .key = (char *) "CmdLine", .t = hive_t_REG_SZ,
                            .len = len, .value = wide };
  v[1] = (hive_set_value) { .key = (char *) "SetupType", .t = hive_t_REG_DWORD,
                            .len = 4, .value = dword };
  for (size_t i = 0; i < 2; ++i)
    if (hivex_node_set_value (h, setup, &v[i], 0) == -1) {
      h2k_error ("HKLM\\SYSTEM\\Setup\\%s: %m", v[i].key);
      return -1;
    }
  return 0;
}

/* The script, with \n line ends (turned into CRLF below).  %1$s token,
 * %2$d wait, %3$s the one-shot lines, %4$s output file.
 */
static const char script_fmt[] =
  "@echo off\n"
  "rem h2k-validate boot beacon: exists only in a throwaway overlay of the\n"
  "rem validation boot, never in the converted image.\n"
  "setlocal\n"
  "set T=%1$s\n"
  "set W=%2$d\n"
  "set O=%4$s\n"
  "%3$s"
  "mode COM1: BAUD=115200 PARITY=N DATA=8 STOP=1 >nul 2>&1\n"
  "set /a I=0\n"
  ":wait\n"
  "if %%I%% GEQ %%W%% goto report\n"
  "ipconfig | findstr /r /c:\"IPv4 Address[. ]*: [0-9]\" | findstr /v /c:\": 169.254.\" >nul 2>&1 && goto report\n"
  "ping -n 2 127.0.0.1 >nul 2>&1\n"
  "set /a I+=1\n"
  "goto wait\n"
  ":report\n"
  "> \"%%O%%\" echo " BEACON_TAG " %%T%% BEGIN waited=%%I%% format=ipconfig\n"
  "for /f \"delims=\" %%%%L in ('ipconfig /all') do >> \"%%O%%\" echo " BEACON_TAG " %%T%% ^| %%%%L\n"
  ">> \"%%O%%\" echo " BEACON_TAG " %%T%% END\n"
  "type \"%%O%%\" > COM1\n"
  "exit /b 0\n";

static const char one_shot_lines[] =
  "reg add \"HKLM\\SYSTEM\\Setup\" /v CmdLine /t REG_SZ /d \"\" /f >nul 2>&1\n"
  "reg add \"HKLM\\SYSTEM\\Setup\" /v SetupType /t REG_DWORD /d 0 /f >nul 2>&1\n";

/* TEXT with every \n made \r\n.  Caller frees; NULL on ENOMEM. */
static char *
crlf (const char *text)
{
  size_t n = 0;
  char *out, *q;

  for (const char *p = text; *p; ++p)
    n += *p == '\n' ? 2 : 1;
  if ((out = q = malloc (n + 1)) == NULL)
    return NULL;
  for (const char *p = text; *p; ++p) {
    if (*p == '\n')
      *q++ = '\r';
    *q++ = *p;
  }
  *q = '\0';
  return out;
}

char *
win_beacon_script (const char *token, int wait_s, int one_shot, const char *dir)
{
  CLEANUP_FREE char *text = NULL, *out = NULL;
  char *s;

  if (asprintf (&out, "%s\\beacon.txt", dir) == -1)
    out = NULL;
  if (out == NULL ||
      asprintf (&text, script_fmt, token, wait_s < 0 ? 0 : wait_s,
                one_shot ? one_shot_lines : "", out) == -1) {
    text = NULL;
    h2k_error ("%m");
    return NULL;
  }
  if ((s = crlf (text)) == NULL)
    h2k_error ("%m");
  return s;
}
