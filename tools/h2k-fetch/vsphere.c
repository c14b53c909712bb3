/* h2k-fetch: vsphere:// and esxi:// sources.
 *
 * The control plane decides: --list prints the inventory; a fetch finds
 * one VM (inventory path, name, managed object id or BIOS UUID),
 * refuses what cannot be copied consistently (a running VM without
 * --snapshot, RDMs, independent disks), plans every file of every
 * disk's backing chain with its size from layoutEx, and records the
 * plan.  The data plane (http_download) then moves the bytes from the
 * datastore's /folder URLs with the session cookie into
 * WORKDIR/download/DATASTORE/PATH, and the downloaded descriptors are
 * read as local disks.  With --snapshot, a snapshot taken by us freezes
 * the chain below it and is removed at the end, whatever happens.
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "h2k.h"
#include "report.h"
#include "vsphere.h"

volatile sig_atomic_t vs_interrupted;

struct plan_file {
  char *name;                   /* "[ds] dir/x-flat.vmdk" */
  char *ds, *path;
  char *url;                    /* https://host/folder/...?dcPath&dsName */
  char *local;                  /* WORKDIR/download/ds/path */
  int64_t size;                 /* from layoutEx, -1 unknown */
};

struct vs_job {
  struct remote_url u;
  struct vs_session *s;
  struct vs_inventory inv;
  struct vs_vm *vm;             /* in inv */
  const struct remote_opts *ro;
  struct remote_opts dl;        /* *ro with the pin and the interrupt */
  const struct vsphere_opts *vo;
  char *snapshot;               /* our snapshot's moref, while it exists */
  char *snapshot_name;
  int snapshot_removed;
  struct plan_file *plan;
  size_t nplan;
  struct sigaction old_int, old_term;
  int handlers;
};

/* Session ------------------------------------------------------------ */

static struct vs_session *
connect_url (const struct remote_url *u, const struct remote_opts *ro,
             const struct vsphere_opts *vo)
{
  char *password = NULL;
  struct vs_session *s;

  if (remote_secret_load (ro->password_file, ro->password_env,
                          ro->password_file ? "--password-file"
                          : "--password-env", &password) == -1)
    return NULL;
  if (password == NULL) {
    h2k_error ("%s: no password: name a file with --password-file or an "
               "environment variable with --password-env", u->display);
    return NULL;
  }
  s = vs_open (u, ro, vo->thumbprint, password);
  remote_secret_free (&password);
  return s;
}

/* Does VM lie below the URL's path P ("" = everything)? */
static int
below (const struct vs_vm *vm, const char *p)
{
  size_t n = strlen (p);

  return n == 0 || (strncmp (vm->path + 1, p, n) == 0 &&
                    (vm->path[1 + n] == '/' || vm->path[1 + n] == '\0'));
}

/* --list ------------------------------------------------------------- */

static const char *
human (char *buf, int64_t v)
{
  if (v < 0)
    return NULL;
  return h2k_human_size (buf, (uint64_t) v);
}

static json_object *
vm_json (const struct vs_vm *vm)
{
  json_object *j = json_object_new_object ();
  json_object *disks = json_object_new_array ();
  json_object *nics = json_object_new_array ();
  int bad = j == NULL || disks == NULL || nics == NULL;

  bad = bad ||
    h2k_json_set_string (j, "name", vm->name) == -1 ||
    h2k_json_set_string (j, "path", vm->path) == -1 ||
    h2k_json_set_string (j, "moref", vm->moref) == -1 ||
    (vm->uuid && h2k_json_set_string (j, "uuid", vm->uuid) == -1) ||
    (vm->power && h2k_json_set_string (j, "power_state", vm->power) == -1) ||
    (vm->guest_id && h2k_json_set_string (j, "guest_id", vm->guest_id) == -1) ||
    (vm->firmware && h2k_json_set_string (j, "firmware", vm->firmware) == -1) ||
    (vm->secure_boot >= 0 &&
     h2k_json_set_bool (j, "secure_boot", vm->secure_boot) == -1) ||
    h2k_json_set_int (j, "cpus", vm->cpus) == -1 ||
    h2k_json_set_int (j, "memory_mb", vm->memory_mb) == -1 ||
    h2k_json_set_int (j, "snapshots", (int64_t) vm->nsnapshots) == -1 ||
    (vm->is_template && h2k_json_set_bool (j, "template", 1) == -1);
  for (size_t i = 0; !bad && i < vm->ndisks; ++i) {
    const struct vs_disk *d = &vm->disks[i];
    json_object *o = json_object_new_object ();
    bad = h2k_json_array_add (disks, o) == -1 ||
      h2k_json_set_string (o, "label", d->label) == -1 ||
      h2k_json_set_string (o, "address", d->address) == -1 ||
      (d->file && h2k_json_set_string (o, "file", d->file) == -1) ||
      h2k_json_set_int (o, "capacity", d->capacity) == -1 ||
      (d->allocated >= 0 && h2k_json_set_int (o, "allocated", d->allocated) == -1) ||
      h2k_json_set_int (o, "chain_length", (int64_t) d->nchain) == -1 ||
      (d->mode && h2k_json_set_string (o, "mode", d->mode) == -1) ||
      h2k_json_set_string (o, "backing", d->backing) == -1;
  }
  for (size_t i = 0; !bad && i < vm->nnics; ++i) {
    const struct vs_nic *n = &vm->nics[i];
    json_object *o = json_object_new_object ();
    bad = h2k_json_array_add (nics, o) == -1 ||
      h2k_json_set_string (o, "id", n->id) == -1 ||
      (n->mac && h2k_json_set_string (o, "mac", n->mac) == -1) ||
      h2k_json_set_string (o, "model", n->model) == -1 ||
      (n->network && h2k_json_set_string (o, "network", n->network) == -1) ||
      h2k_json_set_bool (o, "connected", n->connected) == -1;
  }
  if (!bad && h2k_json_set (j, "disks", disks) == 0) {
    disks = NULL;
    if (h2k_json_set (j, "nics", nics) == 0)
      return j;
    nics = NULL;
  }
  json_object_put (disks);
  json_object_put (nics);
  json_object_put (j);
  h2k_error ("%m");
  return NULL;
}

static int
list_json (const struct vs_inventory *inv, const char *p, FILE *fp)
{
  CLEANUP_JSON json_object *a = json_object_new_array ();

  if (a == NULL)
    return -1;
  for (size_t i = 0; i < inv->nvms; ++i) {
    json_object *j;
    if (!below (&inv->vms[i], p))
      continue;
    if ((j = vm_json (&inv->vms[i])) == NULL || h2k_json_array_add (a, j) == -1)
      return -1;
  }
  fprintf (fp, "%s\n", json_object_to_json_string_ext
           (a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
  return 0;
}

static int
list_table (const struct vs_inventory *inv, const char *p, FILE *fp)
{
  struct h2k_table *vms CLEANUP_TABLE = h2k_table_new (8);
  struct h2k_table *disks CLEANUP_TABLE = h2k_table_new (7);
  struct h2k_table *nics CLEANUP_TABLE = h2k_table_new (5);

  if (vms == NULL || disks == NULL || nics == NULL ||
      h2k_table_add (vms, (const char *[]) { "VM", "ID", "POWER", "GUEST",
            "FIRMWARE", "CPUS", "MEMORY", "SNAPSHOTS" }) == -1 ||
      h2k_table_add (disks, (const char *[]) { "VM", "DISK", "ADDRESS",
            "FILE", "CAPACITY", "ALLOCATED", "MODE" }) == -1 ||
      h2k_table_add (nics, (const char *[]) { "VM", "NIC", "MAC", "MODEL",
            "NETWORK" }) == -1)
    return -1;
  for (size_t i = 0; i < inv->nvms; ++i) {
    const struct vs_vm *vm = &inv->vms[i];
    char cpus[16], mem[32], snaps[16];
    if (!below (vm, p))
      continue;
    snprintf (cpus, sizeof cpus, "%d", vm->cpus);
    snprintf (mem, sizeof mem, "%" PRId64 " MiB", vm->memory_mb);
    snprintf (snaps, sizeof snaps, "%zu", vm->nsnapshots);
    if (h2k_table_add (vms, (const char *[]) { vm->path, vm->moref, vm->power,
            vm->guest_id, vm->firmware, cpus, mem, snaps }) == -1)
      return -1;
    for (size_t k = 0; k < vm->ndisks; ++k) {
      const struct vs_disk *d = &vm->disks[k];
      char cap[32], alloc[32];
      if (h2k_table_add (disks, (const char *[]) { vm->path, d->label,
              d->address, d->file, human (cap, d->capacity),
              human (alloc, d->allocated), d->mode }) == -1)
        return -1;
    }
    for (size_t k = 0; k < vm->nnics; ++k) {
      const struct vs_nic *n = &vm->nics[k];
      if (h2k_table_add (nics, (const char *[]) { vm->path, n->id, n->mac,
              n->model, n->network }) == -1)
        return -1;
    }
  }
  h2k_table_print (vms, fp, "");
  fputc ('\n', fp);
  h2k_table_print (disks, fp, "");
  fputc ('\n', fp);
  h2k_table_print (nics, fp, "");
  return 0;
}

int
vsphere_list (const char *url, const struct remote_opts *ro,
              const struct vsphere_opts *vo)
{
  struct remote_url u CLEANUP_REMOTE_URL = { 0 };
  struct vs_inventory inv = { 0 };
  struct vs_session *s = NULL;
  char *text = NULL;
  size_t len = 0;
  FILE *fp = NULL;
  int r = -1, found = 0;

  if (remote_url_parse_as (url, REMOTE_URL_VSPHERE, &u) == -1 ||
      (s = connect_url (&u, ro, vo)) == NULL)
    goto out;
  if (vs_inventory_load (s, &inv) == -1)
    goto out;
  for (size_t i = 0; i < inv.nvms; ++i)
    found |= below (&inv.vms[i], u.path);
  if (!found && u.path[0]) {
    h2k_error ("%s: nothing in the inventory below /%s", u.display, u.path);
    goto out;
  }
  if ((fp = open_memstream (&text, &len)) == NULL) {
    h2k_error ("%m");
    goto out;
  }
  r = strcmp (vo->list_format, "json") == 0 ? list_json (&inv, u.path, fp)
    : list_table (&inv, u.path, fp);
  if (fclose (fp) != 0)
    r = -1;
  fp = NULL;
  if (r == 0) {
    fwrite (text, 1, len, stdout);
    if (fflush (stdout) != 0 || ferror (stdout)) {
      h2k_error ("standard output: %m");
      r = -1;
    }
  }
 out:
  free (text);
  vs_inventory_free (&inv);
  vs_close (s);
  return r;
}

/* Choosing the VM ----------------------------------------------------- */

static size_t
edit_distance (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b), *row, r;

  if (la > 256 || lb > 256)
    return (size_t) -1;
  if ((row = malloc ((lb + 1) * sizeof *row)) == NULL)
    return (size_t) -1;
  for (size_t j = 0; j <= lb; ++j)
    row[j] = j;
  for (size_t i = 1; i <= la; ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; ++j) {
      size_t up = row[j];
      size_t sub = diag + (a[i - 1] != b[j - 1]);
      size_t best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
      row[j] = sub < best ? sub : best;
      diag = up;
    }
  }
  r = row[lb];
  free (row);
  return r;
}

static int
vm_matches (const struct vs_vm *vm, const char *p, const char *dir,
            const char *last)
{
  if (strcmp (vm->path + 1, p) == 0)
    return 2;
  if (dir[0] && !below (vm, dir))
    return 0;
  return strcmp (vm->name, last) == 0 || strcmp (vm->moref, last) == 0 ||
    (vm->uuid && strcasecmp (vm->uuid, last) == 0);
}

static void
report_not_found (const struct vs_job *j, const char *last)
{
  const struct vs_vm *best[3] = { NULL };
  size_t dist[3] = { (size_t) -1, (size_t) -1, (size_t) -1 };
  size_t limit = strlen (last) / 3 + 2;
  char hint[1024] = "";

  for (size_t i = 0; i < j->inv.nvms; ++i) {
    const struct vs_vm *vm = &j->inv.vms[i];
    size_t d = edit_distance (last, vm->name);
    if (d > limit)
      continue;
    for (size_t k = 0; k < 3; ++k)
      if (d < dist[k]) {
        for (size_t m = 2; m > k; --m) {
          dist[m] = dist[m - 1];
          best[m] = best[m - 1];
        }
        dist[k] = d;
        best[k] = vm;
        break;
      }
  }
  for (size_t k = 0; k < 3 && best[k]; ++k)
    snprintf (hint + strlen (hint), sizeof hint - strlen (hint), "%s%s",
              k ? ", " : " (did you mean ", best[k]->path);
  if (best[0])
    snprintf (hint + strlen (hint), sizeof hint - strlen (hint), "?)");
  h2k_error ("%s: no VM \"%s\" in the inventory%s", j->u.display, last, hint);
}

static int
find_vm (struct vs_job *j)
{
  const char *p = j->u.path, *slash = strrchr (p, '/');
  const char *last = slash ? slash + 1 : p;
  CLEANUP_FREE char *dir = strndup (p, slash ? (size_t) (slash - p) : 0);
  size_t n = 0, exact = 0;
  struct vs_vm *found = NULL;
  char list[1024] = "";

  if (dir == NULL) {
    h2k_error ("%m");
    return -1;
  }
  if (p[0] == '\0') {
    h2k_error ("%s: the URL names no VM (add its inventory path, name, "
               "managed object id or BIOS UUID; --list shows them)",
               j->u.display);
    return -1;
  }
  for (size_t i = 0; i < j->inv.nvms; ++i)
    if (vm_matches (&j->inv.vms[i], p, dir, last) == 2) {
      exact++;
      found = &j->inv.vms[i];
    }
  if (exact == 0)
    for (size_t i = 0; i < j->inv.nvms; ++i)
      if (vm_matches (&j->inv.vms[i], p, dir, last)) {
        n++;
        found = &j->inv.vms[i];
        snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s (%s)",
                  n > 1 ? ", " : "", found->path, found->moref);
      }
  if (exact == 1 || n == 1) {
    j->vm = found;
    return 0;
  }
  if (exact == 0 && n == 0)
    report_not_found (j, last);
  else
    h2k_error ("%s: \"%s\" names %zu VMs: %s; give the inventory path or "
               "the managed object id", j->u.display, last,
               exact ? exact : n, list);
  return -1;
}

static int
check_vm (const struct vs_job *j)
{
  const struct vs_vm *vm = j->vm;
  const char *disk, *why = vs_vm_unsupported (vm, &disk);

  if (why) {
    h2k_error ("%s: %s: %s %s; h2k cannot copy it (detach it or make it "
               "a regular disk first)", j->u.display, vm->path, disk, why);
    return -1;
  }
  if (vm->ndisks == 0) {
    h2k_error ("%s: %s: the VM has no disk", j->u.display, vm->path);
    return -1;
  }
  if (vm->power && strcmp (vm->power, "poweredOff") != 0 && !j->vo->snapshot) {
    h2k_error ("%s: %s is %s: its disks are changing; power it off, or "
               "give --snapshot to copy a snapshot h2k takes (and removes)",
               j->u.display, vm->path, vm->power);
    return -1;
  }
  return 0;
}

struct vs_job *
vsphere_prepare (const char *url, const struct remote_opts *ro,
                 const struct vsphere_opts *vo, char **name)
{
  struct vs_job *j = calloc (1, sizeof *j);

  *name = NULL;
  if (j == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  j->ro = ro;
  j->vo = vo;
  if (remote_url_parse_as (url, REMOTE_URL_VSPHERE, &j->u) == -1 ||
      (j->s = connect_url (&j->u, ro, vo)) == NULL ||
      vs_inventory_load (j->s, &j->inv) == -1 ||
      find_vm (j) == -1 || check_vm (j) == -1 ||
      (*name = strdup (j->vm->name)) == NULL) {
    vsphere_finish (j, -1, NULL);
    return NULL;
  }
  j->dl = *ro;
  j->dl.tls_setup = vs_tls_apply;
  j->dl.tls_data = j->s;
  j->dl.interrupted = &vs_interrupted;
  h2k_debug ("%s: %s (%s, %s)", j->u.display, j->vm->path, j->vm->moref,
            j->vm->power ? j->vm->power : "power state unknown");
  return j;
}

/* Snapshots ----------------------------------------------------------- */

static void
on_signal (int sig)
{
  (void) sig;
  vs_interrupted = 1;
}

static int
install_handlers (struct vs_job *j)
{
  struct sigaction sa = { 0 };

  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  if (sigaction (SIGINT, &sa, &j->old_int) == -1 ||
      sigaction (SIGTERM, &sa, &j->old_term) == -1) {
    h2k_error ("sigaction: %m");
    return -1;
  }
  j->handlers = 1;
  return 0;
}

static void
restore_handlers (struct vs_job *j)
{
  if (j->handlers) {
    sigaction (SIGINT, &j->old_int, NULL);
    sigaction (SIGTERM, &j->old_term, NULL);
    j->handlers = 0;
  }
}

/* One property (PATH) of the object TYPE:MOREF: *DOC holds it, *VAL is
 * its <val> (NULL if unset).
 */
static int
read_prop (struct vs_session *s, const char *type, const char *moref,
           const char *path, xmlDoc **doc, xmlNode **val)
{
  CLEANUP_FREE char *m = vs_escape (moref);
  CLEANUP_FREE char *body = NULL;
  xmlNode *ret;

  *val = NULL;
  if (m == NULL ||
      asprintf (&body, "<specSet><propSet><type>%s</type><pathSet>%s"
                "</pathSet></propSet><objectSet><obj type=\"%s\">%s</obj>"
                "</objectSet></specSet><options></options>", type, path,
                type, m) == -1) {
    h2k_error ("%m");
    return -1;
  }
  if (vs_call (s, "RetrievePropertiesEx", "PropertyCollector",
               vs_property_collector (s), body, doc, &ret, NULL) == -1)
    return -1;
  *val = vs_child (vs_child (vs_child (vs_child (ret, "returnval"), "objects"),
                             "propSet"), "val");
  return 0;
}

/* The VM's layoutEx again (a snapshot added files). */
static int
reread_layout (struct vs_job *j)
{
  struct vs_inventory one = { 0 };
  CLEANUP_FREE char *m = vs_escape (j->vm->moref);
  CLEANUP_FREE char *body = NULL;
  xmlDoc *doc = NULL;
  xmlNode *ret;
  int r = -1;

  if (m == NULL ||
      asprintf (&body, "<specSet><propSet><type>VirtualMachine</type>"
                "<pathSet>name</pathSet><pathSet>layoutEx.file</pathSet>"
                "<pathSet>layoutEx.disk</pathSet></propSet><objectSet>"
                "<obj type=\"VirtualMachine\">%s</obj></objectSet></specSet>"
                "<options></options>", m) == -1) {
    h2k_error ("%m");
    return -1;
  }
  if (vs_call (j->s, "RetrievePropertiesEx", "PropertyCollector",
               vs_property_collector (j->s), body, &doc, &ret, NULL) == 0 &&
      vs_inventory_parse (&ret, 1, j->u.display, &one) == 0 && one.nvms == 1) {
    struct vs_vm *a = j->vm, *b = &one.vms[0];
    struct vs_file *f = a->lfiles;
    struct vs_unit *u = a->units;
    size_t nf = a->nlfiles, nu = a->nunits;
    a->lfiles = b->lfiles, a->nlfiles = b->nlfiles;
    a->units = b->units, a->nunits = b->nunits;
    b->lfiles = f, b->nlfiles = nf;
    b->units = u, b->nunits = nu;
    r = 0;
  }
  vs_inventory_free (&one);
  xmlFreeDoc (doc);
  return r;
}

static int
create_snapshot (struct vs_job *j)
{
  CLEANUP_FREE char *m = vs_escape (j->vm->moref);
  CLEANUP_FREE char *body = NULL, *task = NULL;
  int quiesce = j->vm->tools && strcmp (j->vm->tools, "guestToolsRunning") == 0;
  char name[64];
  xmlDoc *doc = NULL;
  xmlNode *ret;
  time_t now = time (NULL);
  struct tm tm;

  strftime (name, sizeof name, "h2k-%Y%m%dT%H%M%SZ", gmtime_r (&now, &tm));
  if (m == NULL || (j->snapshot_name = strdup (name)) == NULL ||
      asprintf (&body, "<name>%s</name><description>taken by h2k-fetch to "
                "copy the disks; removed when it ends</description>"
                "<memory>false</memory><quiesce>%s</quiesce>", name,
                quiesce ? "true" : "false") == -1) {
    h2k_error ("%m");
    return -1;
  }
  h2k_info ("%s: creating snapshot %s of %s (memory off%s)", j->u.display,
            name, j->vm->path, quiesce ? ", quiesced" : "");
  if (vs_call (j->s, "CreateSnapshot_Task", "VirtualMachine", m, body, &doc,
               &ret, NULL) == -1)
    return -1;
  task = vs_child_text (ret, "returnval");
  xmlFreeDoc (doc);
  if (task == NULL) {
    h2k_error ("%s: CreateSnapshot_Task: no task returned", j->u.display);
    return -1;
  }
  if (vs_wait_task (j->s, task, "CreateSnapshot_Task", &j->snapshot) == -1)
    return -1;
  if (j->snapshot == NULL) {
    h2k_error ("%s: CreateSnapshot_Task: the task returned no snapshot "
               "(look for a snapshot named %s on %s and remove it)",
               j->u.display, name, j->vm->path);
    return -1;
  }
  return 0;
}

/* The disks as the snapshot froze them: the snapshot's own config. */
static int
frozen_disks (struct vs_job *j)
{
  xmlDoc *doc = NULL;
  xmlNode *val;
  int r = -1;

  if (reread_layout (j) == 0 &&
      read_prop (j->s, "VirtualMachineSnapshot", j->snapshot,
                 "config.hardware.device", &doc, &val) == 0) {
    if (val == NULL)
      h2k_error ("%s: snapshot %s: no hardware description", j->u.display,
                 j->snapshot);
    else
      r = vs_vm_set_disks (j->vm, val, j->u.display);
  }
  xmlFreeDoc (doc);
  return r;
}

/* One RemoveSnapshot_Task call, waited for.  *FAULT: the fault's name. */
static int
remove_snapshot_once (struct vs_job *j, char **fault)
{
  CLEANUP_FREE char *m = vs_escape (j->snapshot);
  CLEANUP_FREE char *task = NULL;
  xmlDoc *doc = NULL;
  xmlNode *ret;
  int r = -1;

  if (m &&
      vs_call (j->s, "RemoveSnapshot_Task", "VirtualMachineSnapshot", m,
               "<removeChildren>false</removeChildren>"
               "<consolidate>true</consolidate>", &doc, &ret, fault) == 0 &&
      (task = vs_child_text (ret, "returnval")) != NULL &&
      vs_wait_task (j->s, task, "RemoveSnapshot_Task", NULL) == 0)
    r = 0;
  xmlFreeDoc (doc);
  return r;
}

/* Remove our snapshot; if the session expired meanwhile, log in again
 * first.  Says which snapshot to remove by hand when it cannot.
 */
static int
remove_snapshot (struct vs_job *j)
{
  CLEANUP_FREE char *fault = NULL;
  int r;

  h2k_info ("%s: removing snapshot %s", j->u.display, j->snapshot_name);
  r = remove_snapshot_once (j, &fault);
  if (r == -1 && fault && strcmp (fault, "NotAuthenticated") == 0 &&
      vs_relogin (j->s) == 0)
    r = remove_snapshot_once (j, NULL);
  if (r == 0) {
    j->snapshot_removed = 1;
    free (j->snapshot);
    j->snapshot = NULL;
  }
  else
    h2k_error ("%s: snapshot %s (%s) of %s could not be removed: remove it "
               "by hand", j->u.display, j->snapshot_name, j->snapshot,
               j->vm->path);
  return r;
}

/* The plan ------------------------------------------------------------ */

/* S percent-encoded for a URL (keeping '/' if KEEP_SLASH).  Caller
 * frees; NULL on ENOMEM.
 */
static char *
escape_url (const char *s, int keep_slash)
{
  size_t n = strlen (s), cap = 3 * n + 1, len = 0;
  char *r = malloc (cap);

  if (r == NULL)
    return NULL;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = (unsigned char) s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || strchr ("-._~", c) || (keep_slash && c == '/'))
      r[len++] = (char) c;
    else
      len += (size_t) sprintf (r + len, "%%%02X", c);
  }
  r[len] = '\0';
  return r;
}

static int
plan_add (struct vs_job *j, const struct vs_file *f, const char *dldir)
{
  struct plan_file *v, *p;
  CLEANUP_FREE char *epath = NULL, *edc = NULL, *eds = NULL, *dsdir = NULL;

  for (size_t i = 0; i < j->nplan; ++i)
    if (strcmp (j->plan[i].name, f->name) == 0)
      return 0;                 /* a base shared by two disks */
  if ((v = realloc (j->plan, (j->nplan + 1) * sizeof *v)) == NULL) {
    h2k_error ("%m");
    return -1;
  }
  j->plan = v;
  p = &v[j->nplan];
  memset (p, 0, sizeof *p);
  p->size = f->size;
  if ((p->name = strdup (f->name)) == NULL)
    goto nomem;
  j->nplan++;
  if (vs_split_ds_path (f->name, &p->ds, &p->path) == -1)
    return -1;
  if ((epath = escape_url (p->path, 1)) == NULL ||
      (edc = escape_url (j->vm->dc ? j->vm->dc : "ha-datacenter", 1)) == NULL ||
      (eds = escape_url (p->ds, 0)) == NULL ||
      asprintf (&p->url, "%s/folder/%s?dcPath=%s&dsName=%s", vs_base (j->s),
                epath, edc, eds) == -1 ||
      (dsdir = h2k_path_join (dldir, p->ds)) == NULL ||
      (p->local = h2k_path_join (dsdir, p->path)) == NULL)
    goto nomem;
  /* What the server named must land under DLDIR (vs_split_ds_path
   * checked the parts; this checks the result).
   */
  if (strncmp (p->local, dldir, strlen (dldir)) != 0 ||
      p->local[strlen (dldir)] != '/') {
    h2k_error ("%s: datastore file \"%s\" would be written outside %s: "
               "refused", j->u.display, f->name, dldir);
    return -1;
  }
  return 0;
 nomem:
  h2k_error ("%m");
  return -1;
}

static int
make_plan (struct vs_job *j, const char *dldir)
{
  for (size_t d = 0; d < j->vm->ndisks; ++d)
    for (size_t k = 0; k < j->vm->disks[d].nfiles; ++k)
      if (plan_add (j, &j->vm->disks[d].files[k], dldir) == -1)
        return -1;
  return 0;
}

static int64_t
plan_total (const struct vs_job *j)
{
  int64_t t = 0;

  for (size_t i = 0; i < j->nplan; ++i)
    if (j->plan[i].size > 0)
      t += j->plan[i].size;
  return t;
}

/* The manifest ------------------------------------------------------- */

static const char *
firmware_of (const struct vs_vm *vm)
{
  if (vm->firmware == NULL)
    return "unknown";
  return strcmp (vm->firmware, "efi") == 0 ? "uefi"
    : strcmp (vm->firmware, "bios") == 0 ? "bios" : "unknown";
}

static int
set_vm_fields (json_object *jvm, const struct vs_vm *vm)
{
  json_object *nics = h2k_json_ensure_array (jvm, "nics");

  if (nics == NULL ||
      h2k_json_set_string (jvm, "firmware", firmware_of (vm)) == -1 ||
      (vm->secure_boot >= 0 &&
       h2k_json_set_bool (jvm, "secure_boot", vm->secure_boot) == -1) ||
      (vm->cpus > 0 && h2k_json_set_int (jvm, "cpus", vm->cpus) == -1) ||
      (vm->cores_per_socket > 0 &&
       h2k_json_set_int (jvm, "cores_per_socket", vm->cores_per_socket) == -1) ||
      (vm->memory_mb > 0 &&
       h2k_json_set_int (jvm, "memory_mb", vm->memory_mb) == -1) ||
      (vm->guest_id &&
       h2k_json_set_string (jvm, "guest_os_hint", vm->guest_id) == -1))
    return -1;
  for (size_t i = 0; i < vm->nnics; ++i) {
    const struct vs_nic *n = &vm->nics[i];
    json_object *o = json_object_new_object ();
    if (h2k_json_array_add (nics, o) == -1)
      return -1;
    if (h2k_json_set_string (o, "id", n->id) == -1 ||
        (n->mac ? h2k_json_set_string (o, "mac", n->mac)
         : json_object_object_add (o, "mac", NULL)) != 0 ||
        h2k_json_set_string (o, "model", n->model) == -1 ||
        (n->network && h2k_json_set_string (o, "network", n->network) == -1) ||
        h2k_json_set_bool (o, "connected", n->connected) == -1)
      return -1;
  }
  return 0;
}

static json_object *
plan_json (const struct vs_job *j)
{
  json_object *a = json_object_new_array ();

  for (size_t i = 0; a && i < j->nplan; ++i) {
    const struct plan_file *p = &j->plan[i];
    json_object *o = json_object_new_object ();
    if (h2k_json_array_add (a, o) == -1 ||
        h2k_json_set_string (o, "datastore_path", p->name) == -1 ||
        h2k_json_set_string (o, "url", p->url) == -1 ||
        h2k_json_set_string (o, "path", p->local) == -1 ||
        (p->size >= 0 && h2k_json_set_int (o, "size", p->size) == -1)) {
      json_object_put (a);
      return NULL;
    }
  }
  return a;
}

static int
record_source (const struct vs_job *j, json_object *m, const char *dldir,
               int planned_snapshot)
{
  json_object *jvm = h2k_json_ensure_object (m, "vm");
  json_object *src = jvm ? h2k_json_ensure_object (jvm, "source") : NULL;
  json_object *vs = src ? h2k_json_ensure_object (src, "vsphere") : NULL;
  json_object *plan = plan_json (j), *snap;
  const struct vs_vm *vm = j->vm;

  if (vs == NULL || plan == NULL || h2k_json_set (vs, "plan", plan) == -1) {
    json_object_put (plan);
    return -1;
  }
  if (h2k_json_set_string (src, "kind", "vsphere") == -1 ||
      h2k_json_set_string (src, "path", dldir) == -1 ||
      h2k_json_set_string (src, "url", j->u.display) == -1 ||
      h2k_json_set_string (vs, "api", vs_is_esxi (j->s) ? "esxi" : "vcenter") == -1 ||
      h2k_json_set_string (vs, "moref", vm->moref) == -1 ||
      h2k_json_set_string (vs, "inventory_path", vm->path) == -1 ||
      (vm->uuid && h2k_json_set_string (vs, "uuid", vm->uuid) == -1) ||
      (vm->power && h2k_json_set_string (vs, "power_state", vm->power) == -1) ||
      (vm->vmx && h2k_json_set_string (vs, "vmx", vm->vmx) == -1) ||
      h2k_json_set_int (vs, "snapshots", (int64_t) vm->nsnapshots) == -1 ||
      h2k_json_set_int (vs, "total_bytes", plan_total (j)) == -1)
    return -1;
  if (j->snapshot_name || planned_snapshot) {
    if ((snap = h2k_json_ensure_object (vs, "snapshot")) == NULL ||
        (j->snapshot_name &&
         h2k_json_set_string (snap, "name", j->snapshot_name) == -1) ||
        (j->snapshot && h2k_json_set_string (snap, "moref", j->snapshot) == -1) ||
        h2k_json_set_bool (snap, "created", j->snapshot_name != NULL) == -1)
      return -1;
  }
  return 0;
}

/* Downloads ------------------------------------------------------------ */

static int
check_size (const struct vs_job *j, const struct plan_file *p)
{
  struct stat st;

  if (stat (p->local, &st) == -1) {
    h2k_error ("%s: %m", p->local);
    return -1;
  }
  if (p->size >= 0 && st.st_size != p->size) {
    h2k_error ("%s: %s: the datastore file is %jd bytes, the VM's layout "
               "says %jd", j->u.display, p->name, (intmax_t) st.st_size,
               (intmax_t) p->size);
    return -1;
  }
  return 0;
}

/* Is our session still logged in?  1 yes, 0 no, -1 reported. */
static int
session_alive (struct vs_job *j)
{
  xmlDoc *doc = NULL;
  xmlNode *val;
  int r;

  r = read_prop (j->s, "SessionManager", "SessionManager", "currentSession",
                 &doc, &val);
  if (r == 0)
    r = val != NULL;
  else
    r = 0;                      /* NotAuthenticated */
  xmlFreeDoc (doc);
  return r;
}

static int
download_one (struct vs_job *j, const struct plan_file *p)
{
  CLEANUP_FREE char *dir = h2k_dirname (p->local);
  const char *hdrs[2] = { vs_cookie_header (j->s), NULL };

  if (dir == NULL || h2k_mkdir_p (dir) == -1)
    return -1;
  if (http_download (p->url, p->url, hdrs, p->local, &j->dl, NULL) == 0)
    return check_size (j, p);
  if (vs_interrupted || session_alive (j))
    return -1;
  /* The session expired under us: log in again, resume. */
  if (vs_relogin (j->s) == -1)
    return -1;
  hdrs[0] = vs_cookie_header (j->s);
  if (http_download (p->url, p->url, hdrs, p->local, &j->dl, NULL) == -1)
    return -1;
  return check_size (j, p);
}

static int
download_all (struct vs_job *j)
{
  for (size_t i = 0; i < j->nplan; ++i) {
    if (vs_interrupted) {
      h2k_error ("%s: interrupted", j->u.display);
      return -1;
    }
    h2k_debug ("%s: %zu/%zu %s", j->u.display, i + 1, j->nplan,
               j->plan[i].name);
    if (download_one (j, &j->plan[i]) == -1)
      return -1;
    if (vs_interrupted) {
      h2k_error ("%s: interrupted", j->u.display);
      return -1;
    }
  }
  return 0;
}

/* The top of disk D's chain, downloaded. */
static const char *
local_top (const struct vs_job *j, const struct vs_disk *d)
{
  for (size_t i = 0; i < j->nplan; ++i)
    if (d->nchain && strcmp (j->plan[i].name, d->chain[0]) == 0)
      return j->plan[i].local;
  return NULL;
}

static int
add_disks (struct vs_job *j, const struct fetch_opts *o, json_object *m)
{
  for (size_t i = 0; i < j->vm->ndisks; ++i) {
    const struct vs_disk *d = &j->vm->disks[i];
    const char *top = local_top (j, d);
    const struct fetch_disk_attach at = {
      .bus = d->bus, .controller = d->controller, .address = d->address,
    };
    if (top == NULL) {
      h2k_error ("%s: %s: no descriptor in the plan", j->u.display, d->label);
      return -1;
    }
    if (fetch_add_disk (m, top, "vmdk", &at, o) == -1)
      return -1;
  }
  return 0;
}

/* The plan on stderr: always with --dry-run, else with -v. */
static void
print_plan (const struct vs_job *j, int dry_run)
{
  char b[32];
  int snap = j->vm->power && strcmp (j->vm->power, "poweredOff") != 0;

  if (!dry_run && !h2k_verbose)
    return;
  for (size_t i = 0; i < j->nplan; ++i)
    h2k_info ("plan: %s (%s)", j->plan[i].name,
              j->plan[i].size >= 0 ? h2k_human_size (b, (uint64_t) j->plan[i].size)
              : "size unknown");
  h2k_info ("plan: %s: %zu files, %s%s%s", j->vm->path, j->nplan,
            h2k_human_size (b, (uint64_t) plan_total (j)),
            snap ? ", from snapshot " : "",
            snap ? (j->snapshot_name ? j->snapshot_name
                    : "h2k-<time> (taken when not a dry run, then removed)")
            : "");
}

int
vsphere_run (struct vs_job *j, const struct fetch_opts *o, json_object *m)
{
  CLEANUP_FREE char *dldir = h2k_path_join (o->workdir, REMOTE_DOWNLOAD_DIR);
  int snap = j->vm->power && strcmp (j->vm->power, "poweredOff") != 0;
  json_object *jvm = h2k_json_get_object (m, "vm");

  if (dldir == NULL || jvm == NULL)
    return -1;
  if (snap && !o->dry_run &&
      (install_handlers (j) == -1 || create_snapshot (j) == -1 ||
       frozen_disks (j) == -1))
    return -1;
  if (make_plan (j, dldir) == -1)
    return -1;
  print_plan (j, o->dry_run);
  if (set_vm_fields (jvm, j->vm) == -1 ||
      record_source (j, m, dldir, snap) == -1)
    return -1;
  if (o->dry_run)
    return 0;
  if (h2k_mkdir_p (dldir) == -1 || download_all (j) == -1 ||
      add_disks (j, o, m) == -1 ||
      remote_set_source (j->u.display, "https", j->ro->insecure) == -1 ||
      remote_record_manifest (m) == -1)
    return -1;
  /* remote_record_manifest set the url; the rest is ours. */
  return record_source (j, m, dldir, snap);
}

int
vsphere_finish (struct vs_job *j, int r, json_object *m)
{
  json_object *snap;

  if (j == NULL)
    return r;
  if (j->snapshot && remove_snapshot (j) == -1)
    r = -1;
  snap = m ? h2k_json_get_object (h2k_json_get_object (h2k_json_get_object
          (h2k_json_get_object (m, "vm"), "source"), "vsphere"), "snapshot")
    : NULL;
  if (snap && j->snapshot_name &&
      h2k_json_set_bool (snap, "removed", j->snapshot_removed) == -1)
    r = -1;
  restore_handlers (j);
  vs_close (j->s);
  vs_inventory_free (&j->inv);
  for (size_t i = 0; i < j->nplan; ++i) {
    free (j->plan[i].name);
    free (j->plan[i].ds);
    free (j->plan[i].path);
    free (j->plan[i].url);
    free (j->plan[i].local);
  }
  free (j->plan);
  free (j->snapshot);
  free (j->snapshot_name);
  remote_url_free (&j->u);
  free (j);
  return r;
}

