/* h2k-flatten: resolve each disk's backing chain (VMDK snapshots, qcow2
 * backing files, VHD and VHDX differencing disks), verify it, and
 * collapse it into one standalone qcow2 in the workdir.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "h2k.h"
#include "flatten.h"

static int dry_run;

struct disk_plan {
  json_object *disk;            /* borrowed from the manifest */
  const char *id;
  struct chain chain;
  char *dest;                   /* <workdir>/<id>-flat.qcow2 */
  int done;                     /* current is already our flat image */
  int made;                     /* dest was written by this run */
};

static void __attribute__((noreturn))
usage (FILE *fp, int status)
{
  fprintf (fp,
           "Usage: %s [OPTIONS] < MANIFEST > MANIFEST\n"
           "\n"
           "Resolve and verify the backing chain of every disk (VMDK snapshot\n"
           "deltas, qcow2 backing files, VHD and VHDX differencing disks) and\n"
           "collapse each chain into one qcow2, <workdir>/<disk id>-flat.qcow2.\n"
           "VHD and VHDX differencing disks are merged by h2k itself.  Source\n"
           "images are only read.\n"
           "\n"
           "Options:\n"
           "  -n, --dry-run            record the chains and the plan, print the\n"
           "                           plan on stderr, collapse nothing\n"
           H2K_COMMON_HELP
           H2K_USAGE_END ("h2k-flatten"), h2k_progname);
  exit (status);
}

static const char *
get_workdir (json_object *m)
{
  const char *w = h2k_json_get_string (m, "workdir");
  struct stat st;

  if (w == NULL) {
    h2k_error ("<stdin>: /workdir: missing (h2k-flatten writes collapsed "
               "images there; h2k-fetch --workdir sets it)");
    return NULL;
  }
  if (stat (w, &st) == -1) {
    h2k_error ("<stdin>: /workdir: %s: %m", w);
    return NULL;
  }
  if (!S_ISDIR (st.st_mode)) {
    h2k_error ("<stdin>: /workdir: %s: not a directory", w);
    return NULL;
  }
  return w;
}

/* A disk id becomes part of a file name. */
static int
check_id (const char *id, size_t i)
{
  if (id[0] == '\0' || id[0] == '.' || strchr (id, '/')) {
    h2k_error ("<stdin>: /disks/%zu/id: \"%s\" cannot be used in a file name",
               i, id);
    return -1;
  }
  return 0;
}

/* Phase 1: resolve and verify, change nothing. */
static int
plan_disk (json_object *disk, size_t i, const char *workdir, struct disk_plan *dp)
{
  json_object *cur = h2k_json_get_object (disk, "current");
  const char *path = h2k_json_get_string (cur, "path");
  const char *format = h2k_json_get_string (cur, "format");
  CLEANUP_FREE char *name = NULL;

  dp->disk = disk;
  dp->id = h2k_json_get_string (disk, "id");
  if (check_id (dp->id, i) == -1)
    return -1;
  if (asprintf (&name, "%s-flat.qcow2", dp->id) == -1) {
    name = NULL;
    h2k_error ("%s: %m", dp->id);
    return -1;
  }
  dp->dest = h2k_path_join (workdir, name);
  if (dp->dest == NULL ||
      chain_resolve (path, format, &dp->chain) == -1)
    return -1;
  dp->done = dp->chain.n == 1 && strcmp (path, dp->dest) == 0;
  if (h2k_verbose || dry_run)
    chain_print (dp->id, &dp->chain);
  return 0;
}

/* Phase 2: write the collapsed images. */
static int
collapse_disk (struct disk_plan *dp)
{
  if (dp->chain.n < 2 || dp->done) {
    h2k_info ("%s: %s", dp->id, dp->done ? "already flattened: nothing to do"
                                         : "no backing file: nothing to do");
    return 0;
  }
  if (dry_run) {
    h2k_info ("%s: would collapse %zu images into %s", dp->id, dp->chain.n,
              dp->dest);
    return 0;
  }
  if (collapse (&dp->chain, dp->dest, isatty (STDERR_FILENO)) == -1)
    return -1;
  dp->made = 1;
  return 0;
}

static json_object *
flatten_record (const struct disk_plan *dp)
{
  json_object *f = json_object_new_object ();
  CLEANUP_FREE char *reason = NULL;
  int collapse_it = dp->chain.n > 1;

  if (collapse_it &&
      asprintf (&reason, "backing chain of %zu images, base %s", dp->chain.n,
                dp->chain.nodes[dp->chain.n - 1].path) == -1)
    reason = NULL;
  if (f == NULL || (collapse_it && reason == NULL) ||
      h2k_json_set_string (f, "action", collapse_it ? "collapse" : "none") == -1 ||
      h2k_json_set_string (f, "reason", collapse_it ? reason : "no backing file") == -1 ||
      (collapse_it && h2k_json_set_string (f, "path", dp->dest) == -1)) {
    json_object_put (f);
    h2k_error ("%s: flatten record: %m", dp->id);
    return NULL;
  }
  return f;
}

/* Phase 3: the manifest, once everything has worked. */
static int
record_disk (const struct disk_plan *dp)
{
  json_object *cur;

  if (dp->done) {
    /* A second run: keep what the first one recorded. */
    if (h2k_json_get (dp->disk, "flatten") == NULL)
      return h2k_json_set (dp->disk, "flatten", flatten_record (dp));
    return 0;
  }
  if (h2k_json_set (dp->disk, "chain", chain_to_json (&dp->chain)) == -1 ||
      h2k_json_set (dp->disk, "flatten", flatten_record (dp)) == -1)
    return -1;
  if (!dp->made)
    return 0;
  cur = h2k_json_get_object (dp->disk, "current");
  if (h2k_json_set_string (cur, "path", dp->dest) == -1 ||
      h2k_json_set_string (cur, "format", "qcow2") == -1)
    return -1;
  return 0;
}

static int
flatten_all (json_object *m, struct disk_plan *plans, size_t n)
{
  json_object *disks = h2k_json_get_array (m, "disks");
  const char *workdir = get_workdir (m);

  if (workdir == NULL)
    return -1;
  for (size_t i = 0; i < n; ++i)
    if (plan_disk (json_object_array_get_idx (disks, i), i, workdir, &plans[i]) == -1)
      return -1;
  for (size_t i = 0; i < n; ++i)
    if (collapse_disk (&plans[i]) == -1)
      return -1;
  for (size_t i = 0; i < n; ++i)
    if (record_disk (&plans[i]) == -1)
      return -1;
  return 0;
}

static int
run (json_object *m)
{
  json_object *disks = h2k_json_get_array (m, "disks");
  size_t n = disks ? json_object_array_length (disks) : 0;
  struct disk_plan *plans = calloc (n ? n : 1, sizeof *plans);
  int r;

  if (plans == NULL) {
    h2k_error ("%m");
    return -1;
  }
  r = flatten_all (m, plans, n);
  for (size_t i = 0; i < n; ++i) {
    /* On failure, remove what this run made: nothing half done stays. */
    if (r == -1 && plans[i].made && unlink (plans[i].dest) == -1)
      h2k_warning ("%s: %m", plans[i].dest);
    chain_free (&plans[i].chain);
    free (plans[i].dest);
  }
  free (plans);
  return r;
}

int
main (int argc, char **argv)
{
  static const struct option long_opts[] = {
    H2K_COMMON_LONG,
    { "dry-run", no_argument, NULL, 'n' },
    { NULL, 0, NULL, 0 }
  };
  static struct h2k_tool tool;
  json_object *m;
  int c, r;

  h2k_tool_init (&tool, argv[0]);
  if (h2k_tool_config (&tool, "flatten", long_opts, &argc, &argv) == -1)
    return H2K_EXIT_USAGE;
  while ((c = getopt_long (argc, argv, H2K_COMMON_SHORT "n", long_opts, NULL)) != -1) {
    if (h2k_tool_option (&tool, c, optarg, usage))
      continue;
    switch (c) {
    case 'n':
      dry_run = 1;
      break;
    default:
      usage (stderr, H2K_EXIT_USAGE);
    }
  }
  if (h2k_tool_no_args (argc, argv, optind) == -1)
    return H2K_EXIT_USAGE;
  tool.stage.dry_run = dry_run;
  m = h2k_manifest_read (stdin, "<stdin>");
  r = m ? run (m) : -1;
  return h2k_tool_finish (&tool, m, r);
}
