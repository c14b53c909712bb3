/* h2k-fetch: the OVF package around a parsed descriptor.
 *
 * fetch_ovf checks the package (the referenced files and their sizes, the
 * .mf), decompresses gzip'd disks into the workdir and fills the manifest;
 * fetch_ova (ova.c) shares the last steps.  The descriptor itself is read
 * by the pure parser in ovf.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "error.h"
#include "fetch.h"
#include "manifest.h"
#include "mf.h"
#include "ovf.h"
#include "publish.h"
#include "util.h"

/* One path per disk (NULL: not fetched). */
struct paths {
  char **v;
  size_t n;
};

static int
paths_alloc (struct paths *p, size_t n)
{
  p->v = calloc (n + 1, sizeof (char *));
  p->n = n;
  if (p->v == NULL) {
    h2k_error ("%m");
    return -1;
  }
  return 0;
}

static void
paths_free (struct paths *p)
{
  for (size_t i = 0; p->v && i < p->n; ++i)
    free (p->v[i]);
  free (p->v);
}
H2K_DEFINE_CLEANUP_STRUCT (struct paths, paths_free)

static int
rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st; (void) flag; (void) ftw;
  if (remove (path) == -1 && errno != ENOENT)
    h2k_warning ("cannot remove %s: %m", path);
  return 0;
}

void
ovf_remove_tree (const char *path)
{
  if (path)
    nftw (path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
note_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st; (void) flag; (void) ftw;
  return fetch_note_created (path);
}

int
ovf_note_tree (const char *path)
{
  /* Parents before children: fetch_undo removes in reverse order. */
  if (nftw (path, note_entry, 16, FTW_PHYS) != 0) {
    h2k_error ("%s: cannot list what was created", path);
    return -1;
  }
  return 0;
}

int
ovf_gunzip (const char *src, const char *dest, uint64_t max)
{
  CLEANUP_ARCHIVE struct archive *a = archive_read_new ();
  struct h2k_publish p CLEANUP_PUBLISH = H2K_PUBLISH_INIT;
  struct archive_entry *e;
  uint64_t total = 0;
  char buf[1 << 16];
  ssize_t n;

  if (a == NULL || archive_read_support_filter_gzip (a) != ARCHIVE_OK ||
      archive_read_support_format_raw (a) != ARCHIVE_OK) {
    h2k_error ("%s: cannot set up gzip decompression", src);
    return -1;
  }
  if (archive_read_open_filename (a, src, 1 << 16) != ARCHIVE_OK ||
      archive_read_next_header (a, &e) != ARCHIVE_OK) {
    h2k_error ("%s: %s", src, archive_error_string (a));
    return -1;
  }
  if (archive_filter_code (a, 0) != ARCHIVE_FILTER_GZIP) {
    h2k_error ("%s: File/@ovf:compression says gzip, but the file is not "
               "gzip-compressed", src);
    return -1;
  }
  if (h2k_publish_begin (dest, &p) == -1)
    return -1;
  while ((n = archive_read_data (a, buf, sizeof buf)) > 0) {
    total += n;
    if (max && total > max) {
      h2k_error ("%s: decompresses to more than %" PRIu64 " bytes (the "
                 "extraction limit)", src, max);
      return -1;
    }
    if (h2k_write_all (p.fd, buf, n) == -1) {
      h2k_error ("%s: write: %m", p.tmp);
      return -1;
    }
  }
  if (n < 0) {
    h2k_error ("%s: gzip: %s", src, archive_error_string (a));
    return -1;
  }
  return h2k_publish_commit (&p);
}

/* "DIR/BASE.EXT" for the descriptor OVF ("x.ovf" gives "x.mf"). */
static char *
sibling (const char *ovf, const char *ext)
{
  size_t n = strlen (ovf);
  char *r;

  if (n > 4 && h2k_ends_with_ci (ovf, ".ovf"))
    n -= 4;
  if (asprintf (&r, "%.*s%s", (int) n, ovf, ext) == -1) {
    h2k_error ("%s: %m", ovf);
    return NULL;
  }
  return r;
}

static const char *
base_name (const char *path)
{
  const char *s = strrchr (path, '/');
  return s ? s + 1 : path;
}

/* Every disk file of VM exists beside OVF_PATH (in DIR). */
static int
check_disk_files (const struct ovf_vm *vm, const char *ovf_path,
                  const char *dir, const char *label)
{
  for (size_t i = 0; i < vm->ndisks; ++i) {
    CLEANUP_FREE char *p = NULL;
    const struct ovf_disk *d = &vm->disks[i];
    struct stat st;

    if (d->href == NULL)
      continue;
    if ((p = h2k_path_join (dir, d->href)) == NULL)
      return -1;
    if (stat (p, &st) == -1 || !S_ISREG (st.st_mode)) {
      h2k_error ("%s: %s: disk file missing (File ovf:id '%s' of %s)",
                 label, d->href, d->file_id, base_name (ovf_path));
      return -1;
    }
  }
  return 0;
}

int
ovf_check_size (const struct ovf_vm *vm, const char *href, int64_t size,
                const char *label)
{
  int64_t declared = -1;

  for (size_t i = 0; vm->files && vm->files[i]; ++i)
    if (strcmp (vm->files[i], href) == 0)
      declared = vm->file_sizes[i];
  if (declared < 0 || size == declared)
    return 0;
  if (size < declared) {
    h2k_error ("%s: %s: References/File ovf:size is %" PRId64 " bytes, but "
               "the file has %" PRId64 " (truncated?)", label, href,
               declared, size);
    return -1;
  }
  h2k_warning ("%s: %s: References/File ovf:size is %" PRId64 " bytes, but "
               "the file has %" PRId64, label, href, declared, size);
  return 0;
}

/* Each referenced file present in DIR has its declared size. */
static int
check_file_sizes (const struct ovf_vm *vm, const char *dir, const char *label)
{
  for (size_t i = 0; vm->files && vm->files[i]; ++i) {
    CLEANUP_FREE char *p = h2k_path_join (dir, vm->files[i]);
    struct stat st;

    if (p == NULL)
      return -1;
    if (vm->file_sizes[i] < 0 || stat (p, &st) == -1 || !S_ISREG (st.st_mode))
      continue;
    if (ovf_check_size (vm, vm->files[i], st.st_size, label) == -1)
      return -1;
  }
  return 0;
}

/* Warn about the package's files that MF does not list: MEMBERS (an
 * OVA's), else the descriptor and the files it references.
 */
static void
warn_unlisted (const struct mf *mf, const char *mflabel,
               const struct ovf_vm *vm, const char *ovf_path,
               const char *const *members, const char *mfname,
               const char *certname)
{
  const char *ovfname = base_name (ovf_path);

  if (members == NULL) {
    if (mf_find (mf, ovfname) == NULL)
      h2k_warning ("%s: %s is not listed (not verified)", mflabel, ovfname);
    for (size_t i = 0; vm->files && vm->files[i]; ++i)
      if (mf_find (mf, vm->files[i]) == NULL)
        h2k_warning ("%s: %s is not listed (not verified)", mflabel,
                     vm->files[i]);
    return;
  }
  for (size_t i = 0; members[i]; ++i)
    if (mf_find (mf, members[i]) == NULL &&
        strcmp (members[i], mfname) != 0 && strcmp (members[i], certname) != 0)
      h2k_warning ("%s: %s is not listed (not verified)", mflabel, members[i]);
}

int
ovf_check_package (const struct ovf_vm *vm, const char *ovf_path,
                   const char *label, const char *const *members,
                   const char **verified)
{
  CLEANUP_FREE char *dir = h2k_dirname (ovf_path);
  CLEANUP_FREE char *mfpath = sibling (ovf_path, ".mf");
  CLEANUP_FREE char *certpath = sibling (ovf_path, ".cert");
  CLEANUP_FREE char *mflabel = NULL;
  H2K_CLEANUP (mf_free) struct mf *mf = NULL;

  *verified = NULL;
  if (dir == NULL || mfpath == NULL || certpath == NULL ||
      check_disk_files (vm, ovf_path, dir, label) == -1 ||
      check_file_sizes (vm, dir, label) == -1)
    return -1;
  if (access (certpath, F_OK) == 0)
    h2k_warning ("%s: %s: the signature is not verified", label,
                 base_name (certpath));
  if (access (mfpath, F_OK) == -1) {
    h2k_warning ("%s: no %s: file digests not verified", label,
                 base_name (mfpath));
    return 0;
  }
  if (asprintf (&mflabel, "%s: %s", label, base_name (mfpath)) == -1) {
    mflabel = NULL;
    h2k_error ("%s: %m", label);
    return -1;
  }
  mf = mf_parse_file (mfpath, mflabel);
  if (mf == NULL || mf_verify (mf, dir, mflabel, verified) == -1)
    return -1;
  warn_unlisted (mf, mflabel, vm, ovf_path, members, base_name (mfpath),
                 base_name (certpath));
  h2k_info ("%s: every listed file verified (%s)", mflabel,
            *verified ? *verified : "none listed");
  return 0;
}

int
ovf_check_name (const struct ovf_vm *vm, const char *label,
                const struct fetch_opts *o)
{
  for (const char *p = o->name || !vm->name ? "" : vm->name; *p; ++p)
    if ((unsigned char) *p < ' ' || *p == 127) {
      h2k_error ("%s: the VM's Name contains control characters (use "
                 "--name)", label);
      return -1;
    }
  return 0;
}

static int
set_nics (const struct ovf_vm *vm, json_object *jvm)
{
  json_object *nics = json_object_new_array ();

  if (h2k_json_set (jvm, "nics", nics) == -1)
    return -1;
  for (size_t i = 0; i < vm->nnics; ++i) {
    const struct ovf_nic *n = &vm->nics[i];
    json_object *j = json_object_new_object ();
    char id[32];

    snprintf (id, sizeof id, "ethernet%zu", i);
    if (h2k_json_array_add (nics, j) == -1)
      return -1;
    if (h2k_json_set_string (j, "id", id) == -1 ||
        /* null: the hypervisor generates one (as for a VMX). */
        (n->mac ? h2k_json_set_string (j, "mac", n->mac)
         : h2k_json_set_null (j, "mac")) == -1 ||
        (n->model && h2k_json_set_string (j, "model", n->model) == -1) ||
        (n->network && h2k_json_set_string (j, "network", n->network) == -1) ||
        h2k_json_set_bool (j, "connected", n->connected) == -1)
      return -1;
  }
  return 0;
}

static int
set_vm (const struct ovf_vm *vm, const struct ovf_fetch *f,
        const struct fetch_opts *o, json_object *m)
{
  json_object *jvm = h2k_json_ensure_object (m, "vm");
  json_object *src = json_object_new_object ();
  CLEANUP_FREE char *fallback = NULL;
  const char *name = o->name ? o->name : vm->name;

  if (name == NULL) {
    /* The file name without its extension. */
    const char *b = base_name (f->source_path);
    const char *dot = strrchr (b, '.');
    fallback = strndup (b, dot && dot != b ? (size_t) (dot - b) : strlen (b));
    name = fallback;
  }
  if (src == NULL || name == NULL) {
    json_object_put (src);
    h2k_error ("%s: vm: out of memory", f->source_path);
    return -1;
  }
  /* Each setter reports its own failure (out of memory), once. */
  if (jvm == NULL ||
      h2k_json_set_string (jvm, "name", name) == -1 ||
      h2k_json_set (jvm, "source", src) == -1 ||
      h2k_json_set_string (src, "kind", f->kind) == -1 ||
      h2k_json_set_string (src, "path", f->source_path) == -1 ||
      (f->extracted_dir &&
       h2k_json_set_string (src, "extracted_dir", f->extracted_dir) == -1) ||
      (f->manifest_verified &&
       h2k_json_set_string (src, "manifest_verified", f->manifest_verified) == -1) ||
      /* VMware and VirtualBox default to BIOS when the OVF says nothing. */
      h2k_json_set_string (jvm, "firmware", vm->firmware ? vm->firmware : "bios") == -1 ||
      (vm->secure_boot >= 0 && h2k_json_set_bool (jvm, "secure_boot", vm->secure_boot) == -1) ||
      (vm->cpus > 0 && h2k_json_set_int (jvm, "cpus", vm->cpus) == -1) ||
      (vm->cores_per_socket > 0 &&
       h2k_json_set_int (jvm, "cores_per_socket", vm->cores_per_socket) == -1) ||
      (vm->memory_mb > 0 && h2k_json_set_int (jvm, "memory_mb", vm->memory_mb) == -1) ||
      (vm->hardware_version &&
       h2k_json_set_string (jvm, "hardware_version", vm->hardware_version) == -1) ||
      (vm->guest_os_hint &&
       h2k_json_set_string (jvm, "guest_os_hint", vm->guest_os_hint) == -1) ||
      set_nics (vm, jvm) == -1)
    return -1;
  return 0;
}

static void
check_capacity (const struct ovf_disk *d, json_object *m)
{
  json_object *disks = h2k_json_get_array (m, "disks");
  size_t n = disks ? json_object_array_length (disks) : 0;
  json_object *src = n ? h2k_json_get_object (json_object_array_get_idx (disks, n - 1), "source") : NULL;
  int64_t size = src ? h2k_json_get_int (src, "virtual_size", -1) : -1;

  if (d->capacity && size >= 0 && (uint64_t) size != d->capacity)
    h2k_warning ("%s: the OVF says ovf:capacity %" PRIu64 " bytes, the "
                 "image has %" PRId64, d->href, d->capacity, size);
}

int
ovf_fill_manifest (const struct ovf_vm *vm, const struct ovf_fetch *f,
                   char *const *disk_paths, const struct fetch_opts *o,
                   json_object *m)
{
  if (set_vm (vm, f, o, m) == -1)
    return -1;
  for (size_t i = 0; i < vm->ndisks; ++i) {
    const struct ovf_disk *d = &vm->disks[i];
    struct fetch_disk_attach at = {
      .bus = d->bus, .controller = d->controller, .address = d->address,
    };
    const char *format = d->format && strstr (d->format, "vmdk") ? "vmdk" : NULL;

    if (d->href == NULL) {
      h2k_warning ("%s: disk %s%s%s: a new, empty disk (no file): not "
                   "fetched", f->source_path, d->disk_id ? d->disk_id : "",
                   d->address ? " at " : "", d->address ? d->address : "");
      continue;
    }
    if (disk_paths[i] == NULL)
      continue;
    /* Extracted from an OVA or decompressed: already our copy in the
     * workdir, so --copy does not copy it again.
     */
    struct fetch_opts own = *o;
    if (o->copy && (f->extracted_dir || d->compression)) {
      h2k_debug ("%s: already in the workdir: not copied again", disk_paths[i]);
      own.copy = 0;
    }
    if (fetch_add_disk (m, disk_paths[i], format, &at, &own) == -1)
      return -1;
    check_capacity (d, m);
  }
  return 0;
}

/* The gzip'd disks of an OVF directory are decompressed into
 * WORKDIR/BASE.d/, which is ours: made here and removed on failure.
 */
static int
decompress_disks (const struct ovf_vm *vm, const char *dir, const char *outdir,
                  const struct fetch_opts *o, char **paths)
{
  for (size_t i = 0; i < vm->ndisks; ++i) {
    const struct ovf_disk *d = &vm->disks[i];
    CLEANUP_FREE char *src = NULL;
    CLEANUP_FREE char *parent = NULL;
    size_t n;

    if (d->href == NULL)
      continue;
    if ((src = h2k_path_join (dir, d->href)) == NULL)
      return -1;
    if (d->compression == NULL) {
      paths[i] = src;
      src = NULL;
      continue;
    }
    if (o->dry_run) {
      h2k_warning ("%s: gzip-compressed: not decompressed in a dry run, so "
                   "not probed", src);
      continue;
    }
    n = strlen (d->href);
    if (h2k_ends_with_ci (d->href, ".gz"))
      n -= 3;
    if (asprintf (&paths[i], "%s/%.*s", outdir, (int) n, d->href) == -1) {
      paths[i] = NULL;
      h2k_error ("%s: %m", d->href);
      return -1;
    }
    if (access (paths[i], F_OK) == 0) {
      h2k_error ("%s: %s: another disk was decompressed to the same name",
                 src, paths[i]);
      return -1;
    }
    h2k_info ("%s: decompressing into %s", src, outdir);
    if ((parent = h2k_dirname (paths[i])) == NULL || h2k_mkdir_p (parent) == -1 ||
        ovf_gunzip (src, paths[i], o->max_extract) == -1)
      return -1;
  }
  return 0;
}

static int
need_decompression (const struct ovf_vm *vm)
{
  for (size_t i = 0; i < vm->ndisks; ++i)
    if (vm->disks[i].href && vm->disks[i].compression)
      return 1;
  return 0;
}

int
fetch_ovf (const char *path, const struct fetch_opts *o, json_object *m)
{
  CLEANUP_FREE char *abs = h2k_absolute_path (path);
  CLEANUP_FREE char *dir = abs ? h2k_dirname (abs) : NULL;
  CLEANUP_FREE char *outdir = NULL;
  H2K_CLEANUP (ovf_free) struct ovf_vm *vm = NULL;
  H2K_CLEANUP (paths_free) struct paths paths = { 0 };
  struct ovf_fetch f = { .kind = "ovf" };
  int made_outdir = 0;

  if (abs == NULL || dir == NULL || (vm = ovf_parse_file (abs)) == NULL ||
      ovf_check_name (vm, abs, o) == -1 ||
      ovf_check_package (vm, abs, abs, NULL, &f.manifest_verified) == -1 ||
      paths_alloc (&paths, vm->ndisks) == -1)
    return -1;
  f.source_path = abs;
  if (need_decompression (vm) && !o->dry_run) {
    if (asprintf (&outdir, "%s/%s.d", o->workdir, base_name (abs)) == -1) {
      outdir = NULL;
      h2k_error ("%s: %m", abs);
      return -1;
    }
    if (mkdir (outdir, 0755) == -1) {
      h2k_error ("%s: %m%s", outdir, errno == EEXIST ?
                 " (left by an earlier run? remove it)" : "");
      return -1;
    }
    made_outdir = 1;
  }
  if (decompress_disks (vm, dir, outdir, o, paths.v) == -1) {
    if (made_outdir)
      ovf_remove_tree (outdir);
    return -1;
  }
  /* From here on main's fetch_undo removes them on failure. */
  if (made_outdir && ovf_note_tree (outdir) == -1) {
    ovf_remove_tree (outdir);
    return -1;
  }
  return ovf_fill_manifest (vm, &f, paths.v, o, m);
}
