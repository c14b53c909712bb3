/* Unit tests for the vSphere source's pure parts: URLs, escaping,
 * datastore paths, and the inventory parser on a RetrievePropertiesEx
 * response holding what vcsim cannot (an RDM, a sesparse delta, a DVS
 * portgroup, UEFI with secure boot, nested snapshots).
 */

#include <libxml/parser.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-fetch/vsphere.h"

TEST (url_forms)
{
  struct remote_url u;

  CHECK (remote_url_is ("vsphere://a@b/c", REMOTE_URL_VSPHERE));
  CHECK (remote_url_is ("ESXI://root@host", REMOTE_URL_VSPHERE));
  CHECK (!remote_url_is ("https://host/x", REMOTE_URL_VSPHERE));
  CHECK (remote_url_parse_as ("vsphere://admin%40corp@vc.example:8443/DC1/vm/F%20x/web01/", REMOTE_URL_VSPHERE, &u) == 0);
  CHECK_STR (u.scheme, "vsphere");
  CHECK_STR (u.user, "admin@corp");
  CHECK_STR (u.host, "vc.example");
  CHECK_INT (u.port, 8443);
  CHECK_STR (u.path, "DC1/vm/F x/web01");
  CHECK_STR (u.display, "vsphere://admin@corp@vc.example:8443/DC1/vm/F x/web01");
  remote_url_free (&u);
  CHECK (remote_url_parse_as ("esxi://root@esx1", REMOTE_URL_VSPHERE, &u) == 0);
  CHECK_STR (u.path, "");
  CHECK_STR (u.display, "esxi://root@esx1/");
  remote_url_free (&u);
}

TEST (url_refused)
{
  struct remote_url u;

  CHECK (remote_url_parse_as ("vsphere://admin:secret@vc/DC1", REMOTE_URL_VSPHERE, &u) == -1);
  CHECK (remote_url_parse_as ("vsphere:///DC1", REMOTE_URL_VSPHERE, &u) == -1);
  CHECK (remote_url_parse_as ("vsphere://vc:0/x", REMOTE_URL_VSPHERE, &u) == -1);
  CHECK (remote_url_parse_as ("vsphere://vc:99999/x", REMOTE_URL_VSPHERE, &u) == -1);
  CHECK (remote_url_parse_as ("vsphere://vc/x?y", REMOTE_URL_VSPHERE, &u) == -1);
  CHECK (remote_url_parse_as ("vsphere://vc/%zz", REMOTE_URL_VSPHERE, &u) == -1);
  CHECK (remote_url_parse_as ("vsphere://vc/a%0ab", REMOTE_URL_VSPHERE, &u) == -1);
  CHECK (remote_url_parse_as ("vsphere://v c/x", REMOTE_URL_VSPHERE, &u) == -1);
}

TEST (escape)
{
  char *e = vs_escape ("a&b<c>\"d'");

  CHECK_STR (e, "a&amp;b&lt;c&gt;&quot;d&apos;");
  free (e);
}

TEST (datastore_paths)
{
  char *ds, *p;

  CHECK (vs_split_ds_path ("[ds 1] dir/x.vmdk", &ds, &p) == 0);
  CHECK_STR (ds, "ds 1");
  CHECK_STR (p, "dir/x.vmdk");
  free (ds);
  free (p);
  CHECK (vs_split_ds_path ("[] x.vmdk", &ds, &p) == -1);
  CHECK (vs_split_ds_path ("ds/x.vmdk", &ds, &p) == -1);
  CHECK (vs_split_ds_path ("[ds] ../etc/passwd", &ds, &p) == -1);
  CHECK (vs_split_ds_path ("[ds] a/../../b", &ds, &p) == -1);
  CHECK (vs_split_ds_path ("[ds] /abs", &ds, &p) == -1);
  CHECK (vs_split_ds_path ("[ds] a/..", &ds, &p) == -1);
  /* The datastore name is one component of the download directory. */
  CHECK (vs_split_ds_path ("[../../../../etc/cron.d] evil", &ds, &p) == -1);
  CHECK (vs_split_ds_path ("[..] x.vmdk", &ds, &p) == -1);
  CHECK (vs_split_ds_path ("[.] x.vmdk", &ds, &p) == -1);
  CHECK (vs_split_ds_path ("[a/b] x.vmdk", &ds, &p) == -1);
  CHECK (vs_split_ds_path ("[a\nb] x.vmdk", &ds, &p) == -1);
}

TEST (inventory)
{
  xmlDoc *doc = xmlReadFile (SRCDIR "/tests/unit/fetch/vsphere-inventory.xml",
                             NULL, XML_PARSE_NONET);
  xmlNode *body = doc ? vs_child (xmlDocGetRootElement (doc), "Body") : NULL;
  xmlNode *ret = vs_child (body, "RetrievePropertiesExResponse");
  struct vs_inventory inv;
  const struct vs_vm *vm;
  const char *disk = NULL, *why;

  CHECK (ret != NULL);
  CHECK (vs_inventory_parse (&ret, 1, "test", &inv) == 0);
  CHECK_INT (inv.nvms, 1);
  if (inv.nvms != 1)
    goto out;
  vm = &inv.vms[0];
  CHECK_STR (vm->path, "/DC1/vm/Prod & Test/db01");
  CHECK_STR (vm->dc, "DC1");
  CHECK_STR (vm->moref, "vm-42");
  CHECK_STR (vm->power, "poweredOn");
  CHECK_STR (vm->firmware, "efi");
  CHECK_INT (vm->secure_boot, 1);
  CHECK_INT (vm->cpus, 8);
  CHECK_INT (vm->cores_per_socket, 4);
  CHECK_INT (vm->memory_mb, 16384);
  CHECK_INT (vm->nsnapshots, 2);
  CHECK_STR (vm->tools, "guestToolsRunning");
  CHECK_STR (vm->uuid, "4219a3c4-5d6e-7f80-91a2-b3c4d5e6f708");
  CHECK_INT (vm->ndisks, 2);
  CHECK_STR (vm->disks[0].address, "scsi0:0");
  CHECK_STR (vm->disks[0].controller, "pvscsi");
  CHECK_INT (vm->disks[0].capacity, INT64_C (42949672960));
  CHECK_INT (vm->disks[0].nchain, 2);
  CHECK_STR (vm->disks[0].chain[0], "[ds-ssd-01] db01/db01-000001.vmdk");
  CHECK_STR (vm->disks[0].chain[1], "[ds-ssd-01] db01/db01.vmdk");
  CHECK_INT (vm->disks[0].nfiles, 4);
  CHECK_STR (vm->disks[0].files[0].name, "[ds-ssd-01] db01/db01-000001.vmdk");
  CHECK_STR (vm->disks[0].files[1].name, "[ds-ssd-01] db01/db01-000001-sesparse.vmdk");
  CHECK_STR (vm->disks[0].files[3].name, "[ds-ssd-01] db01/db01-flat.vmdk");
  CHECK_INT (vm->disks[0].allocated, 412 + 409600000 + 563 + INT64_C (12884901888));
  CHECK_STR (vm->disks[1].address, "scsi1:1");
  CHECK_STR (vm->disks[1].controller, "lsisas1068");
  CHECK_INT (vm->disks[1].capacity, INT64_C (107374182400));
  CHECK_INT (vm->nnics, 2);
  CHECK_STR (vm->nics[0].id, "ethernet0");
  CHECK_STR (vm->nics[0].model, "vmxnet3");
  CHECK_STR (vm->nics[0].network, "Prod-VLAN10");
  CHECK_STR (vm->nics[0].mac, "00:50:56:9a:01:02");
  CHECK_INT (vm->nics[0].connected, 1);
  CHECK_STR (vm->nics[1].model, "e1000e");
  CHECK_STR (vm->nics[1].network, "VM Network");
  CHECK_INT (vm->nics[1].connected, 0);
  why = vs_vm_unsupported (vm, &disk);
  CHECK (why && strstr (why, "raw device mapping"));
  CHECK_STR (disk, "Hard disk 2");
 out:
  vs_inventory_free (&inv);
  xmlFreeDoc (doc);
}

TEST (inventory_empty)
{
  xmlDoc *doc = xmlReadMemory ("<r><returnval/></r>", 19, "x", NULL, 0);
  xmlNode *ret = xmlDocGetRootElement (doc);
  struct vs_inventory inv;

  CHECK (vs_inventory_parse (&ret, 1, "test", &inv) == 0);
  CHECK_INT (inv.nvms, 0);
  vs_inventory_free (&inv);
  xmlFreeDoc (doc);
}

int
main (void)
{
  RUN (url_forms);
  RUN (url_refused);
  RUN (escape);
  RUN (datastore_paths);
  RUN (inventory);
  RUN (inventory_empty);
  xmlCleanupParser ();
  return test_done ();
}
