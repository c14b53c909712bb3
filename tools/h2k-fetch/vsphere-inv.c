/* h2k-fetch: the vSphere inventory, read in one property collection.
 *
 * A ContainerView over the root folder (recursive) lists every VM,
 * folder, datacenter, vApp and network; one RetrievePropertiesEx (then
 * ContinueRetrievePropertiesEx while a token comes back) reads their
 * names and parents, and for VMs the hardware, layoutEx and snapshots.
 * Parsing is separate from the calls (vs_inventory_parse), so that the
 * unit tests can feed it recorded responses.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "h2k.h"
#include "vsphere.h"

/* The entities the view returns, before the VMs are described. */
struct ent {
  char *type, *moref, *name, *parent;
  xmlNode *obj;                 /* the ObjectContent element */
};

struct ents {
  struct ent *v;
  size_t n;
};

static void
ents_free (struct ents *e)
{
  for (size_t i = 0; i < e->n; ++i) {
    free (e->v[i].type);
    free (e->v[i].moref);
    free (e->v[i].name);
    free (e->v[i].parent);
  }
  free (e->v);
}

static struct ent *
ent_find (const struct ents *e, const char *moref)
{
  if (moref)
    for (size_t i = 0; i < e->n; ++i)
      if (strcmp (e->v[i].moref, moref) == 0)
        return &e->v[i];
  return NULL;
}

/* The <val> of property NAME of the ObjectContent OBJ, or NULL. */
static xmlNode *
prop (xmlNode *obj, const char *name)
{
  for (xmlNode *p = vs_child (obj, "propSet"); p; p = vs_next (p, "propSet")) {
    xmlNode *n = vs_child (p, "name");
    xmlChar *t = n ? xmlNodeGetContent (n) : NULL;
    int match = t && strcmp ((const char *) t, name) == 0;
    xmlFree (t);
    if (match)
      return vs_child (p, "val");
  }
  return NULL;
}

static char *
prop_text (xmlNode *obj, const char *name)
{
  return vs_text (prop (obj, name));
}

static int64_t
text_int (xmlNode *n, int64_t def)
{
  xmlChar *t = n ? xmlNodeGetContent (n) : NULL;
  char *end;
  long long v;

  if (t == NULL)
    return def;
  errno = 0;
  v = strtoll ((const char *) t, &end, 10);
  if (errno || end == (char *) t || *end)
    v = def;
  xmlFree (t);
  return v;
}

static int
text_bool (xmlNode *n)
{
  xmlChar *t = n ? xmlNodeGetContent (n) : NULL;
  int r = t == NULL ? -1 : strcmp ((const char *) t, "true") == 0;

  xmlFree (t);
  return r;
}

static int
collect_ents (xmlNode **rets, size_t nrets, const char *label,
              struct ents *e)
{
  for (size_t i = 0; i < nrets; ++i) {
    xmlNode *rv = vs_child (rets[i], "returnval");
    for (xmlNode *o = vs_child (rv, "objects"); o; o = vs_next (o, "objects")) {
      xmlNode *obj = vs_child (o, "obj");
      xmlChar *type = obj ? xmlGetProp (obj, (const xmlChar *) "type") : NULL;
      struct ent *v, *n;

      if (e->n >= VS_MAX_VMS * 4) {
        xmlFree (type);
        h2k_error ("%s: more than %d inventory objects", label,
                   VS_MAX_VMS * 4);
        return -1;
      }
      if ((v = realloc (e->v, (e->n + 1) * sizeof *v)) == NULL) {
        xmlFree (type);
        h2k_error ("%m");
        return -1;
      }
      e->v = v;
      n = &e->v[e->n];
      memset (n, 0, sizeof *n);
      n->obj = o;
      n->type = type ? strdup ((const char *) type) : NULL;
      xmlFree (type);
      n->moref = vs_text (obj);
      if (n->type == NULL || n->moref == NULL) {
        free (n->type);
        free (n->moref);
        h2k_error ("%s: an inventory object without type or id", label);
        return -1;
      }
      e->n++;
      n->name = prop_text (o, "name");
      n->parent = prop_text (o, "parent");
      if (n->parent == NULL)
        n->parent = prop_text (o, "parentVApp");
    }
  }
  return 0;
}

/* Inventory paths ---------------------------------------------------- */

/* "/DC1/vm/Folder/web01": E's name below its ancestors (the root folder,
 * which has no parent, is not named).  *DC gets the first Datacenter
 * ancestor's path without the leading '/', or stays NULL.
 */
static char *
ent_path (const struct ents *e, const struct ent *x, char **dc)
{
  const struct ent *chain[VS_MAX_DEPTH];
  size_t n = 0, len = 1;
  char *r, *p;

  for (const struct ent *a = x; a && a->parent; a = ent_find (e, a->parent)) {
    if (n == VS_MAX_DEPTH)
      return NULL;
    chain[n++] = a;
    len += strlen (a->name ? a->name : a->moref) + 1;
  }
  if ((r = p = malloc (len + 1)) == NULL)
    return NULL;
  *p = '\0';
  for (size_t i = n; i-- > 0; ) {
    p += sprintf (p, "/%s", chain[i]->name ? chain[i]->name : chain[i]->moref);
    if (dc && *dc == NULL && strcmp (chain[i]->type, "Datacenter") == 0)
      *dc = strdup (r + 1);
  }
  if (n == 0)
    strcpy (r, "/");
  return r;
}

/* Devices ------------------------------------------------------------ */

struct controller {
  int key;
  int bus_number;
  const char *bus, *model;
};

static const struct {
  const char *type, *bus, *model;
} controller_types[] = {
  { "ParaVirtualSCSIController", "scsi", "pvscsi" },
  { "VirtualLsiLogicController", "scsi", "lsilogic" },
  { "VirtualLsiLogicSASController", "scsi", "lsisas1068" },
  { "VirtualBusLogicController", "scsi", "buslogic" },
  { "VirtualAHCIController", "sata", "ahci" },
  { "VirtualIDEController", "ide", "ide" },
  { "VirtualNVMEController", "nvme", "nvme" },
};

static const struct {
  const char *type, *model;
} nic_types[] = {
  { "VirtualVmxnet3", "vmxnet3" }, { "VirtualVmxnet3Vrdma", "vmxnet3" },
  { "VirtualVmxnet2", "vmxnet2" }, { "VirtualVmxnet", "vmxnet" },
  { "VirtualE1000e", "e1000e" }, { "VirtualE1000", "e1000" },
  { "VirtualPCNet32", "vlance" }, { "VirtualSriovEthernetCard", "sriov" },
};

static const char *
nic_model (const char *type)
{
  for (size_t i = 0; i < sizeof nic_types / sizeof nic_types[0]; ++i)
    if (strcmp (type, nic_types[i].type) == 0)
      return nic_types[i].model;
  return NULL;
}

static size_t
collect_controllers (xmlNode *devices, struct controller *c, size_t max)
{
  size_t n = 0;

  for (xmlNode *d = vs_child (devices, NULL); d && n < max;
       d = vs_next (d, NULL)) {
    const char *t = vs_type (d);
    for (size_t i = 0; i < sizeof controller_types / sizeof controller_types[0];
         ++i)
      if (strcmp (t, controller_types[i].type) == 0) {
        c[n].key = (int) text_int (vs_child (d, "key"), -1);
        c[n].bus_number = (int) text_int (vs_child (d, "busNumber"), 0);
        c[n].bus = controller_types[i].bus;
        c[n].model = controller_types[i].model;
        n++;
        break;
      }
  }
  return n;
}

static void
disk_free (struct vs_disk *d)
{
  free (d->label);
  free (d->file);
  free (d->mode);
  free (d->backing);
  if (d->chain)
    for (size_t i = 0; i < d->nchain; ++i)
      free (d->chain[i]);
  free (d->chain);
  for (size_t i = 0; i < d->nfiles; ++i) {
    free (d->files[i].name);
    free (d->files[i].type);
  }
  free (d->files);
}

static void
disks_free (struct vs_vm *vm)
{
  for (size_t i = 0; i < vm->ndisks; ++i)
    disk_free (&vm->disks[i]);
  free (vm->disks);
  vm->disks = NULL;
  vm->ndisks = 0;
}

/* The layoutEx unit holding DESCRIPTOR: its files go to D->files. */
static int
add_unit_files (struct vs_vm *vm, struct vs_disk *d, const char *descriptor)
{
  for (size_t u = 0; u < vm->nunits; ++u) {
    const struct vs_unit *unit = &vm->units[u];
    int found = 0;
    for (size_t k = 0; k < unit->n; ++k)
      if (strcmp (vm->lfiles[unit->files[k]].name, descriptor) == 0)
        found = 1;
    if (!found)
      continue;
    for (size_t k = 0; k < unit->n; ++k) {
      const struct vs_file *f = &vm->lfiles[unit->files[k]];
      struct vs_file *v = realloc (d->files, (d->nfiles + 1) * sizeof *v);
      if (v == NULL)
        return -1;
      d->files = v;
      v[d->nfiles].name = strdup (f->name);
      v[d->nfiles].type = strdup (f->type ? f->type : "");
      v[d->nfiles].size = f->size;
      if (v[d->nfiles].name == NULL || v[d->nfiles].type == NULL) {
        free (v[d->nfiles].name);
        free (v[d->nfiles].type);
        return -1;
      }
      d->nfiles++;
      if (f->size >= 0 && d->allocated >= 0)
        d->allocated += f->size;
      else
        d->allocated = -1;
    }
    return 0;
  }
  /* Not in layoutEx: the descriptor alone, size unknown. */
  {
    struct vs_file *v = realloc (d->files, (d->nfiles + 1) * sizeof *v);
    if (v == NULL)
      return -1;
    d->files = v;
    v[d->nfiles].name = strdup (descriptor);
    v[d->nfiles].type = strdup ("diskDescriptor");
    v[d->nfiles].size = -1;
    if (v[d->nfiles].name == NULL || v[d->nfiles].type == NULL) {
      free (v[d->nfiles].name);
      free (v[d->nfiles].type);
      return -1;
    }
    d->nfiles++;
    d->allocated = -1;
  }
  return 0;
}

static int
parse_disk (struct vs_vm *vm, xmlNode *dev, const struct controller *c,
            size_t nc, struct vs_disk *d)
{
  xmlNode *b = vs_child (dev, "backing");
  int ckey = (int) text_int (vs_child (dev, "controllerKey"), -1);
  int unit = (int) text_int (vs_child (dev, "unitNumber"), 0);
  int64_t cap = text_int (vs_child (dev, "capacityInBytes"), -1);

  d->key = (int) text_int (vs_child (dev, "key"), -1);
  d->label = vs_child_text (vs_child (dev, "deviceInfo"), "label");
  d->backing = b ? strdup (vs_type (b)) : strdup ("none");
  d->file = vs_child_text (b, "fileName");
  d->mode = vs_child_text (b, "diskMode");
  d->capacity = cap >= 0 ? cap
    : text_int (vs_child (dev, "capacityInKB"), 0) * 1024;
  strcpy (d->bus, "unknown");
  strcpy (d->controller, "unknown");
  for (size_t i = 0; i < nc; ++i)
    if (c[i].key == ckey) {
      snprintf (d->bus, sizeof d->bus, "%s", c[i].bus);
      snprintf (d->controller, sizeof d->controller, "%s", c[i].model);
      snprintf (d->address, sizeof d->address, "%s%d:%d", c[i].bus,
                c[i].bus_number, unit);
    }
  if (d->address[0] == '\0')
    snprintf (d->address, sizeof d->address, "unknown:%d", unit);
  if (d->label == NULL && (d->label = strdup (d->address)) == NULL)
    return -1;
  if (d->backing == NULL)
    return -1;
  /* The chain: the backing, its parent, ... */
  for (xmlNode *p = b; p; p = vs_child (p, "parent")) {
    char **v, *f = vs_child_text (p, "fileName");
    if (f == NULL)
      break;
    if (d->nchain == VS_MAX_CHAIN ||
        (v = realloc (d->chain, (d->nchain + 2) * sizeof *v)) == NULL) {
      free (f);
      return -1;
    }
    d->chain = v;
    v[d->nchain++] = f;
    v[d->nchain] = NULL;
  }
  for (size_t i = 0; i < d->nchain; ++i)
    if (add_unit_files (vm, d, d->chain[i]) == -1)
      return -1;
  return 0;
}

static int
add_disk (struct vs_vm *vm, xmlNode *dev, const struct controller *c,
          size_t nc, const char *label)
{
  struct vs_disk *v = realloc (vm->disks, (vm->ndisks + 1) * sizeof *v);

  if (v == NULL) {
    h2k_error ("%m");
    return -1;
  }
  vm->disks = v;
  memset (&v[vm->ndisks], 0, sizeof *v);
  if (parse_disk (vm, dev, c, nc, &v[vm->ndisks]) == -1) {
    disk_free (&v[vm->ndisks]);
    h2k_error ("%s: %s: a disk that cannot be read (%s)", label, vm->name,
               errno == ENOMEM ? "out of memory" : "chain too long");
    return -1;
  }
  vm->ndisks++;
  return 0;
}

int
vs_vm_set_disks (struct vs_vm *vm, xmlNode *devices, const char *label)
{
  struct controller c[64];
  size_t nc = collect_controllers (devices, c, 64), ndev = 0;

  disks_free (vm);
  for (xmlNode *d = vs_child (devices, NULL); d; d = vs_next (d, NULL)) {
    if (++ndev > VS_MAX_DEVICES) {
      h2k_error ("%s: %s: more than %d devices", label, vm->name,
                 VS_MAX_DEVICES);
      return -1;
    }
    if (strcmp (vs_type (d), "VirtualDisk") == 0 &&
        add_disk (vm, d, c, nc, label) == -1)
      return -1;
  }
  return 0;
}

static int
parse_nic (const struct ents *e, xmlNode *dev, const char *model,
           size_t index, struct vs_nic *n)
{
  xmlNode *b = vs_child (dev, "backing");
  const char *bt = b ? vs_type (b) : "";

  snprintf (n->id, sizeof n->id, "ethernet%zu", index);
  n->label = vs_child_text (vs_child (dev, "deviceInfo"), "label");
  n->mac = vs_child_text (dev, "macAddress");
  n->model = strdup (model);
  n->connected = text_bool (vs_child (vs_child (dev, "connectable"),
                                      "startConnected")) != 0;
  if (strcmp (bt, "VirtualEthernetCardNetworkBackingInfo") == 0)
    n->network = vs_child_text (b, "deviceName");
  else if (strcmp (bt, "VirtualEthernetCardDistributedVirtualPortBackingInfo")
           == 0) {
    CLEANUP_FREE char *key = vs_child_text (vs_child (b, "port"),
                                            "portgroupKey");
    const struct ent *pg = ent_find (e, key);
    n->network = pg && pg->name ? strdup (pg->name)
      : key ? strdup (key) : NULL;
  }
  else if (strcmp (bt, "VirtualEthernetCardOpaqueNetworkBackingInfo") == 0)
    n->network = vs_child_text (b, "opaqueNetworkId");
  return n->model ? 0 : -1;
}

static int
set_nics (const struct ents *e, struct vs_vm *vm, xmlNode *devices)
{
  for (xmlNode *d = vs_child (devices, NULL); d; d = vs_next (d, NULL)) {
    const char *model = nic_model (vs_type (d));
    struct vs_nic *v;
    if (model == NULL)
      continue;
    if ((v = realloc (vm->nics, (vm->nnics + 1) * sizeof *v)) == NULL) {
      h2k_error ("%m");
      return -1;
    }
    vm->nics = v;
    memset (&v[vm->nnics], 0, sizeof *v);
    vm->nnics++;
    if (parse_nic (e, d, model, vm->nnics - 1, &v[vm->nnics - 1]) == -1) {
      h2k_error ("%m");
      return -1;
    }
  }
  return 0;
}

/* layoutEx ------------------------------------------------------------ */

static int
set_layout (struct vs_vm *vm, xmlNode *obj)
{
  xmlNode *files = prop (obj, "layoutEx.file");
  xmlNode *disks = prop (obj, "layoutEx.disk");

  for (xmlNode *f = vs_child (files, NULL); f; f = vs_next (f, NULL)) {
    struct vs_file *v = realloc (vm->lfiles, (vm->nlfiles + 1) * sizeof *v);
    int64_t key = text_int (vs_child (f, "key"), -1);
    if (v == NULL)
      return -1;
    vm->lfiles = v;
    v = &v[vm->nlfiles];
    if ((v->name = vs_child_text (f, "name")) == NULL)
      continue;
    v->type = vs_child_text (f, "type");
    v->size = text_int (vs_child (f, "size"), -1);
    v->key = key;
    vm->nlfiles++;
  }
  for (xmlNode *d = vs_child (disks, NULL); d; d = vs_next (d, NULL))
    for (xmlNode *c = vs_child (d, "chain"); c; c = vs_next (c, "chain")) {
      struct vs_unit *v = realloc (vm->units, (vm->nunits + 1) * sizeof *v);
      if (v == NULL)
        return -1;
      vm->units = v;
      v = &v[vm->nunits++];
      memset (v, 0, sizeof *v);
      for (xmlNode *k = vs_child (c, "fileKey"); k; k = vs_next (k, "fileKey")) {
        int64_t key = text_int (k, -1);
        for (size_t i = 0; i < vm->nlfiles; ++i)
          if (vm->lfiles[i].key == key) {
            size_t *fv = realloc (v->files, (v->n + 1) * sizeof *fv);
            if (fv == NULL)
              return -1;
            v->files = fv;
            fv[v->n++] = i;
            break;
          }
      }
    }
  return 0;
}

/* Count the snapshots in a snapshot tree list. */
static size_t
count_snapshots (xmlNode *list_parent, const char *name, int depth)
{
  size_t n = 0;

  if (depth > 1000)
    return 0;
  for (xmlNode *s = vs_child (list_parent, name); s; s = vs_next (s, name))
    n += 1 + count_snapshots (s, "childSnapshotList", depth + 1);
  return n;
}

/* VMs ---------------------------------------------------------------- */

static int
describe_vm (const struct ents *e, const struct ent *x, const char *label,
             struct vs_vm *vm)
{
  xmlNode *o = x->obj, *devices = prop (o, "config.hardware.device");

  vm->moref = strdup (x->moref);
  vm->name = strdup (x->name ? x->name : x->moref);
  vm->path = ent_path (e, x, &vm->dc);
  if (vm->moref == NULL || vm->name == NULL || vm->path == NULL) {
    h2k_error ("%s: %s: cannot describe (out of memory, or more than %d "
               "folders deep)", label, x->moref, VS_MAX_DEPTH);
    return -1;
  }
  vm->power = prop_text (o, "runtime.powerState");
  vm->guest_id = prop_text (o, "config.guestId");
  vm->firmware = prop_text (o, "config.firmware");
  vm->uuid = prop_text (o, "config.uuid");
  vm->vmx = prop_text (o, "summary.config.vmPathName");
  vm->tools = prop_text (o, "guest.toolsRunningStatus");
  vm->is_template = text_bool (prop (o, "config.template")) == 1;
  vm->secure_boot = text_bool (prop (o, "config.bootOptions.efiSecureBootEnabled"));
  vm->cpus = (int) text_int (prop (o, "config.hardware.numCPU"), 0);
  vm->cores_per_socket = (int) text_int (prop (o, "config.hardware.numCoresPerSocket"), 0);
  vm->memory_mb = text_int (prop (o, "config.hardware.memoryMB"), 0);
  vm->nsnapshots = count_snapshots (prop (o, "snapshot"), "rootSnapshotList", 0);
  if (set_layout (vm, o) == -1) {
    h2k_error ("%m");
    return -1;
  }
  if (vs_vm_set_disks (vm, devices, label) == -1 ||
      set_nics (e, vm, devices) == -1)
    return -1;
  return 0;
}

static void
vm_free (struct vs_vm *vm)
{
  free (vm->moref);
  free (vm->name);
  free (vm->path);
  free (vm->dc);
  free (vm->power);
  free (vm->guest_id);
  free (vm->firmware);
  free (vm->uuid);
  free (vm->vmx);
  free (vm->tools);
  disks_free (vm);
  for (size_t i = 0; i < vm->nnics; ++i) {
    free (vm->nics[i].label);
    free (vm->nics[i].mac);
    free (vm->nics[i].model);
    free (vm->nics[i].network);
  }
  free (vm->nics);
  for (size_t i = 0; i < vm->nlfiles; ++i) {
    free (vm->lfiles[i].name);
    free (vm->lfiles[i].type);
  }
  free (vm->lfiles);
  for (size_t i = 0; i < vm->nunits; ++i)
    free (vm->units[i].files);
  free (vm->units);
}

void
vs_inventory_free (struct vs_inventory *inv)
{
  for (size_t i = 0; i < inv->nvms; ++i)
    vm_free (&inv->vms[i]);
  free (inv->vms);
  inv->vms = NULL;
  inv->nvms = 0;
}

static int
cmp_vm (const void *a, const void *b)
{
  return strcmp (((const struct vs_vm *) a)->path,
                 ((const struct vs_vm *) b)->path);
}

int
vs_inventory_parse (xmlNode **rets, size_t n, const char *label,
                    struct vs_inventory *inv)
{
  struct ents e = { 0 };
  int r = -1;

  memset (inv, 0, sizeof *inv);
  if (collect_ents (rets, n, label, &e) == -1)
    goto out;
  for (size_t i = 0; i < e.n; ++i) {
    struct vs_vm *v;
    if (strcmp (e.v[i].type, "VirtualMachine") != 0)
      continue;
    if (inv->nvms == VS_MAX_VMS) {
      h2k_error ("%s: more than %d VMs", label, VS_MAX_VMS);
      goto out;
    }
    if ((v = realloc (inv->vms, (inv->nvms + 1) * sizeof *v)) == NULL) {
      h2k_error ("%m");
      goto out;
    }
    inv->vms = v;
    memset (&v[inv->nvms], 0, sizeof *v);
    inv->nvms++;
    if (describe_vm (&e, &e.v[i], label, &v[inv->nvms - 1]) == -1)
      goto out;
  }
  if (inv->nvms)
    qsort (inv->vms, inv->nvms, sizeof *inv->vms, cmp_vm);
  r = 0;
 out:
  ents_free (&e);
  if (r == -1)
    vs_inventory_free (inv);
  return r;
}

/* The calls ------------------------------------------------------------ */

static const char vm_props[] =
  "<pathSet>name</pathSet><pathSet>parent</pathSet>"
  "<pathSet>parentVApp</pathSet>"
  "<pathSet>runtime.powerState</pathSet><pathSet>config.guestId</pathSet>"
  "<pathSet>config.firmware</pathSet><pathSet>config.uuid</pathSet>"
  "<pathSet>config.template</pathSet>"
  "<pathSet>config.bootOptions.efiSecureBootEnabled</pathSet>"
  "<pathSet>config.hardware.numCPU</pathSet>"
  "<pathSet>config.hardware.numCoresPerSocket</pathSet>"
  "<pathSet>config.hardware.memoryMB</pathSet>"
  "<pathSet>config.hardware.device</pathSet>"
  "<pathSet>snapshot</pathSet><pathSet>layoutEx.file</pathSet>"
  "<pathSet>layoutEx.disk</pathSet>"
  "<pathSet>summary.config.vmPathName</pathSet>"
  "<pathSet>guest.toolsRunningStatus</pathSet>";

static char *
create_view (struct vs_session *s)
{
  CLEANUP_FREE char *root = vs_escape (vs_root_folder (s));
  CLEANUP_FREE char *body = NULL;
  xmlDoc *doc = NULL;
  xmlNode *ret;
  char *view = NULL;

  if (root == NULL ||
      asprintf (&body, "<container type=\"Folder\">%s</container>"
                "<type>VirtualMachine</type><type>Folder</type>"
                "<type>Datacenter</type><type>VirtualApp</type>"
                "<type>Network</type><recursive>true</recursive>",
                root) == -1) {
    h2k_error ("%m");
    return NULL;
  }
  if (vs_call (s, "CreateContainerView", "ViewManager", vs_view_manager (s),
               body, &doc, &ret, NULL) == 0 &&
      (view = vs_child_text (ret, "returnval")) == NULL)
    h2k_error ("CreateContainerView: no view returned");
  xmlFreeDoc (doc);
  return view;
}

static void
destroy_view (struct vs_session *s, const char *view)
{
  CLEANUP_FREE char *v = vs_escape (view);
  xmlDoc *doc = NULL;
  xmlNode *ret;

  if (v && vs_call (s, "DestroyView", "ContainerView", v, NULL, &doc, &ret,
                    NULL) == -1)
    h2k_warning ("could not destroy the container view %s", view);
  xmlFreeDoc (doc);
}

struct pages {
  xmlDoc *docs[1024];
  xmlNode *rets[1024];
  size_t n;
};

static int
retrieve (struct vs_session *s, const char *view, struct pages *pg)
{
  CLEANUP_FREE char *v = vs_escape (view);
  CLEANUP_FREE char *body = NULL;
  const char *pc = vs_property_collector (s);
  CLEANUP_FREE char *token = NULL;

  if (v == NULL ||
      asprintf (&body, "<specSet>"
                "<propSet><type>VirtualMachine</type>%s</propSet>"
                "<propSet><type>Folder</type><pathSet>name</pathSet>"
                "<pathSet>parent</pathSet></propSet>"
                "<propSet><type>Datacenter</type><pathSet>name</pathSet>"
                "<pathSet>parent</pathSet></propSet>"
                "<propSet><type>VirtualApp</type><pathSet>name</pathSet>"
                "<pathSet>parent</pathSet></propSet>"
                "<propSet><type>Network</type><pathSet>name</pathSet></propSet>"
                "<objectSet><obj type=\"ContainerView\">%s</obj>"
                "<skip>true</skip><selectSet xsi:type=\"TraversalSpec\">"
                "<name>view</name><type>ContainerView</type><path>view</path>"
                "<skip>false</skip></selectSet></objectSet></specSet>"
                "<options><maxObjects>500</maxObjects></options>",
                vm_props, v) == -1) {
    h2k_error ("%m");
    return -1;
  }
  if (vs_call (s, "RetrievePropertiesEx", "PropertyCollector", pc, body,
               &pg->docs[0], &pg->rets[0], NULL) == -1)
    return -1;
  pg->n = 1;
  token = vs_child_text (vs_child (pg->rets[0], "returnval"), "token");
  while (token) {
    CLEANUP_FREE char *t = vs_escape (token);
    CLEANUP_FREE char *b = NULL;
    if (pg->n == 1024) {
      h2k_error ("RetrievePropertiesEx: more than 1024 pages");
      return -1;
    }
    if (t == NULL || asprintf (&b, "<token>%s</token>", t) == -1) {
      h2k_error ("%m");
      return -1;
    }
    if (vs_call (s, "ContinueRetrievePropertiesEx", "PropertyCollector", pc,
                 b, &pg->docs[pg->n], &pg->rets[pg->n], NULL) == -1)
      return -1;
    free (token);
    token = vs_child_text (pg->rets[pg->n], "token");
    if (token == NULL)
      token = vs_child_text (vs_child (pg->rets[pg->n], "returnval"), "token");
    pg->n++;
  }
  return 0;
}

int
vs_inventory_load (struct vs_session *s, struct vs_inventory *inv)
{
  CLEANUP_FREE char *view = create_view (s);
  struct pages *pg;
  int r = -1;

  memset (inv, 0, sizeof *inv);
  if (view == NULL)
    return -1;
  if ((pg = calloc (1, sizeof *pg)) == NULL) {
    h2k_error ("%m");
    destroy_view (s, view);
    return -1;
  }
  if (retrieve (s, view, pg) == 0)
    r = vs_inventory_parse (pg->rets, pg->n, vs_base (s), inv);
  destroy_view (s, view);
  for (size_t i = 0; i < pg->n; ++i)
    xmlFreeDoc (pg->docs[i]);
  free (pg);
  return r;
}

/* Checks --------------------------------------------------------------- */

const char *
vs_vm_unsupported (const struct vs_vm *vm, const char **disk)
{
  for (size_t i = 0; i < vm->ndisks; ++i) {
    const struct vs_disk *d = &vm->disks[i];
    *disk = d->label;
    if (strstr (d->backing, "RawDiskMapping"))
      return "is a raw device mapping (RDM): its data is on a LUN, not in "
        "a datastore file";
    if (d->mode && strncmp (d->mode, "independent", 11) == 0)
      return "is an independent disk (no snapshot can freeze it)";
    if (strcmp (d->backing, "VirtualDiskFlatVer2BackingInfo") &&
        strcmp (d->backing, "VirtualDiskSparseVer2BackingInfo") &&
        strcmp (d->backing, "VirtualDiskSeSparseBackingInfo") &&
        strcmp (d->backing, "VirtualDiskFlatVer1BackingInfo") &&
        strcmp (d->backing, "VirtualDiskSparseVer1BackingInfo"))
      return "has a backing h2k cannot copy from a datastore";
    if (d->file == NULL || d->file[0] != '[')
      return "has no datastore file";
  }
  *disk = NULL;
  return NULL;
}

/* A datastore name the server sent is one path component of ours
 * (WORKDIR/download/DATASTORE/...): not ".", "..", nor holding '/' or a
 * control character.
 */
static int
safe_ds_name (const char *ds, size_t len)
{
  if (len == 0 || (len == 1 && ds[0] == '.') ||
      (len == 2 && ds[0] == '.' && ds[1] == '.'))
    return 0;
  for (size_t i = 0; i < len; ++i)
    if (ds[i] == '/' || (unsigned char) ds[i] < ' ' || ds[i] == 127)
      return 0;
  return 1;
}

int
vs_split_ds_path (const char *name, char **ds, char **path)
{
  const char *close = name[0] == '[' ? strchr (name, ']') : NULL;
  const char *p = close ? close + 1 : NULL;

  *ds = *path = NULL;
  if (p)
    p += strspn (p, " ");
  if (close == NULL || !safe_ds_name (name + 1, close - name - 1) ||
      *p == '\0' || *p == '/' ||
      strstr (p, "../") || strcmp (p, "..") == 0 ||
      (strlen (p) > 2 && strcmp (p + strlen (p) - 3, "/..") == 0)) {
    h2k_error ("\"%s\": not a datastore path \"[datastore] dir/file\"",
               name);
    return -1;
  }
  *ds = strndup (name + 1, close - name - 1);
  *path = strdup (p);
  if (*ds == NULL || *path == NULL) {
    free (*ds);
    free (*path);
    *ds = *path = NULL;
    h2k_error ("%m");
    return -1;
  }
  return 0;
}
