/* h2k-convert: convert every disk, verify it, publish all or nothing.
 *
 * First check every source (qemu-img check: a truncated image otherwise
 * converts "fine", its missing clusters read as zeroes).  Then for each
 * disk: convert its current image into a temporary file in the output
 * directory, then check the output and compare it with the source while
 * a second thread fsyncs and hashes it (the two overlap on two cores).  Only when every
 * disk got that far are the temporary files renamed to their final names;
 * if a rename fails, the outputs already renamed are removed again.  Any
 * failure leaves no file behind.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "confine.h"
#include "digest.h"
#include "error.h"
#include "manifest.h"
#include "publish.h"
#include "qemu-img.h"
#include "run.h"
#include "size.h"
#include "tool.h"
#include "util.h"

#include "convert.h"


struct job {
  json_object *disk;            /* borrowed from the manifest */
  size_t idx;
  const char *id;
  const char *src;              /* current.path */
  const char *src_fmt;          /* current.format (ours) */
  char *dest;                   /* final output path */
  struct h2k_publish pub;
  int committed;
  struct check_result check;
  int identical;                /* 1, or -1 when not compared */
  int64_t virtual_size;
  int64_t allocated_size;
  char sha256[65];
};

struct plan {
  char *outdir;
  struct job *jobs;
  size_t n;
};

static void
plan_free (struct plan *p)
{
  for (size_t i = 0; i < p->n; ++i) {
    h2k_publish_abort (&p->jobs[i].pub);
    free (p->jobs[i].dest);
  }
  free (p->jobs);
  free (p->outdir);
}

static int
check_interrupted (void)
{
  if (!h2k_interrupted)
    return 0;
  h2k_error ("interrupted");
  return -1;
}

/* --output-dir made absolute, or <workdir>/out. */
static char *
output_dir (json_object *m, const struct convert_opts *o)
{
  const char *workdir = h2k_json_get_string (m, "workdir");

  if (o->output_dir)
    return h2k_absolute_path (o->output_dir);
  if (workdir == NULL) {
    h2k_error ("<stdin>: /workdir: not set, so there is no default output "
               "directory: give --output-dir");
    return NULL;
  }
  return h2k_path_join (workdir, "out");
}

/* An existing output directory must be a directory. */
static int
check_outdir (const char *dir, int create)
{
  struct stat st;

  if (create && h2k_mkdir_p (dir) == -1)
    return -1;
  if (stat (dir, &st) == -1) {
    if (errno == ENOENT && !create)
      return 0;
    h2k_error ("%s: output directory: %m", dir);
    return -1;
  }
  if (!S_ISDIR (st.st_mode)) {
    h2k_error ("%s: output directory: not a directory", dir);
    return -1;
  }
  return 0;
}

static int
same_file (const char *a, const struct stat *b)
{
  struct stat st;

  return a && stat (a, &st) == 0 && st.st_dev == b->st_dev &&
         st.st_ino == b->st_ino;
}

/* With --force an existing output is replaced: never when it is an image
 * some disk of this manifest reads.
 */
static int
check_dest (json_object *m, const struct job *j, int force)
{
  json_object *disks = h2k_json_get_array (m, "disks");
  struct stat st;

  if (lstat (j->dest, &st) == -1) {
    if (errno == ENOENT)
      return 0;
    h2k_error ("%s: %m", j->dest);
    return -1;
  }
  if (!force) {
    h2k_error ("%s: output exists (use --force to overwrite it)", j->dest);
    return -1;
  }
  if (!S_ISREG (st.st_mode)) {
    h2k_error ("%s: output exists and is not a regular file", j->dest);
    return -1;
  }
  for (size_t i = 0; i < json_object_array_length (disks); ++i) {
    json_object *d = json_object_array_get_idx (disks, i);
    const char *cur = h2k_json_get_string (h2k_json_get_object (d, "current"), "path");
    const char *src = h2k_json_get_string (h2k_json_get_object (d, "source"), "path");
    const char *ov = h2k_json_get_string (h2k_json_get_object (d, "overlay"), "path");

    if (same_file (cur, &st) || same_file (src, &st) || (ov && same_file (ov, &st))) {
      h2k_error ("%s: output is an input image of disk %s; not "
                 "overwriting it, even with --force", j->dest,
                 h2k_json_get_string (d, "id"));
      return -1;
    }
  }
  return 0;
}

static int
plan_disk (json_object *m, size_t i, const char *outdir,
           const struct convert_opts *o, struct job *j)
{
  json_object *disk = json_object_array_get_idx (h2k_json_get_array (m, "disks"), i);
  /* The overlay, when h2k-inspect made one, holds the fixers' changes. */
  json_object *ov = h2k_json_get_object (disk, "overlay");
  json_object *cur = ov ? ov : h2k_json_get_object (disk, "current");
  const char *key = ov ? "overlay" : "current";
  CLEANUP_FREE char *name = NULL;
  int fd;

  j->disk = disk;
  j->idx = i;
  j->id = h2k_json_get_string (disk, "id");
  j->src = h2k_json_get_string (cur, "path");
  j->src_fmt = h2k_json_get_string (cur, "format");
  j->identical = -1;
  /* The schema made sure these exist; an open proves we can read it. */
  fd = open (j->src, O_RDONLY | O_CLOEXEC);
  if (fd == -1) {
    h2k_error ("<stdin>: /disks/%zu/%s/path: %s: %m", i, key, j->src);
    return -1;
  }
  close (fd);
  /* qemu follows the image's extents, backing and data files itself. */
  if (h2k_confine_disk (disk, i, key) == -1)
    return -1;
  name = convert_output_name (h2k_json_get_string (h2k_json_get_object (m, "vm"), "name"),
                              j->id, o->format);
  if (name == NULL || (j->dest = h2k_path_join (outdir, name)) == NULL)
    return -1;
  return check_dest (m, j, o->force);
}

static int
make_plan (json_object *m, const struct convert_opts *o, struct plan *p)
{
  json_object *disks = h2k_json_get_array (m, "disks");
  size_t n = json_object_array_length (disks);

  if (n == 0) {
    h2k_error ("<stdin>: /disks: no disks to convert");
    return -1;
  }
  p->outdir = output_dir (m, o);
  if (p->outdir == NULL || check_outdir (p->outdir, 0) == -1)
    return -1;
  p->jobs = calloc (n, sizeof *p->jobs);
  if (p->jobs == NULL) {
    h2k_error ("calloc: %m");
    return -1;
  }
  for (size_t i = 0; i < n; ++i) {
    p->jobs[i].pub = (struct h2k_publish) H2K_PUBLISH_INIT;
    p->n++;
    if (plan_disk (m, i, p->outdir, o, &p->jobs[i]) == -1)
      return -1;
    for (size_t k = 0; k < i; ++k) {
      if (strcmp (p->jobs[k].dest, p->jobs[i].dest) == 0) {
        h2k_error ("<stdin>: /disks/%zu/id: \"%s\" gives the same output "
                   "name as disk \"%s\": %s", i, p->jobs[i].id,
                   p->jobs[k].id, p->jobs[i].dest);
        return -1;
      }
    }
  }
  return 0;
}

static int
print_dry_run (const struct job *j, const struct convert_opts *o)
{
  struct convert_argv a;
  CLEANUP_FREE char *cmd = NULL;

  if (convert_build_argv (o, j->src_fmt, j->src, j->dest, 0, &a) == -1)
    return -1;
  cmd = h2k_argv_to_string (a.argv);
  convert_argv_free (&a);
  h2k_info ("dry run: disk %s: would convert %s (%s) to %s (%s%s%s), then "
            "check%s and publish it", j->id, j->src, j->src_fmt, j->dest,
            o->format, o->compress ? ", compressed with " : "",
            o->compress ? o->compress : "", o->compare ? ", compare" : "");
  h2k_info ("dry run: %s", cmd ? cmd : "qemu-img convert ...");
  return 0;
}

static int
check_source (const struct job *j)
{
  struct check_result r;

  if (check_image (j->src, j->src_fmt, &r) == -1)
    return -1;
  if (r.status == CHECK_CORRUPT) {
    h2k_error ("%s: the source image is corrupt (qemu-img check found %lld "
               "corruptions): not converting it", j->src,
               (long long) r.corruptions);
    return -1;
  }
  if (r.status == CHECK_LEAKS)
    h2k_debug ("%s: source has %lld leaked clusters (harmless)", j->src,
               (long long) r.leaks);
  return 0;
}

static int
run_convert (const struct job *j, const struct convert_opts *o)
{
  CLEANUP_RUN_RESULT struct h2k_run_result res = { 0 };
  CLEANUP_FREE char *line = NULL, *label = NULL;
  struct convert_argv a;
  struct progress prog;
  int r = -1;

  if (asprintf (&label, "%s: converting", j->id) == -1) {
    label = NULL;
    h2k_error ("asprintf: %m");
    return -1;
  }
  progress_init (&prog, label, o->progress);
  if (convert_build_argv (o, j->src_fmt, j->src, j->pub.tmp,
                          o->progress || h2k_verbose, &a) == -1)
    return -1;
  r = h2k_run_lines (a.argv, H2K_RUN_ERR, progress_line, &prog, &res);
  progress_end (&prog);
  if (r == -1)
    goto out;
  r = -1;
  if (h2k_verbose && res.err_len > 0)
    fwrite (res.err, 1, res.err_len, stderr);
  if (res.status != 0) {
    line = h2k_run_err_line (&res);
    h2k_error ("%s: qemu-img convert to %s failed (exit %d)%s%s", j->src,
               j->dest, res.status, line ? ": " : "", line ? line : "");
    goto out;
  }
  r = 0;
 out:
  convert_argv_free (&a);
  return r;
}

static int
verify_output (struct job *j, const struct convert_opts *o)
{
  CLEANUP_FREE char *label = NULL, *detail = NULL;
  struct progress prog;
  int same;

  if (check_image (j->pub.tmp, o->format, &j->check) == -1)
    return -1;
  if (j->check.status == CHECK_CORRUPT) {
    h2k_error ("%s: the converted image is corrupt (qemu-img check found "
               "%lld corruptions)", j->dest, (long long) j->check.corruptions);
    return -1;
  }
  if (j->check.status == CHECK_LEAKS)
    h2k_warning ("%s: qemu-img check found %lld leaked clusters", j->dest,
                 (long long) j->check.leaks);
  if (check_interrupted () == -1)
    return -1;
  if (!o->compare)
    return 0;
  if (asprintf (&label, "%s: comparing", j->id) == -1) {
    label = NULL;
    h2k_error ("asprintf: %m");
    return -1;
  }
  progress_init (&prog, label, o->progress);
  same = compare_images (j->src, j->src_fmt, j->pub.tmp, o->format, &prog,
                         &detail);
  if (same == -1)
    return -1;
  if (same == 0) {
    h2k_error ("%s: the converted image differs from its source %s "
               "(qemu-img compare: %s)", j->dest, j->src,
               detail ? detail : "different");
    return -1;
  }
  j->identical = 1;
  return 0;
}

/* The virtual size, from qemu-img info. */
static int
measure_output (struct job *j, const char *format)
{
  CLEANUP_JSON json_object *info = h2k_qemu_img_info (j->pub.tmp, format, 0);

  if (info == NULL)
    return -1;
  j->virtual_size = h2k_json_get_int (info, "virtual-size", -1);
  if (j->virtual_size < 0) {
    h2k_error ("%s: qemu-img info: no virtual-size", j->dest);
    return -1;
  }
  return 0;
}

/* In a thread, while qemu-img checks and compares the output: fsync it
 * (so that publishing is only renames), then its allocation and sha256.
 * It writes only j->allocated_size and j->sha256, which the main thread
 * reads after pthread_join.
 */
static void *
hash_output (void *arg)
{
  struct job *j = arg;
  CLEANUP_CLOSE int fd = open (j->pub.tmp, O_RDONLY | O_CLOEXEC);
  struct stat st;

  /* fsync first: the file system may allocate (extent tree blocks count
   * in st_blocks) only when it writes the data back.
   */
  if (fd == -1 || fsync (fd) == -1 || fstat (fd, &st) == -1) {
    h2k_error ("%s: %m", j->pub.tmp);
    return (void *) -1;
  }
  j->allocated_size = (int64_t) st.st_blocks * 512;
  if (h2k_digest_fd (fd, j->pub.tmp, "sha256", j->sha256) == -1)
    return (void *) -1;
  return NULL;
}

static int
convert_disk (struct job *j, const struct convert_opts *o)
{
  double t0 = h2k_monotonic ();
  pthread_t th;
  void *hashed;
  int r, e;

  if (h2k_publish_begin (j->dest, &j->pub) == -1)
    return -1;
  /* qemu-img creates the image over the (empty) temporary file. */
  close (j->pub.fd);
  j->pub.fd = -1;
  if (run_convert (j, o) == -1 || check_interrupted () == -1)
    return -1;
  h2k_debug ("%s: converted in %.2fs", j->id, h2k_monotonic () - t0);
  e = pthread_create (&th, NULL, hash_output, j);
  if (e != 0) {
    errno = e;
    h2k_error ("pthread_create: %m");
    return -1;
  }
  r = verify_output (j, o);
  if (r == 0)
    r = measure_output (j, o->format);
  h2k_debug ("%s: verified at %.2fs", j->id, h2k_monotonic () - t0);
  e = pthread_join (th, &hashed);
  if (e != 0) {
    errno = e;
    h2k_error ("pthread_join: %m");
    return -1;
  }
  h2k_debug ("%s: synced and hashed at %.2fs", j->id, h2k_monotonic () - t0);
  if (r == -1 || hashed != NULL || check_interrupted () == -1)
    return -1;
  return 0;
}

/* Remove the outputs already renamed into place. */
static void
unpublish (struct plan *p)
{
  for (size_t i = 0; i < p->n; ++i) {
    if (p->jobs[i].committed && unlink (p->jobs[i].dest) == -1)
      h2k_warning ("%s: could not remove it again: %m", p->jobs[i].dest);
    p->jobs[i].committed = 0;
  }
}

/* Rename every temporary file into place; on failure undo the renames
 * already done.
 */
static int
publish_all (json_object *m, struct plan *p, const struct convert_opts *o)
{
  for (size_t i = 0; i < p->n; ++i) {
    struct job *j = &p->jobs[i];

    /* The output may have appeared while we were converting. */
    if (check_dest (m, j, o->force) == -1 || h2k_publish_commit (&j->pub) == -1) {
      unpublish (p);
      return -1;
    }
    j->committed = 1;
  }
  return 0;
}

static int
record_output (const struct job *j, const struct convert_opts *o)
{
  json_object *out = json_object_new_object ();
  json_object *check = json_object_new_object ();

  if (out == NULL || check == NULL) {
    json_object_put (out);
    json_object_put (check);
    h2k_error ("json: %m");
    return -1;
  }
  if (h2k_json_set (j->disk, "output", out) == -1) {
    json_object_put (check);
    return -1;
  }
  if (h2k_json_set (out, "path", json_object_new_string (j->dest)) == -1 ||
      h2k_json_set_string (out, "format", o->format) == -1 ||
      h2k_json_set_string (out, "compression", o->compress ? o->compress : "none") == -1 ||
      h2k_json_set_string (out, "preallocation", o->preallocation) == -1 ||
      h2k_json_set_int (out, "virtual_size", j->virtual_size) == -1 ||
      h2k_json_set_int (out, "allocated_size", j->allocated_size) == -1 ||
      h2k_json_set_string (out, "sha256", j->sha256) == -1 ||
      h2k_json_set (out, "check", check) == -1 ||
      h2k_json_set_string (check, "status", check_status_name (j->check.status)) == -1 ||
      h2k_json_set_int (check, "corruptions", j->check.corruptions) == -1 ||
      h2k_json_set_int (check, "leaks", j->check.leaks) == -1 ||
      (j->identical >= 0 && h2k_json_set_bool (out, "identical_to_source", j->identical) == -1))
    return -1;
  return 0;
}

static void
report_done (const struct job *j)
{
  char a[H2K_HUMAN_SIZE_LEN], v[H2K_HUMAN_SIZE_LEN];

  h2k_info ("%s: %s (%s allocated, %s virtual, check %s%s)", j->id, j->dest,
            h2k_human_size (a, j->allocated_size),
            h2k_human_size (v, j->virtual_size),
            check_status_name (j->check.status),
            j->identical == 1 ? ", identical to the source" : "");
}

/* The published paths, for convert_unpublish. */
static char **
published_list (const struct plan *p)
{
  char **v = calloc (p->n + 1, sizeof *v);

  for (size_t i = 0; v && i < p->n; ++i) {
    v[i] = strdup (p->jobs[i].dest);
    if (v[i] == NULL) {
      h2k_free_strv (v);
      v = NULL;
    }
  }
  if (v == NULL)
    h2k_error ("strdup: %m");
  return v;
}

void
convert_unpublish (char **published)
{
  for (size_t i = 0; published && published[i]; ++i) {
    if (unlink (published[i]) == -1)
      h2k_warning ("%s: could not remove it: %m", published[i]);
    else
      h2k_info ("%s: removed: the manifest could not be written", published[i]);
  }
}

int
convert_all (json_object *m, const struct convert_opts *o, char ***published)
{
  struct plan p = { 0 };
  int r = -1;

  *published = NULL;

  if (make_plan (m, o, &p) == -1)
    goto out;
  /* Every source first: a bad disk 2 fails before disk 1 is converted. */
  for (size_t i = 0; i < p.n; ++i)
    if (check_source (&p.jobs[i]) == -1 || check_interrupted () == -1)
      goto out;
  if (o->dry_run) {
    for (size_t i = 0; i < p.n; ++i)
      if (print_dry_run (&p.jobs[i], o) == -1)
        goto out;
    r = 0;
    goto out;
  }
  if (check_outdir (p.outdir, 1) == -1)
    goto out;
  for (size_t i = 0; i < p.n; ++i)
    if (convert_disk (&p.jobs[i], o) == -1)
      goto out;
  if (publish_all (m, &p, o) == -1)
    goto out;
  for (size_t i = 0; i < p.n; ++i) {
    if (record_output (&p.jobs[i], o) == -1) {
      unpublish (&p);
      goto out;
    }
  }
  *published = published_list (&p);
  if (*published == NULL) {
    unpublish (&p);
    goto out;
  }
  for (size_t i = 0; i < p.n; ++i)
    report_done (&p.jobs[i]);
  r = 0;
 out:
  plan_free (&p);
  return r;
}
