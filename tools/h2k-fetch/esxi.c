/* h2k-fetch: a VM on an ESXi (or any SSH) host: the VMX, its disks and
 * every file of their VMDK families.
 *
 * The VMX is downloaded first and parsed with vmx.c.  Each disk's
 * fileName is resolved as ESXi does (relative to the VMX's directory,
 * "/vmfs/volumes/DS/..." as written, "[DS] dir/file" under
 * /vmfs/volumes/DS) and must lie inside the VMX's directory: ESXi keeps
 * a VM's disks beside its VMX, and a disk elsewhere (another directory
 * or datastore) is refused rather than fetched from outside the VM.
 * Each VMDK is then walked: its descriptor (a text file, or embedded in
 * a sparse extent) names its extents, beside it, and its snapshot parent
 * (parentFileNameHint: relative to the child, or, when absolute, the
 * same name beside the child, as h2k-flatten resolves it locally).
 *
 * Files land in DLDIR with their paths relative to the VMX's directory,
 * so the local fetch_vmx and h2k-flatten read them as if local.  When a
 * fileName is not already that relative path, a second VMX,
 * NAME.h2k-local.vmx, is the downloaded one plus lines giving each disk's
 * relative name (the last value of a key wins), and main reads that one.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "publish.h"
#include "util.h"
#include "vmdk.h"
#include "vmx.h"
#include "remote.h"
#include "ssh.h"

#define VMFS_VOLUMES "/vmfs/volumes/"
#define SSH_MAX_DESCRIPTOR (64u << 10)  /* a text descriptor, at most */

char *
esxi_normalize (const char *path)
{
  size_t len = strlen (path);
  char *out = malloc (len + 2);
  size_t n = 0;
  const char *p = path;

  if (out == NULL)
    return NULL;
  if (path[0] != '/') {
    free (out);
    errno = EINVAL;
    return NULL;
  }
  while (*p) {
    const char *seg;
    size_t sl;

    while (*p == '/')
      p++;
    seg = p;
    while (*p && *p != '/')
      p++;
    sl = p - seg;
    if (sl == 0 || (sl == 1 && seg[0] == '.'))
      continue;
    if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
      if (n == 0) {
        free (out);
        errno = EINVAL;
        return NULL;
      }
      while (out[n - 1] != '/')   /* the last segment, then its '/' */
        n--;
      n--;
      continue;
    }
    out[n++] = '/';
    memcpy (out + n, seg, sl);
    n += sl;
    out[n] = '\0';
  }
  if (n == 0)
    out[n++] = '/';
  out[n] = '\0';
  return out;
}

/* "[ds] dir/file" -> "/vmfs/volumes/ds/dir/file"; NULL with *WHY. */
static char *
datastore_path (const char *ref, const char **why)
{
  const char *end = strchr (ref, ']');
  const char *rest;
  char *s;

  if (end == NULL || end == ref + 1) {
    *why = "a datastore reference must be \"[datastore] dir/file\"";
    return NULL;
  }
  if (memchr (ref + 1, '/', end - ref - 1)) {
    *why = "a datastore name cannot hold '/'";
    return NULL;
  }
  rest = end + 1;
  while (*rest == ' ')
    rest++;
  if (asprintf (&s, VMFS_VOLUMES "%.*s/%s", (int) (end - ref - 1), ref + 1,
                rest) == -1) {
    *why = "out of memory";
    return NULL;
  }
  return s;
}

char *
esxi_map_path (const char *dir, const char *ref, const char **why)
{
  CLEANUP_FREE char *joined = NULL;
  char *n;

  *why = NULL;
  if (ref[0] == '\0') {
    *why = "empty file name";
    return NULL;
  }
  if (ref[0] == '[')
    joined = datastore_path (ref, why);
  else if (ref[0] == '/')
    joined = strdup (ref);
  else if (asprintf (&joined, "%s/%s", dir, ref) == -1)
    joined = NULL;
  if (joined == NULL) {
    if (*why == NULL)
      *why = "out of memory";
    return NULL;
  }
  errno = 0;
  n = esxi_normalize (joined);
  if (n == NULL)
    *why = errno == EINVAL ? "\"..\" goes above \"/\"" : "out of memory";
  return n;
}

const char *
esxi_relative (const char *base, const char *path)
{
  size_t bl = strlen (base);

  if (strcmp (base, "/") == 0)
    return path[0] == '/' && path[1] ? path + 1 : NULL;
  if (strncmp (path, base, bl) != 0 || path[bl] != '/' || path[bl + 1] == '\0')
    return NULL;
  return path + bl + 1;
}

const char *
esxi_hint_base (const char *hint)
{
  const char *b = hint + strlen (hint);

  while (b > hint && b[-1] != '/' && b[-1] != '\\')
    b--;
  return b;
}

int
esxi_hint_is_absolute (const char *hint)
{
  return hint[0] == '/' || hint[0] == '\\' ||
    (((hint[0] >= 'A' && hint[0] <= 'Z') || (hint[0] >= 'a' && hint[0] <= 'z'))
     && hint[1] == ':');
}

/* ---------------------------------------------------------------- */
/* The walk. */

struct walk {
  struct ssh_conn *c;
  const char *url;              /* the source's display form */
  char *base;                   /* the VMX's directory on the host */
  char *cbase;                  /* its canonical form, or NULL */
  const char *dldir;
  char *fetched[SSH_MAX_FILES]; /* remote paths already downloaded */
  size_t nfetched;
};

static void
walk_free (struct walk *w)
{
  free (w->base);
  free (w->cbase);
  for (size_t i = 0; i < w->nfetched; ++i)
    free (w->fetched[i]);
}

/* PATH's place below the VM's directory, trying the host's canonical
 * form of both when the path as written is outside (ESXi shows
 * datastores both by name and by UUID).  Caller frees; NULL if outside
 * (not reported) or on ENOMEM.
 */
static char *
inside (struct walk *w, const char *path)
{
  const char *rel = esxi_relative (w->base, path);
  CLEANUP_FREE char *dir = NULL, *cdir = NULL;
  char *r = NULL;

  if (rel)
    return strdup (rel);
  if (w->cbase == NULL || (dir = h2k_dirname (path)) == NULL ||
      (cdir = ssh_conn_canonical (w->c, dir)) == NULL)
    return NULL;
  if (strcmp (cdir, w->cbase) == 0)
    r = strdup (esxi_hint_base (path));
  else if ((rel = esxi_relative (w->cbase, cdir)) != NULL &&
           asprintf (&r, "%s/%s", rel, esxi_hint_base (path)) == -1)
    r = NULL;
  return r;
}

static int
already (struct walk *w, const char *path)
{
  for (size_t i = 0; i < w->nfetched; ++i)
    if (strcmp (w->fetched[i], path) == 0)
      return 1;
  return 0;
}

/* Download PATH (inside the VM's directory, at REL below it).  READ:
 * the walk reads it (a plan downloads it; the others are stat'ed).
 */
static int
fetch_file (struct walk *w, const char *path, const char *rel,
            const char *sha256, int read)
{
  CLEANUP_FREE char *dest = NULL;

  if (w->nfetched >= SSH_MAX_FILES) {
    h2k_error ("%s: more than %d files in the source", w->url, SSH_MAX_FILES);
    return -1;
  }
  if ((w->fetched[w->nfetched] = strdup (path)) == NULL ||
      asprintf (&dest, "%s/%s", w->dldir, rel) == -1) {
    h2k_error ("%s: %m", w->url);
    return -1;
  }
  w->nfetched++;
  return ssh_download (w->c, path, dest, sha256, read);
}

static int walk_vmdk (struct walk *w, const char *path, const char *rel,
                      const char *what, unsigned depth, const char *sha256);

/* REF, written in the file at remote FROM (WHAT names the field), as a
 * remote path inside the VM's directory; *REL its relative place.  A
 * missing file is an error.
 */
static char *
resolve (struct walk *w, const char *from, const char *ref, const char *what,
         char **rel)
{
  CLEANUP_FREE char *dir = h2k_dirname (from);
  const char *why = NULL;
  char *path = dir ? esxi_map_path (dir, ref, &why) : NULL;
  uint64_t size, mtime;
  int r;

  *rel = NULL;
  if (path == NULL) {
    h2k_error ("%s: %s: \"%s\": %s", w->url, what, ref, why ? why : "?");
    return NULL;
  }
  *rel = inside (w, path);
  if (*rel == NULL) {
    h2k_error ("%s: %s: \"%s\" (%s) is outside the VM's directory %s; "
               "h2k-fetch takes only disks kept beside the VMX (copy it "
               "there first)", w->url, what, ref, path, w->base);
  }
  else if ((r = ssh_conn_stat (w->c, path, w->url, &size, &mtime)) != 1) {
    if (r == 0)
      h2k_error ("%s: %s: \"%s\": %s: no such file on the host", w->url,
                 what, ref, path);
    free (*rel);
    *rel = NULL;
  }
  if (*rel == NULL) {
    free (path);
    return NULL;
  }
  return path;
}

/* The parent named by HINT of the VMDK at PATH: relative to it, or when
 * absolute, the same name beside it (as h2k-flatten does locally).
 */
static int
walk_parent (struct walk *w, const char *path, const char *hint,
             unsigned depth)
{
  CLEANUP_FREE char *rpath = NULL, *rel = NULL;
  CLEANUP_FREE char *what = NULL;
  const char *ref = esxi_hint_is_absolute (hint) ? esxi_hint_base (hint)
    : hint;

  if (depth >= SSH_MAX_CHAIN) {
    h2k_error ("%s: %s: snapshot chain deeper than %d", w->url, path,
               SSH_MAX_CHAIN);
    return -1;
  }
  if (asprintf (&what, "%s: parentFileNameHint", path) == -1) {
    h2k_error ("%s: %m", w->url);
    return -1;
  }
  if (ref != hint)
    h2k_debug ("%s: parent \"%s\": taking %s beside it", path, hint, ref);
  rpath = resolve (w, path, ref, what, &rel);
  if (rpath == NULL)
    return -1;
  return walk_vmdk (w, rpath, rel, what, depth + 1, NULL);
}

static int
walk_extents (struct walk *w, const char *path,
              const struct h2k_vmdk_descriptor *d)
{
  for (size_t i = 0; i < d->nr_extents; ++i) {
    const char *f = d->extents[i].file;
    CLEANUP_FREE char *rpath = NULL, *rel = NULL, *what = NULL;

    if (f == NULL)
      continue;
    if (asprintf (&what, "%s: extent %zu", path, i + 1) == -1) {
      h2k_error ("%s: %m", w->url);
      return -1;
    }
    if (f[0] == '/' || f[0] == '[') {
      h2k_error ("%s: %s: \"%s\": an extent must be named relative to its "
                 "descriptor", w->url, what, f);
      return -1;
    }
    rpath = resolve (w, path, f, what, &rel);
    if (rpath == NULL)
      return -1;
    if (!already (w, rpath) && fetch_file (w, rpath, rel, NULL, 0) == -1)
      return -1;
  }
  return 0;
}

/* Text up to the first NUL (descriptors may be padded with zeros)? */
static int
is_text (const char *buf, size_t n)
{
  size_t i;

  for (i = 0; i < n && buf[i]; ++i)
    if ((unsigned char) buf[i] < 0x20 && !strchr ("\t\r\n", buf[i]))
      return 0;
  return i > 0;
}

/* Does the local file PATH hold a VMDK descriptor: a sparse extent
 * ("KDMV", embedded) or a small text file?  -1 reported.
 */
static int
has_descriptor (const char *path)
{
  CLEANUP_CLOSE int fd = open (path, O_RDONLY | O_CLOEXEC);
  char buf[4096];
  struct stat st;
  ssize_t n;

  if (fd == -1 || fstat (fd, &st) == -1 ||
      (n = pread (fd, buf, sizeof buf, 0)) == -1) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  if (n >= 4 && memcmp (buf, H2K_VMDK_SPARSE_MAGIC, 4) == 0)
    return 1;
  return st.st_size <= SSH_MAX_DESCRIPTOR && is_text (buf, n);
}

/* A VMDK's files: PATH itself, its extents, its parents.  A file that
 * holds no descriptor (a raw image, a COWD delta extent named directly)
 * is fetched alone.
 */
static int
walk_vmdk (struct walk *w, const char *path, const char *rel,
           const char *what, unsigned depth, const char *sha256)
{
  CLEANUP_VMDK_DESCRIPTOR struct h2k_vmdk_descriptor d = { 0 };
  CLEANUP_FREE char *local = NULL;
  int r;

  if (already (w, path))
    return 0;
  if (fetch_file (w, path, rel, sha256, 1) == -1)
    return -1;
  if (asprintf (&local, "%s/%s", w->dldir, rel) == -1) {
    h2k_error ("%s: %m", w->url);
    return -1;
  }
  if (w->c->plan && access (local, F_OK) == -1 && errno == ENOENT) {
    h2k_debug ("%s: %s: %s not read in a dry run (not a text descriptor)",
               w->url, what, path);
    return 0;
  }
  r = has_descriptor (local);
  if (r == 0)
    h2k_debug ("%s: %s: %s holds no descriptor, fetched alone", w->url,
               what, path);
  if (r != 1)
    return r;
  if (h2k_vmdk_read_descriptor (local, &d) == -1 ||
      walk_extents (w, path, &d) == -1)
    return -1;
  return d.parent_hint ? walk_parent (w, path, d.parent_hint, depth) : 0;
}

/* ---------------------------------------------------------------- */
/* The VMX. */

/* "|" and '"' escaped as the VMX format wants. */
static void
append_value (FILE *fp, const char *s)
{
  for (; *s; ++s) {
    if (*s == '"' || *s == '|' || (unsigned char) *s < 0x20)
      fprintf (fp, "|%02X", (unsigned char) *s);
    else
      fputc (*s, fp);
  }
}

/* DLDIR/NAME.h2k-local.vmx: the VMX as downloaded, then each disk's
 * fileName relative to its directory.  *TOP gets its path.
 */
static int
write_local_vmx (struct walk *w, const char *vmx_local,
                 const struct vmx_vm *vm, char **rels, char **top)
{
  CLEANUP_FREE char *text = NULL, *buf = NULL;
  size_t len = 0, blen = 0;
  CLEANUP_FCLOSE FILE *fp = NULL;
  size_t n = strlen (vmx_local);

  text = h2k_read_file (vmx_local, VMX_MAX_FILE, &len);
  if (text == NULL || (fp = open_memstream (&buf, &blen)) == NULL)
    return -1;
  fwrite (text, 1, len, fp);
  fprintf (fp, "%s# h2k-fetch: the disks as downloaded beside this file\n",
           len && text[len - 1] != '\n' ? "\n" : "");
  for (size_t i = 0; i < vm->ndisks; ++i) {
    fprintf (fp, "%s.fileName = \"", vm->disks[i].address);
    append_value (fp, rels[i]);
    fputs ("\"\n", fp);
  }
  if (fclose (fp) != 0) {
    fp = NULL;
    h2k_error ("%s: %m", vmx_local);
    return -1;
  }
  fp = NULL;
  if (asprintf (top, "%.*s.h2k-local.vmx",
                (int) (h2k_ends_with_ci (vmx_local, ".vmx") ? n - 4 : n),
                vmx_local) == -1) {
    *top = NULL;
    h2k_error ("%s: %m", vmx_local);
    return -1;
  }
  h2k_debug ("%s: disks named by absolute or datastore paths; reading %s",
            w->url, *top);
  return h2k_publish_buffer (*top, buf, blen);
}

static int
walk_disks (struct walk *w, const char *vmx_remote, const struct vmx_vm *vm,
            char **rels, int *rewrite)
{
  *rewrite = 0;
  for (size_t i = 0; i < vm->ndisks; ++i) {
    CLEANUP_FREE char *path = NULL, *what = NULL;

    if (asprintf (&what, "%s.fileName", vm->disks[i].address) == -1) {
      h2k_error ("%s: %m", w->url);
      return -1;
    }
    path = resolve (w, vmx_remote, vm->disks[i].file, what, &rels[i]);
    if (path == NULL || walk_vmdk (w, path, rels[i], what, 0, NULL) == -1)
      return -1;
    if (strcmp (rels[i], vm->disks[i].file) != 0)
      *rewrite = 1;
  }
  return 0;
}

static int
walk_vmx (struct walk *w, const char *path, const char *sha256, char **top)
{
  const char *base = esxi_hint_base (path);
  CLEANUP_FREE char *local = NULL;
  H2K_CLEANUP (vmx_free) struct vmx *vmx = NULL;
  H2K_CLEANUP (vmx_vm_free) struct vmx_vm vm = { 0 };
  CLEANUP_FREE_STRV char **rels = NULL;
  int rewrite = 0;

  if (asprintf (&local, "%s/%s", w->dldir, base) == -1) {
    h2k_error ("%s: %m", w->url);
    return -1;
  }
  if (fetch_file (w, path, base, sha256, 1) == -1 ||
      (vmx = vmx_parse_file (local)) == NULL ||
      vmx_describe (vmx, local, &vm) == -1)
    return -1;
  rels = calloc (vm.ndisks + 1, sizeof *rels);
  if (rels == NULL) {
    h2k_error ("%s: %m", w->url);
    return -1;
  }
  if (walk_disks (w, path, &vm, rels, &rewrite) == -1)
    return -1;
  if (rewrite)
    return write_local_vmx (w, local, &vm, rels, top);
  *top = local;
  local = NULL;
  return 0;
}

/* A single file (not VMX nor VMDK): into DLDIR under its own name. */
static int
fetch_single (struct walk *w, const char *path, const char *sha256,
              char **top)
{
  const char *base = esxi_hint_base (path);

  if (fetch_file (w, path, base, sha256, 0) == -1)
    return -1;
  if (asprintf (top, "%s/%s", w->dldir, base) == -1) {
    *top = NULL;
    h2k_error ("%s: %m", w->url);
    return -1;
  }
  return 0;
}

static int
fetch_source (struct walk *w, const struct remote_url *u,
              const struct remote_opts *ro, char **top,
              const char **kind_hint)
{
  const char *base = esxi_hint_base (u->path);
  uint64_t size, mtime;
  int r;

  *kind_hint = NULL;
  if (*base == '\0') {
    h2k_error ("%s: the URL names a directory; name the .vmx or the disk",
               u->display);
    return -1;
  }
  r = ssh_conn_stat (w->c, u->path, u->display, &size, &mtime);
  if (r == 0)
    h2k_error ("%s: no such file on the host", u->display);
  if (r != 1)
    return -1;
  w->cbase = ssh_conn_canonical (w->c, w->base);
  if (h2k_ends_with_ci (base, ".vmx")) {
    *kind_hint = "vmx";
    return walk_vmx (w, u->path, ro->sha256, top);
  }
  if (h2k_ends_with_ci (base, ".ovf")) {
    h2k_error ("%s: an OVF over SSH is not supported: fetch the .ova, or "
               "the VMX", u->display);
    return -1;
  }
  if (h2k_ends_with_ci (base, ".ova"))
    *kind_hint = "ova";
  if (h2k_ends_with_ci (base, ".vmdk")) {
    if (walk_vmdk (w, u->path, base, "disk", 0, ro->sha256) == -1)
      return -1;
    if (asprintf (top, "%s/%s", w->dldir, base) == -1) {
      *top = NULL;
      h2k_error ("%s: %m", u->display);
      return -1;
    }
    return 0;
  }
  return fetch_single (w, u->path, ro->sha256, top);
}

int
ssh_fetch_source (const struct remote_url *u, const struct fetch_opts *o,
                  const struct remote_opts *ro, const char *dldir,
                  char **top, const char **kind_hint)
{
  CLEANUP_SSH_CONN struct ssh_conn *c = NULL;
  struct walk w = { .url = u->display, .dldir = dldir };
  CLEANUP_FREE char *dir = h2k_dirname (u->path);
  int r = -1;

  (void) o;
  *top = NULL;
  if (dir == NULL)
    return -1;
  w.base = esxi_normalize (dir);
  if (w.base == NULL) {
    h2k_error ("%s: the path must be absolute, without \"..\" above \"/\"",
               u->display);
    return -1;
  }
  c = ssh_conn_open (u, ro);
  if (c != NULL) {
    w.c = c;
    r = fetch_source (&w, u, ro, top, kind_hint);
  }
  walk_free (&w);
  return r;
}
