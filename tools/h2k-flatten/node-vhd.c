/* h2k-flatten: one VHD of a chain, from its footer and dynamic header. */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "vhd.h"
#include "flatten.h"

static const char *
type_name (uint32_t t)
{
  return t == H2K_VHD_FIXED ? "fixed" : t == H2K_VHD_DYNAMIC ? "dynamic"
                                                             : "differencing";
}

static int
set_ids (struct node *n, const struct h2k_vhd_info *in)
{
  char u[37];

  h2k_vhd_uuid_string (in->footer.uuid, u);
  n->cid = strdup (u);
  n->subformat = strdup (type_name (in->footer.disk_type));
  if (n->cid == NULL || n->subformat == NULL) {
    h2k_error ("%s: %m", n->path);
    return -1;
  }
  if (in->footer.disk_type != H2K_VHD_DIFFERENCING)
    return 0;
  h2k_vhd_uuid_string (in->dyn.parent_uuid, u);
  n->parent_cid = strdup (u);
  if (n->parent_cid == NULL) {
    h2k_error ("%s: %m", n->path);
    return -1;
  }
  return 0;
}

/* Try the locators in order: relative (W2ru), absolute (W2ku, then the
 * same name beside the child), Mac X; then the parent's name in the
 * header.
 */
static int
find_parent (struct node *n, const struct h2k_vhd_info *in)
{
  static const char *const order[] = { "W2ru", "W2ku", "Mac X" };
  const char *first = NULL;

  for (size_t k = 0; k < 3 && n->parent_path == NULL; ++k) {
    for (int i = 0; i < H2K_VHD_NR_LOCATORS && n->parent_path == NULL; ++i) {
      const char *p = in->locator_paths[i];
      if (p == NULL || strcmp (in->dyn.locators[i].code, order[k]) != 0)
        continue;
      if (first == NULL)
        first = p;
      errno = 0;
      n->parent_path = try_parent (n->path, p, "parent locator", k > 0);
      if (n->parent_path == NULL && errno != ENOENT)
        return -1;
      if (n->parent_path)
        first = p;
    }
  }
  if (n->parent_path == NULL && in->dyn.parent_name[0]) {
    if (first == NULL)
      first = in->dyn.parent_name;
    errno = 0;
    n->parent_path = try_parent (n->path, in->dyn.parent_name,
                                 "parent name", 1);
    if (n->parent_path == NULL && errno != ENOENT)
      return -1;
  }
  if (first == NULL) {
    h2k_error ("%s: parent locator: a differencing disk with no parent "
               "locator and no parent name", n->path);
    return -1;
  }
  n->parent_hint = strdup (first);
  if (n->parent_hint == NULL) {
    h2k_error ("%s: %m", n->path);
    return -1;
  }
  if (n->parent_path == NULL) {
    h2k_error ("%s: parent locator: parent \"%s\" not found (nor beside the "
               "child)", n->path, first);
    return -1;
  }
  return 0;
}

/* A differencing disk is merged by vhd-merge.c: check its block
 * allocation table now, before anything is written.
 */
static int
check_bat (const struct node *n, const struct h2k_vhd_info *in)
{
  CLEANUP_CLOSE int fd = open (n->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  CLEANUP_FREE uint32_t *bat = NULL;
  struct stat st;

  if (fd == -1 || fstat (fd, &st) == -1) {
    h2k_error ("%s: %m", n->path);
    return -1;
  }
  bat = h2k_vhd_read_bat (fd, n->path, st.st_size, in);
  return bat ? 0 : -1;
}

int
node_vhd (struct node *n)
{
  CLEANUP_VHD_INFO struct h2k_vhd_info in = { 0 };

  if (h2k_vhd_read (n->path, &in) == -1 || set_ids (n, &in) == -1)
    return -1;
  n->virtual_size = in.footer.current_size;
  if (in.footer.disk_type != H2K_VHD_DIFFERENCING)
    return 0;
  if (check_bat (n, &in) == -1)
    return -1;
  n->parent_field = "parent locator";
  n->parent_format = "vhd";
  return find_parent (n, &in);
}

/* A differencing VHDX is merged by vhdx-merge.c: check its block
 * allocation table now, before anything is written.
 */
static int
check_vhdx_bat (const struct node *n, const struct h2k_vhdx_info *in)
{
  CLEANUP_CLOSE int fd = open (n->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  CLEANUP_FREE uint64_t *bat = NULL;
  struct h2k_vhdx_geometry g;
  struct stat st;

  if (fd == -1 || fstat (fd, &st) == -1) {
    h2k_error ("%s: %m", n->path);
    return -1;
  }
  bat = h2k_vhdx_read_bat (fd, n->path, st.st_size, in, &g);
  return bat ? 0 : -1;
}

/* VHDX: qemu reads one without a parent; a differencing one (HasParent)
 * it cannot open at all, so its parent is found here, from the parent
 * locator: relative_path, then volume_path and absolute_win32_path (as
 * the same name beside the child).
 */
static int
vhdx_parent (struct node *n, const struct h2k_vhdx_info *in)
{
  const char *const paths[] = {
    in->relative_path, in->volume_path, in->absolute_win32_path
  };
  const char *first = NULL;

  for (size_t k = 0; k < 3 && n->parent_path == NULL; ++k) {
    if (paths[k] == NULL)
      continue;
    if (first == NULL)
      first = paths[k];
    errno = 0;
    n->parent_path = try_parent (n->path, paths[k], "parent locator", k > 0);
    if (n->parent_path == NULL && errno != ENOENT)
      return -1;
    if (n->parent_path)
      first = paths[k];
  }
  if (first == NULL) {
    h2k_error ("%s: parent locator: a differencing disk with no relative_path, "
               "volume_path or absolute_win32_path", n->path);
    return -1;
  }
  n->parent_hint = strdup (first);
  if (n->parent_hint == NULL) {
    h2k_error ("%s: %m", n->path);
    return -1;
  }
  if (n->parent_path == NULL) {
    h2k_error ("%s: parent locator: parent \"%s\" not found (nor beside the "
               "child)", n->path, first);
    return -1;
  }
  return 0;
}

int
node_vhdx (struct node *n)
{
  CLEANUP_VHDX_INFO struct h2k_vhdx_info in = { 0 };
  char g[39];

  if (h2k_vhdx_read (n->path, &in) == -1)
    return -1;
  h2k_vhdx_guid_string (in.data_write_guid, g);
  n->cid = strdup (g);
  n->subformat = strdup (in.has_parent ? "differencing" : "dynamic");
  if (n->cid == NULL || n->subformat == NULL ||
      (in.has_parent && (n->parent_cid = strdup (in.parent_linkage)) == NULL)) {
    h2k_error ("%s: %m", n->path);
    return -1;
  }
  if (!in.has_parent)
    return qemu_virtual_size (n->path, "vhdx", &n->virtual_size);
  if (check_vhdx_bat (n, &in) == -1)
    return -1;
  /* Linkage GUIDs are compared as text: lowercase them. */
  for (char *p = n->parent_cid; *p; ++p)
    *p = tolower ((unsigned char) *p);
  n->virtual_size = in.virtual_size;
  n->parent_field = "parent locator";
  n->parent_format = "vhdx";
  return vhdx_parent (n, &in);
}
