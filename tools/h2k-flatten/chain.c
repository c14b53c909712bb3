/* h2k-flatten: resolve and verify a backing chain. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "confine.h"
#include "error.h"
#include "manifest.h"
#include "qemu-img.h"
#include "util.h"
#include "flatten.h"

void
chain_free (struct chain *c)
{
  if (c == NULL)
    return;
  for (size_t i = 0; i < c->n; ++i) {
    struct node *n = &c->nodes[i];
    free (n->path);
    free (n->subformat);
    free (n->cid);
    free (n->parent_cid);
    free (n->parent_hint);
    free (n->parent_path);
  }
  free (c->nodes);
  c->nodes = NULL;
  c->n = 0;
}

/* A Windows path as written on the source host: "C:\...", "\\server\...". */
static int
is_foreign_absolute (const char *s)
{
  return (((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) &&
          s[1] == ':') || (s[0] == '\\' && s[1] == '\\');
}

static int
exists (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0;
}

/* DIR/NAME if it exists; NULL with errno ENOENT if not, or NULL reported
 * on ENOMEM.  Backslashes (relative names written on Windows) become
 * slashes and a leading "./" is dropped, in NAME.
 */
static char *
as_written (const char *dir, char *name)
{
  char *n = name, *p;

  for (p = name; *p; ++p)
    if (*p == '\\')
      *p = '/';
  while (n[0] == '.' && n[1] == '/')
    n += 2;
  p = h2k_path_join_raw (dir, n);    /* as qemu joins it (util.h) */
  if (p == NULL || exists (p))
    return p;
  free (p);
  errno = ENOENT;
  return NULL;
}

/* The last component of NAME (either separator) beside DIR, if it
 * exists; NULL with errno ENOENT if not, or NULL reported.
 */
static char *
beside (const char *dir, const char *name)
{
  const char *base = name + strlen (name);
  char *p;

  while (base > name && base[-1] != '/' && base[-1] != '\\')
    base--;
  p = *base ? h2k_path_join (dir, base) : NULL;
  if (*base && (p == NULL || exists (p)))
    return p;
  free (p);
  errno = ENOENT;
  return NULL;
}

/* P, the parent found for CHILD's FIELD, if it is confined (confine.h);
 * else NULL reported, with errno EPERM.  NAME is the field's value as
 * the error quotes it: the hint as written (Windows separators made
 * slashes), or P when P is not what the
 * hint says (the ESXi file beside the child).  Takes P.
 */
static char *
confined (const char *child, const char *field, const char *name, char *p)
{
  if (p == NULL || h2k_confine_path (child, field, name, NULL) == 0)
    return p;
  free (p);
  errno = EPERM;
  return NULL;
}

char *
try_parent (const char *child, const char *hint, const char *field,
            int allow_beside)
{
  CLEANUP_FREE char *dir = h2k_dirname (child);
  CLEANUP_FREE char *name = strdup (hint);
  int absolute = hint[0] == '/' || is_foreign_absolute (hint);
  char *p;

  if (dir == NULL || name == NULL) {
    if (name == NULL)
      h2k_error ("%s: %m", child);
    return NULL;
  }
  /* qemu on Linux opens "\\h\x" as a name relative to the child's
   * directory: if that exists, it is the parent.
   */
  if (hint[0] == '\\' && hint[1] == '\\') {
    if ((p = h2k_path_join_raw (dir, hint)) == NULL)
      return NULL;
    if (exists (p))
      return confined (child, field, hint, p);
    free (p);
  }
  errno = ENOENT;
  p = is_foreign_absolute (hint) ? NULL : as_written (dir, name);
  if (p || (!is_foreign_absolute (hint) && errno != ENOENT) ||
      !absolute || !allow_beside) {
    p = confined (child, field, name, p);
    if (p && absolute && allow_beside)
      h2k_info ("%s: parent \"%s\" found as written", child, hint);
    return p;
  }
  /* An absolute name written on the source host: the same name beside
   * CHILD.
   */
  p = beside (dir, hint);
  p = confined (child, field, p, p);
  if (p)
    h2k_info ("%s: parent \"%s\" not found as written; using %s beside it",
              child, hint, p);
  return p;
}

char *
resolve_parent (const char *child, const char *hint, const char *field,
                int allow_beside)
{
  char *p;

  errno = 0;
  p = try_parent (child, hint, field, allow_beside);
  if (p == NULL && errno == ENOENT)
    h2k_error ("%s: %s: parent \"%s\" not found%s", child, field, hint,
               allow_beside && (hint[0] == '/' || is_foreign_absolute (hint))
               ? " (nor beside the child)" : "");
  return p;
}

static struct node *
add_node (struct chain *c, const char *path, const char *format)
{
  struct node *nodes = realloc (c->nodes, (c->n + 1) * sizeof *nodes);
  struct node *n;

  if (nodes == NULL) {
    h2k_error ("%s: %m", path);
    return NULL;
  }
  c->nodes = nodes;
  n = &c->nodes[c->n];
  memset (n, 0, sizeof *n);
  n->path = strdup (path);
  if (n->path == NULL) {
    h2k_error ("%s: %m", path);
    return NULL;
  }
  n->format = format;
  c->n++;
  return n;
}

/* Open by name, check it is a readable regular file, note its inode and
 * refuse one already in the chain.
 */
static int
check_file (const struct chain *c, struct node *n)
{
  const struct node *child = c->n > 1 ? &c->nodes[c->n - 2] : NULL;
  struct stat st;

  if (stat (n->path, &st) == -1 || access (n->path, R_OK) == -1) {
    if (child)
      h2k_error ("%s: %s: parent %s: %m", child->path, child->parent_field, n->path);
    else
      h2k_error ("%s: %m", n->path);
    return -1;
  }
  if (!S_ISREG (st.st_mode)) {
    h2k_error ("%s: not a regular file", n->path);
    return -1;
  }
  n->dev = st.st_dev;
  n->ino = st.st_ino;
  for (size_t i = 0; i + 1 < c->n; ++i) {
    if (c->nodes[i].dev == n->dev && c->nodes[i].ino == n->ino) {
      h2k_error ("%s: %s: loop: parent %s is image %zu of this chain "
                 "(%s) again", child->path, child->parent_field, n->path, i,
                 c->nodes[i].path);
      return -1;
    }
  }
  return 0;
}

static int
fill_node (struct node *n)
{
  if (strcmp (n->format, "vmdk") == 0)
    return node_vmdk (n);
  if (strcmp (n->format, "vhd") == 0)
    return node_vhd (n);
  if (strcmp (n->format, "vhdx") == 0)
    return node_vhdx (n);
  return node_qemu (n);
}

/* What a child says about its parent must be true of the parent. */
static int
check_pair (const struct node *child, const struct node *parent)
{
  if (child->virtual_size < parent->virtual_size) {
    h2k_error ("%s: virtual size %" PRIu64 " is smaller than its parent %s "
               "(%" PRIu64 ")", child->path, child->virtual_size, parent->path,
               parent->virtual_size);
    return -1;
  }
  if (strcmp (child->format, "vmdk") == 0 && strcmp (parent->format, "vmdk") == 0 &&
      strcmp (child->parent_cid, parent->cid) != 0) {
    h2k_error ("%s: parentCID: %s, but its parent %s has CID %s (the parent "
               "was changed after the snapshot was taken)", child->path,
               child->parent_cid, parent->path, parent->cid);
    return -1;
  }
  if (strcmp (child->format, "vhd") == 0 && strcmp (parent->format, "vhd") == 0 &&
      strcmp (child->parent_cid, parent->cid) != 0) {
    h2k_error ("%s: parent unique id: %s, but its parent %s has unique id %s",
               child->path, child->parent_cid, parent->path, parent->cid);
    return -1;
  }
  if (strcmp (child->format, "vhdx") == 0 && strcmp (parent->format, "vhdx") == 0 &&
      strcmp (child->parent_cid, parent->cid) != 0) {
    h2k_error ("%s: parent locator: parent_linkage %s, but its parent %s has "
               "DataWriteGuid %s (the parent was written after the child was "
               "made)", child->path, child->parent_cid, parent->path, parent->cid);
    return -1;
  }
  if (strcmp (child->format, "vmdk") == 0 && strcmp (parent->format, "vmdk") != 0) {
    h2k_error ("%s: parentFileNameHint: parent %s is not a VMDK", child->path,
               parent->path);
    return -1;
  }
  return 0;
}

static int
walk (const char *path, const char *format, struct chain *c)
{
  struct node *n;

  for (;;) {
    if (c->n >= FLATTEN_MAX_DEPTH) {
      h2k_error ("%s: %s: backing chain deeper than %d images",
                 c->nodes[0].path, c->nodes[c->n - 1].parent_field,
                 FLATTEN_MAX_DEPTH);
      return -1;
    }
    n = add_node (c, path, format);
    if (n == NULL || check_file (c, n) == -1 || fill_node (n) == -1)
      return -1;
    if (c->n > 1 && check_pair (&c->nodes[c->n - 2], n) == -1)
      return -1;
    if (n->parent_path == NULL)
      return 0;
    h2k_debug ("%s -> %s (%s)", n->path, n->parent_path, n->parent_format);
    path = n->parent_path;
    format = n->parent_format;
  }
}

/* Can qemu follow this chain by itself?  Not through VHD differencing
 * disks (it ignores their parent), nor through a parent we found beside
 * its child instead of where an absolute name said.
 */
static int
qemu_can_follow (const struct chain *c)
{
  for (size_t i = 0; i < c->n; ++i) {
    const struct node *n = &c->nodes[i];
    if (strcmp (n->format, "vhd") == 0 || strcmp (n->format, "vhdx") == 0)
      return 0;
    if (n->parent_hint && (is_foreign_absolute (n->parent_hint) ||
                           (n->parent_hint[0] == '/' &&
                            strcmp (n->parent_hint, n->parent_path) != 0)))
      return 0;
  }
  return 1;
}

/* Our reading of the chain against qemu's own (`qemu-img info
 * --backing-chain`, which only probes formats we found probe-safe): the
 * same images, in the same order.
 */
static int
cross_check (const struct chain *c)
{
  CLEANUP_JSON json_object *a = NULL;
  size_t n;

  if (c->n < 2 || !qemu_can_follow (c))
    return 0;
  a = h2k_qemu_img_info (c->nodes[0].path, c->nodes[0].format, H2K_INFO_CHAIN);
  if (a == NULL)
    return -1;
  n = json_object_array_length (a);
  for (size_t i = 0; i < n || i < c->n; ++i) {
    const char *f = i < n ? h2k_json_get_string (json_object_array_get_idx (a, i),
                                                 "filename") : NULL;
    struct stat st;

    if (i >= c->n || f == NULL || stat (f, &st) == -1 ||
        st.st_dev != c->nodes[i].dev || st.st_ino != c->nodes[i].ino) {
      h2k_error ("%s: qemu-img sees another backing chain: image %zu is %s, "
                 "we found %s", c->nodes[0].path, i, f ? f : "(none)",
                 i < c->n ? c->nodes[i].path : "(none)");
      return -1;
    }
  }
  return 0;
}

int
chain_resolve (const char *path, const char *format, struct chain *c)
{
  memset (c, 0, sizeof *c);
  /* walk confines every file it finds (extents, parents); then what qemu
   * will open when it follows the chain itself (data files too), before
   * qemu-img info --backing-chain and the collapse do.
   */
  if (walk (path, format, c) == -1 ||
      h2k_confine_image (path, format, NULL) == -1 || cross_check (c) == -1) {
    chain_free (c);
    return -1;
  }
  return 0;
}
