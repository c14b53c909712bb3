/* h2k: common/winreg.c (the read-only hivex helpers) on the corpus' real
 * hives.
 *
 * The hives come from the corpus (corpus.h); without it the test is
 * skipped.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "h2k.h"
#include "corpus.h"

#define SYSTEM_XZ "registry-hives/regipy/SYSTEM.xz"
#define CORRUPTED_XZ "registry-hives/regipy/corrupted_system_hive.xz"
#define MINIMAL "registry-hives/hivex-images/minimal"

/* A corrupted hive is refused by hivex, and the message names the file
 * (or NAME), saying "for writing" when it was opened for writing.
 */
TEST (open_corrupted)
{
  CLEANUP_FREE char *path = corpus_file (CORRUPTED_XZ);
  CLEANUP_HIVEX hive_h *h = h2k_winreg_open (path, NULL, 0);
  CLEANUP_HIVEX hive_h *h2 = NULL;
  const char *e = h2k_first_error ();

  CHECK (h == NULL);
  CHECK (e && strstr (e, path) && strstr (e, "cannot open the registry hive"));
  h2k_clear_error ();
  h2 = h2k_winreg_open (path, "/Windows/System32/config/SYSTEM", 0);
  e = h2k_first_error ();
  CHECK (h2 == NULL);
  CHECK_STR (e, "/Windows/System32/config/SYSTEM: cannot open the registry hive: "
             "Operation not supported");
  h2k_clear_error ();
}

TEST (open_missing_for_writing)
{
  CLEANUP_FREE char *path = h2k_path_join (corpus_tmp, "no-such-hive");
  CLEANUP_HIVEX hive_h *h = h2k_winreg_open (path, "SYSTEM", HIVEX_OPEN_WRITE);

  CHECK (h == NULL);
  CHECK_STR (h2k_first_error (), "SYSTEM: cannot open the registry hive for "
             "writing: No such file or directory");
  h2k_clear_error ();
  h2k_winreg_close (NULL);      /* NULL is fine */
}

static hive_h *sys;             /* SYSTEM_XZ, opened by main */

#define ENVIRONMENT "ControlSet001\\Control\\Session Manager\\Environment"
#define INTERFACE "ControlSet001\\services\\Tcpip\\Parameters\\Interfaces\\" \
  "{698E50A9-4F58-4D86-B61D-F42E58DCACF6}"

/* The key PATH under the root of SYS, or 0. */
static hive_node_h
key (const char *path)
{
  return sys ? h2k_winreg_key (sys, hivex_root (sys), path) : 0;
}

/* Keys: backslash paths, any case; a missing FROM gives 0. */
TEST (keys)
{
  hive_node_h env = key (ENVIRONMENT);
  char longpath[600];

  CHECK (env != 0);
  CHECK (key ("controlset001\\CONTROL\\session manager\\environment") == env);
  CHECK (key ("ControlSet001\\NoSuchKey\\Environment") == 0);
  CHECK (h2k_winreg_key (sys, 0, "Select") == 0);
  CHECK (h2k_winreg_key (sys, env, "") == env);
  memset (longpath, 'a', sizeof longpath - 1);
  longpath[sizeof longpath - 1] = '\0';
  CHECK (key (longpath) == 0);
}

/* Strings: REG_SZ, REG_EXPAND_SZ; lists: REG_MULTI_SZ, REG_SZ split at
 * commas and blanks; DWORDs; values of another type are "missing".
 */
TEST (values)
{
  hive_node_h env = key (ENVIRONMENT), sel = key ("Select");
  CLEANUP_FREE char *arch = h2k_winreg_get_string (sys, env, "PROCESSOR_ARCHITECTURE");
  CLEANUP_FREE char *comspec = h2k_winreg_get_string (sys, env, "ComSpec");
  CLEANUP_FREE char *none = h2k_winreg_get_string (sys, env, "NoSuchValue");
  CLEANUP_FREE char *dword = h2k_winreg_get_string (sys, sel, "Current");
  CLEANUP_FREE_STRV char **words =
    h2k_winreg_get_strings (sys, env, "PROCESSOR_IDENTIFIER");
  CLEANUP_FREE_STRV char **nolist = h2k_winreg_get_strings (sys, sel, "Current");
  int64_t v = -1;
  size_t n = 0;

  CHECK (env != 0 && sel != 0);
  CHECK_STR (arch, "x86");
  CHECK_STR (comspec, "%SystemRoot%\\system32\\cmd.exe");   /* REG_EXPAND_SZ */
  CHECK (none == NULL);
  CHECK (dword == NULL);
  CHECK (nolist == NULL);
  /* "x86 Family 16 Model 8 Stepping 0, AuthenticAMD" */
  while (words && words[n])
    ++n;
  CHECK_INT (n, 8);
  CHECK_STR (words ? words[0] : NULL, "x86");
  CHECK_STR (n == 8 ? words[6] : NULL, "0");
  CHECK_STR (n == 8 ? words[7] : NULL, "AuthenticAMD");
  CHECK (h2k_winreg_get_dword (sys, sel, "Current", &v) == 1 && v == 1);
  CHECK (h2k_winreg_get_dword (sys, sel, "LastKnownGood", &v) == 1 && v == 2);
  CHECK (h2k_winreg_get_dword (sys, env, "OS", &v) == 0);      /* a string */
  CHECK (h2k_winreg_get_dword (sys, 0, "Current", &v) == 0);
  CHECK (h2k_winreg_get_string (sys, 0, "OS") == NULL);
}

/* The same on a Tcpip interface: REG_MULTI_SZ addresses, a REG_SZ
 * NameServer, an empty Domain.
 */
TEST (interface_values)
{
  hive_node_h k = key (INTERFACE);
  CLEANUP_FREE_STRV char **ip = h2k_winreg_get_strings (sys, k, "IPAddress");
  CLEANUP_FREE_STRV char **ns = h2k_winreg_get_strings (sys, k, "NameServer");
  CLEANUP_FREE char *dom = h2k_winreg_get_string (sys, k, "Domain");
  int64_t v = -1;

  CHECK (k != 0);
  CHECK (ip && ip[0] && !ip[1]);
  CHECK_STR (ip ? ip[0] : NULL, "10.3.58.5");
  CHECK_STR (ns ? ns[0] : NULL, "10.3.58.4");
  CHECK_STR (dom, "");
  CHECK (h2k_winreg_get_dword (sys, k, "EnableDHCP", &v) == 1 && v == 0);
  CHECK (h2k_winreg_get_dword (sys, k, "IPAddress", &v) == 0);   /* not a DWORD */
  CHECK (h2k_winreg_get_string (sys, k, "EnableDHCP") == NULL);  /* not a string */
}

TEST (subkeys)
{
  CLEANUP_FREE char *minimal = corpus_file (MINIMAL);
  CLEANUP_HIVEX hive_h *m = h2k_winreg_open (minimal, NULL, 0);
  CLEANUP_FREE_STRV char **keys = sys ? h2k_winreg_subkeys (sys, hivex_root (sys)) : NULL;
  CLEANUP_FREE_STRV char **none = m ? h2k_winreg_subkeys (m, hivex_root (m)) : NULL;
  size_t n = 0;
  int select = 0;

  for (; keys && keys[n]; ++n)
    select |= strcmp (keys[n], "Select") == 0;
  CHECK_INT (n, 8);
  CHECK (select);
  CHECK (none != NULL && none[0] == NULL);
}

int
main (void)
{
  CLEANUP_FREE char *system = NULL;
  int r;

  if (!corpus_open ("h2k-test-winreg"))
    return 0;
  system = corpus_file (SYSTEM_XZ);
  if ((sys = h2k_winreg_open (system, NULL, 0)) == NULL) {
    printf ("# %s\n", h2k_first_error ());
    corpus_close ();
    return 1;
  }
  RUN (open_corrupted);
  RUN (open_missing_for_writing);
  RUN (keys);
  RUN (values);
  RUN (interface_values);
  RUN (subkeys);
  r = test_done ();
  h2k_winreg_close (sys);
  return corpus_close () == -1 ? 1 : r;
}
