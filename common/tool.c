/* h2k: what every tool's main() shares.  The option handling here exits
 * (-h, -V, a bad option or --allow-disk-dir): the one exception to
 * "only main() exits" (error.h).
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "confine.h"
#include "error.h"
#include "manifest.h"
#include "tool.h"
#include "version.h"

volatile sig_atomic_t h2k_interrupted;

static void
on_signal (int sig)
{
  (void) sig;
  h2k_interrupted = 1;
}

void
h2k_catch_signals (void)
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
}

void
h2k_tool_init (struct h2k_tool *t, const char *argv0)
{
  h2k_set_progname (argv0);
  t->name = h2k_progname;
  t->failed_manifest = NULL;
  t->config_ok = 0;
  signal (SIGPIPE, SIG_IGN);
  h2k_stage_begin (&t->stage, t->name);
}

int
h2k_tool_option (struct h2k_tool *t, int c, const char *arg,
                 void (*usage) (FILE *fp, int status))
{
  switch (c) {
  case 'v':
    h2k_verbose++;
    return 1;
  case 'h':
    usage (stdout, H2K_EXIT_OK);
    exit (H2K_EXIT_OK);           /* in case USAGE returned */
  case 'V':
    exit (h2k_print_version (stdout) == 0 ? H2K_EXIT_OK : H2K_EXIT_FAILURE);
  case H2K_OPT_FAILED_MANIFEST:
    t->failed_manifest = arg;
    return 1;
  case H2K_OPT_CONFIG:
    if (!t->config_ok) {
      h2k_error ("--config: %s does not read configuration files yet",
                 t->name);
      exit (H2K_EXIT_USAGE);
    }
    return 1;                   /* applied by h2k_tool_config */
  case H2K_OPT_ALLOW_DISK_DIR:
    if (h2k_confine_allow_dir (arg) == -1)
      exit (H2K_EXIT_USAGE);
    return 1;
  case H2K_OPT_ALLOW_DEVICES:
    h2k_confine_allow_devices (1);
    return 1;
  case '?':
    usage (stderr, H2K_EXIT_USAGE);
    exit (H2K_EXIT_USAGE);
  default:
    return 0;
  }
}

int
h2k_tool_no_args (int argc, char **argv, int optind_)
{
  if (optind_ < argc) {
    h2k_error ("unexpected argument '%s' (the manifest is read from "
               "standard input)", argv[optind_]);
    return -1;
  }
  return 0;
}

int
h2k_tool_finish (struct h2k_tool *t, json_object *m, int r)
{
  if (r == 0 && m) {
    if (h2k_stage_end (m, &t->stage, NULL) == 0 &&
        h2k_manifest_write_fd (m, STDOUT_FILENO, "<stdout>") == 0 &&
        close (STDOUT_FILENO) == 0) {
      json_object_put (m);
      h2k_clear_error ();
      return H2K_EXIT_OK;
    }
    /* Writing failed: stdout may hold part of the manifest; a reader
     * must see the non-zero status.
     */
    {
      json_object *stages = h2k_json_get_array (m, "stages");
      size_t n = stages ? json_object_array_length (stages) : 0;
      if (n > 0)
        json_object_array_del_idx (stages, n - 1, 1);
    }
  }
  if (m && t->failed_manifest) {
    const char *msg = h2k_first_error ();
    if (h2k_stage_end (m, &t->stage, msg ? msg : "failed") == 0 &&
        h2k_manifest_write_file (m, t->failed_manifest) == 0)
      h2k_info ("failed stage recorded in %s", t->failed_manifest);
  }
  json_object_put (m);
  h2k_clear_error ();
  return H2K_EXIT_FAILURE;
}
