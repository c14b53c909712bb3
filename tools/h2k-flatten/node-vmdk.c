/* h2k-flatten: one VMDK of a chain, from its descriptor. */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "confine.h"
#include "error.h"
#include "util.h"
#include "vmdk.h"
#include "flatten.h"

/* Every extent a text descriptor names must be there, readable and
 * inside the descriptor's directory (common/confine.h).  An
 * embedded descriptor names its own file (as it was called when
 * created), which qemu ignores, and so do we.
 */
static int
check_extents (const struct node *n, const struct h2k_vmdk_descriptor *d)
{
  CLEANUP_FREE char *dir = h2k_dirname (n->path);

  if (dir == NULL)
    return -1;
  for (size_t i = 0; i < d->nr_extents; ++i) {
    const struct h2k_vmdk_extent *e = &d->extents[i];
    CLEANUP_FREE char *p = NULL;

    if (strcmp (e->type, "VMFSRDM") == 0 || strcmp (e->type, "VMFSRAW") == 0) {
      h2k_error ("%s: extent %zu: %s is a raw device mapping (the data is on "
                 "a LUN, not in a file): not supported", n->path, i, e->type);
      return -1;
    }
    if (e->file == NULL || d->embedded)
      continue;
    p = h2k_path_join_raw (dir, e->file);
    if (p == NULL)
      return -1;
    if (access (p, R_OK) == -1) {
      h2k_error ("%s: extent %zu: %s: %m", n->path, i, p);
      return -1;
    }
    if (h2k_confine_extent (n->path, e->file) == -1)
      return -1;
  }
  return 0;
}

static int
set_cids (struct node *n, const struct h2k_vmdk_descriptor *d)
{
  char cid[9], pcid[9];

  h2k_vmdk_cid_string (d->cid, cid);
  h2k_vmdk_cid_string (d->parent_cid, pcid);
  n->cid = strdup (cid);
  n->parent_cid = strdup (pcid);
  n->subformat = strdup (d->create_type);
  if (n->cid == NULL || n->parent_cid == NULL || n->subformat == NULL) {
    h2k_error ("%s: %m", n->path);
    return -1;
  }
  return 0;
}

int
node_vmdk (struct node *n)
{
  CLEANUP_VMDK_DESCRIPTOR struct h2k_vmdk_descriptor d = { 0 };

  if (h2k_vmdk_read_descriptor (n->path, &d) == -1 ||
      set_cids (n, &d) == -1 ||
      check_extents (n, &d) == -1 ||
      qemu_virtual_size (n->path, "vmdk", &n->virtual_size) == -1)
    return -1;
  if (d.parent_hint == NULL)
    return 0;
  n->parent_field = "parentFileNameHint";
  n->parent_hint = strdup (d.parent_hint);
  if (n->parent_hint == NULL) {
    h2k_error ("%s: %m", n->path);
    return -1;
  }
  n->parent_path = resolve_parent (n->path, d.parent_hint, n->parent_field, 1);
  if (n->parent_path == NULL)
    return -1;
  n->parent_format = "vmdk";
  return 0;
}
