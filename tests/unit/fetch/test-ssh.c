/* h2k-fetch: where ESXi puts a VMX's disks (esxi.c's pure part): the
 * "[datastore] dir/file" form, absolute and relative names, ".."
 * resolution and confinement to the VM's directory.
 */
#include <errno.h>

#include "test.h"
#include "../../../tools/h2k-fetch/ssh.h"

static char *
map (const char *dir, const char *ref)
{
  const char *why = NULL;
  char *p = esxi_map_path (dir, ref, &why);

  if (p == NULL && why == NULL)
    printf ("# no reason given for \"%s\"\n", ref);
  return p;
}

#define CHECK_MAP(dir, ref, want)                       \
  do {                                                  \
    char *p_ = map ((dir), (ref));                      \
    CHECK_STR (p_, (want));                             \
    free (p_);                                          \
  } while (0)

#define CHECK_NORM(in, want)                            \
  do {                                                  \
    char *p_ = esxi_normalize (in);                     \
    CHECK_STR (p_, (want));                             \
    free (p_);                                          \
  } while (0)

#define VM "/vmfs/volumes/datastore1/web01"

TEST (normalize)
{
  CHECK_NORM ("/", "/");
  CHECK_NORM ("/a//b/./c/", "/a/b/c");
  CHECK_NORM ("/a/b/../c", "/a/c");
  CHECK_NORM ("/a/..", "/");
  CHECK_NORM ("/a/b/../../c/../d", "/d");
  CHECK_NORM ("/a/...", "/a/...");
  CHECK_NORM ("/a/..b", "/a/..b");
  errno = 0;
  CHECK (esxi_normalize ("/..") == NULL && errno == EINVAL);
  CHECK (esxi_normalize ("/a/../..") == NULL);
  CHECK (esxi_normalize ("relative/x") == NULL);
  CHECK (esxi_normalize ("") == NULL);
}

TEST (relative_names)
{
  CHECK_MAP (VM, "web01.vmdk", VM "/web01.vmdk");
  CHECK_MAP (VM, "web 01.vmdk", VM "/web 01.vmdk");
  CHECK_MAP (VM, "./sub/web01_1.vmdk", VM "/sub/web01_1.vmdk");
  CHECK_MAP (VM, "../other/x.vmdk", "/vmfs/volumes/datastore1/other/x.vmdk");
  CHECK_MAP ("/", "x.vmdk", "/x.vmdk");
}

TEST (absolute_names)
{
  CHECK_MAP (VM, VM "/web01.vmdk", VM "/web01.vmdk");
  CHECK_MAP (VM, "/vmfs/volumes/5f1e-aa/web01/web01.vmdk",
             "/vmfs/volumes/5f1e-aa/web01/web01.vmdk");
  CHECK_MAP (VM, VM "/../web01/./x.vmdk", VM "/x.vmdk");
}

TEST (datastore_names)
{
  CHECK_MAP ("/anywhere", "[datastore1] web01/web01.vmdk",
             VM "/web01.vmdk");
  CHECK_MAP ("/anywhere", "[datastore1]web01/web01.vmdk", VM "/web01.vmdk");
  CHECK_MAP ("/anywhere", "[SAN LUN 2] web 01/web 01.vmdk",
             "/vmfs/volumes/SAN LUN 2/web 01/web 01.vmdk");
  CHECK_MAP ("/x", "[ds] a/../../b.vmdk", "/vmfs/volumes/b.vmdk");
}

TEST (malformed)
{
  const char *why = NULL;

  CHECK (esxi_map_path (VM, "", &why) == NULL && why != NULL);
  why = NULL;
  CHECK (esxi_map_path (VM, "[datastore1 web01/x.vmdk", &why) == NULL &&
         why != NULL);
  why = NULL;
  CHECK (esxi_map_path (VM, "[] web01/x.vmdk", &why) == NULL && why != NULL);
  why = NULL;
  CHECK (esxi_map_path (VM, "[a/b] x.vmdk", &why) == NULL && why != NULL);
  why = NULL;
  CHECK (esxi_map_path ("/a", "../../../x", &why) == NULL && why != NULL);
}

TEST (confinement)
{
  CHECK_STR (esxi_relative (VM, VM "/web01.vmdk"), "web01.vmdk");
  CHECK_STR (esxi_relative (VM, VM "/sub/x.vmdk"), "sub/x.vmdk");
  CHECK (esxi_relative (VM, VM) == NULL);
  CHECK (esxi_relative (VM, VM "/") == NULL);
  CHECK (esxi_relative (VM, VM "2/x.vmdk") == NULL);
  CHECK (esxi_relative (VM, "/vmfs/volumes/datastore1/x.vmdk") == NULL);
  CHECK (esxi_relative (VM, "/vmfs/volumes/datastore2/web01/x.vmdk") == NULL);
  CHECK_STR (esxi_relative ("/", "/x"), "x");
  CHECK (esxi_relative ("/", "/") == NULL);
  /* Mapped, then confined: ".." that leaves the VM's directory. */
  {
    char *p = map (VM, "../web01/../other/x.vmdk");
    CHECK (p != NULL && esxi_relative (VM, p) == NULL);
    free (p);
    p = map (VM, "sub/../x.vmdk");
    CHECK_STR (p ? esxi_relative (VM, p) : NULL, "x.vmdk");
    free (p);
  }
}

TEST (parent_hints)
{
  CHECK_STR (esxi_hint_base ("/vmfs/volumes/5f1e-aa/web01/web01.vmdk"),
             "web01.vmdk");
  CHECK_STR (esxi_hint_base ("C:\\VMs\\web01\\base.vmdk"), "base.vmdk");
  CHECK_STR (esxi_hint_base ("base.vmdk"), "base.vmdk");
  CHECK_STR (esxi_hint_base ("dir/"), "");
  CHECK (esxi_hint_is_absolute ("/vmfs/volumes/ds/x.vmdk"));
  CHECK (esxi_hint_is_absolute ("C:\\VMs\\x.vmdk"));
  CHECK (esxi_hint_is_absolute ("\\\\server\\share\\x.vmdk"));
  CHECK (!esxi_hint_is_absolute ("x.vmdk"));
  CHECK (!esxi_hint_is_absolute ("sub/x.vmdk"));
}

int
main (void)
{
  RUN (normalize);
  RUN (relative_names);
  RUN (absolute_names);
  RUN (datastore_names);
  RUN (malformed);
  RUN (confinement);
  RUN (parent_hints);
  return test_done ();
}
