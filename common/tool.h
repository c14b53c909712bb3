/* h2k: what every tool's main() shares.
 *
 *   static struct h2k_tool tool;
 *   h2k_tool_init (&tool, argv[0]);
 *   if (h2k_tool_config (&tool, "convert", long_opts, &argc, &argv) == -1)
 *     return H2K_EXIT_USAGE;
 *   while ((c = getopt_long (argc, argv, H2K_COMMON_SHORT "n", long_opts, NULL)) != -1) {
 *     if (h2k_tool_option (&tool, c, optarg, usage)) continue;
 *     switch (c) { ... tool's own options ... }
 *   }
 *   m = h2k_manifest_read (stdin, "<stdin>");
 *   r = m ? do_the_work (m) : -1;
 *   return h2k_tool_finish (&tool, m, r);
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#ifndef H2K_TOOL_H
#define H2K_TOOL_H

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>

#include <json-c/json.h>

#include "manifest.h"
#include "version.h"

enum {
  H2K_EXIT_OK = 0,
  H2K_EXIT_FAILURE = 1,
  H2K_EXIT_USAGE = 2,
};

/* Long-only options are numbered from here; tools start theirs at
 * H2K_OPT_TOOL.
 */
enum {
  H2K_OPT_FAILED_MANIFEST = CHAR_MAX + 1,
  H2K_OPT_CONFIG,
  H2K_OPT_ALLOW_DISK_DIR,
  H2K_OPT_ALLOW_DEVICES,
  H2K_OPT_TOOL,
};

#define H2K_COMMON_SHORT "hVv"
#define H2K_COMMON_LONG                                                   \
  { "help", no_argument, NULL, 'h' },                                     \
  { "version", no_argument, NULL, 'V' },                                  \
  { "verbose", no_argument, NULL, 'v' },                                  \
  { "failed-manifest", required_argument, NULL, H2K_OPT_FAILED_MANIFEST }, \
  { "config", required_argument, NULL, H2K_OPT_CONFIG },                 \
  { "allow-disk-dir", required_argument, NULL, H2K_OPT_ALLOW_DISK_DIR },  \
  { "allow-devices", no_argument, NULL, H2K_OPT_ALLOW_DEVICES }

/* The end of every tool's usage(): its exit status, and where to read
 * more.  A tool's usage (FILE *fp, int status) prints "Usage: TOOL ...",
 * a line or two on what it does, "Options:", its own options, then
 * H2K_COMMON_HELP, then H2K_USAGE_END ("TOOL"), and exits with STATUS.
 */
#define H2K_EXIT_STATUS_HELP \
  "Exit status: 0 success, 1 failure, 2 usage error.\n"
#define H2K_USAGE_END(tool) \
  "\n" H2K_EXIT_STATUS_HELP "See " tool "(1) and h2k-manifest(5).\n"

/* The common options' help text, for usage(). */
#define H2K_COMMON_HELP                                                   \
  "  -v, --verbose            debug messages (repeat for more); passed on\n" \
  "                           to the libraries and commands we run\n"     \
  "      --failed-manifest=FILE\n"                                        \
  "                           on failure, write the manifest with the\n"  \
  "                           failed stage record to FILE (stdout stays\n" \
  "                           empty)\n"                                   \
  "      --config=FILE        options from a YAML file, repeatable (later\n" \
  "                           files override earlier ones, the command\n" \
  "                           line overrides them all); see h2k-config(5)\n" \
  "      --allow-disk-dir=DIR files that image metadata names (extents,\n" \
  "                           parents, backing and data files) may also\n" \
  "                           be under DIR, not only beside the image\n"  \
  "                           naming them; repeatable; never /\n"        \
  "      --allow-devices      ... and may be block or character devices\n" \
  "  -h, --help               this help\n"                                \
  "  -V, --version            version of the tool and of each library\n"

struct h2k_tool {
  const char *name;
  const char *failed_manifest;
  struct h2k_stage stage;
  int config_ok;                /* h2k_tool_config was called */
};

/* Set the program name, ignore SIGPIPE (so that writing to a closed pipe
 * is an error we report, not a silent death), start the stage clock.
 */
void h2k_tool_init (struct h2k_tool *t, const char *argv0);

/* Apply the configuration files named by --config FILE in *ARGV (see
 * h2k-config(5)): load, check and merge them (every file fully, against
 * the whole schema), then replace *ARGC and *ARGV with [argv0, the options
 * from the "common" section and from SECTION (the tool's name without
 * "h2k-"), the original arguments].  So getopt sees the configuration
 * first and the command line last; an option given on the command line
 * drops the configured value of its key (lists included).  SECTION's
 * positional key (h2k-fetch's "source") is appended when the command line
 * has no positional argument.  LONG_OPTS are the tool's options; each key
 * of the tool's sections must be one of them.  Call it right after
 * h2k_tool_init.  Returns 0, or -1 reported as one line (main exits with
 * H2K_EXIT_USAGE).  The new vector lives until exit.
 */
int h2k_tool_config (struct h2k_tool *t, const char *section,
                     const struct option *long_opts, int *argc, char ***argv);

/* Handle option C if it is a common one: -v, --failed-manifest, --config
 * (already applied by h2k_tool_config), --allow-disk-dir and
 * --allow-devices (the confinement policy, confine.h; a bad directory is
 * reported and exits with H2K_EXIT_USAGE); -h calls USAGE (stdout,
 * H2K_EXIT_OK), '?' (getopt's bad option) calls USAGE (stderr,
 * H2K_EXIT_USAGE), -V prints the versions (version.h) and exits.  Returns
 * 1 if C was handled, 0 if it is the tool's own.
 *
 * This function exits: it is the one place outside main() that does
 * (error.h).  USAGE prints the help to FP and exits with STATUS; should it
 * return, h2k_tool_option exits with STATUS itself.
 */
int h2k_tool_option (struct h2k_tool *t, int c, const char *arg,
                     void (*usage) (FILE *fp, int status));

/* Finish a run: R is 0 for success (the stage record is appended and M
 * written to stdout) or -1 for failure (an error has been reported;
 * nothing goes to stdout; with --failed-manifest, M with a failed stage
 * record is published there).  Returns the exit status for main.
 */
int h2k_tool_finish (struct h2k_tool *t, json_object *m, int r);

/* Set by SIGINT, SIGTERM and SIGHUP once h2k_catch_signals was called:
 * long-running tools check it between steps and stop cleanly (removing
 * their temporary files and child processes) instead of dying.
 */
extern volatile sig_atomic_t h2k_interrupted;
void h2k_catch_signals (void);

/* For a tool that refuses positional arguments. */
int h2k_tool_no_args (int argc, char **argv, int optind_);

#endif
