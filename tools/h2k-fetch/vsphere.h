/* h2k-fetch: VMware vSphere sources (vsphere://, esxi://).
 *
 * A strict split: the control plane (the vSphere API, SOAP over HTTPS
 * on /sdk) decides what to copy; the data plane (http_download in
 * http.c, with the session cookie) moves the bytes, from the
 * datastore's /folder URLs.
 *
 *   vsphere-soap.c  the session: URL, TLS (CA or thumbprint pin), one
 *                   libcurl handle with its cookie, SOAP envelopes out,
 *                   libxml2 documents in, faults as one line; Login,
 *                   Logout, tasks
 *   vsphere-inv.c   the inventory: one PropertyCollector read over a
 *                   ContainerView, parsed into struct vs_vm (pure
 *                   parsing, unit-tested on recorded responses)
 *   vsphere.c       --list, choosing a VM, the plan, the snapshot, the
 *                   downloads and the manifest
 */
#ifndef H2K_FETCH_VSPHERE_H
#define H2K_FETCH_VSPHERE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <libxml/tree.h>

#include "fetch.h"
#include "remote.h"

/* Limits against a hostile or broken server. */
#define VS_MAX_RESPONSE  (256u << 20)   /* bytes in one SOAP response */
#define VS_MAX_VMS       100000
#define VS_MAX_DEVICES   1024           /* devices of one VM */
#define VS_MAX_CHAIN     255            /* disks in one backing chain */
#define VS_MAX_DEPTH     64             /* folders above a VM */

/* vSphere options (h2k-fetch's command line and the fetch section). */
struct vsphere_opts {
  int list;                     /* --list: print the inventory */
  const char *list_format;      /* "table" or "json" */
  int snapshot;                 /* --snapshot: allowed on a running VM */
  const char *thumbprint;       /* --thumbprint: SHA-1 or SHA-256 of the
                                   server's certificate, hex, ':' allowed */
};

/* vsphere:// and esxi:// URLs are parsed by remote.c:
 * remote_url_is and remote_url_parse_as with REMOTE_URL_VSPHERE.
 */

/* ---------------------------------------------------------------- */
/* vsphere-soap.c */

struct vs_session;

/* Connect to U's /sdk (TLS per RO and THUMBPRINT), read the service
 * content and log in as U->user with PASSWORD.  NULL reported.
 */
struct vs_session *vs_open (const struct remote_url *u,
                            const struct remote_opts *ro,
                            const char *thumbprint, const char *password);

/* For http_download (remote_opts.tls_setup): the session's --thumbprint
 * pin on the easy handle CURL (nothing without a pin).  0, or -1.
 */
int vs_tls_apply (void *curl, void *session);

/* Log in again (the session expired); -1 reported. */
int vs_relogin (struct vs_session *s);

/* Log out (when logged in) and free; accepts NULL. */
void vs_close (struct vs_session *s);

/* The server's base URL "https://host[:port]" (borrowed). */
const char *vs_base (const struct vs_session *s);
/* "ha-datacenter"-style ESXi (1) or vCenter (0). */
int vs_is_esxi (const struct vs_session *s);
/* The request header carrying the session cookie ("Cookie: ..."), a
 * credential: never log it.  Borrowed; NULL if not logged in.
 */
const char *vs_cookie_header (const struct vs_session *s);
/* The service content's managed object ids (borrowed). */
const char *vs_property_collector (const struct vs_session *s);
const char *vs_view_manager (const struct vs_session *s);
const char *vs_root_folder (const struct vs_session *s);

/* Call METHOD on the object THIS_TYPE:THIS_VALUE with the already
 * escaped XML BODY (the parameters after _this).  On success *DOC is
 * the response (caller frees with xmlFreeDoc) and *RET its
 * <METHODResponse> element.  A SOAP fault is reported as
 * "URL: SOAP fault NAME: message"; *FAULT (may be NULL) gets NAME
 * (caller frees).
 */
int vs_call (struct vs_session *s, const char *method,
             const char *this_type, const char *this_value, const char *body,
             xmlDoc **doc, xmlNode **ret, char **fault);

/* Wait for the task TASK (a moref value) to finish; on success *RESULT
 * (may be NULL) gets the task's result moref value (caller frees) or
 * NULL.  A failed task is reported with its fault.  -1 reported.
 */
int vs_wait_task (struct vs_session *s, const char *task, const char *what,
                  char **result);

/* XML helpers over libxml2 trees (namespaces ignored: local names). */
xmlNode *vs_child (xmlNode *n, const char *name);
xmlNode *vs_next (xmlNode *n, const char *name);  /* next sibling NAME */
/* The text of N (caller frees), or NULL (ENOMEM reported, or no N). */
char *vs_text (xmlNode *n);
/* The text of N's child NAME, copied into a new string, or NULL. */
char *vs_child_text (xmlNode *n, const char *name);
/* xsi:type of N, or its local name (borrowed from libxml2). */
const char *vs_type (xmlNode *n);
/* S with & < > " ' escaped (caller frees); NULL reported. */
char *vs_escape (const char *s);

/* ---------------------------------------------------------------- */
/* vsphere-inv.c */

struct vs_file {
  char *name;                   /* "[ds] dir/x-flat.vmdk" */
  char *type;                   /* layoutEx type: diskDescriptor, ... */
  int64_t size;                 /* -1: unknown */
  int64_t key;                  /* layoutEx key */
};

/* One layoutEx.disk[].chain[] unit: indexes into vs_vm.lfiles. */
struct vs_unit {
  size_t *files;
  size_t n;
};

struct vs_disk {
  char *label;                  /* "Hard disk 1" */
  int key;
  char *file;                   /* the top of the chain, "[ds] path" */
  char *mode;                   /* diskMode: persistent, independent_* */
  char *backing;                /* the backing's type */
  int64_t capacity;             /* bytes */
  int64_t allocated;            /* the chain's files, bytes (-1 unknown) */
  char bus[8];                  /* scsi, sata, ide, nvme, unknown */
  char controller[16];          /* pvscsi, lsilogic, ahci, ... */
  char address[32];             /* scsi0:0 */
  char **chain;                 /* descriptors, top first (NULL-ended) */
  size_t nchain;
  struct vs_file *files;        /* every file of the chain, top first */
  size_t nfiles;
};

struct vs_nic {
  char id[32];                  /* ethernetN, in device order */
  char *label;
  char *mac;                    /* or NULL */
  char *model;                  /* vmxnet3, e1000, e1000e, ... */
  char *network;                /* or NULL */
  int connected;
};

struct vs_vm {
  char *moref;                  /* vm-123 */
  char *name;
  char *path;                   /* /DC1/vm/Folder/web01 */
  char *dc;                     /* the datacenter's inventory path,
                                   "DC1" or "Folder/DC1" */
  char *power;                  /* poweredOn, poweredOff, suspended */
  char *guest_id;
  char *firmware;               /* bios, efi (as the API says) */
  int secure_boot;              /* -1 unknown */
  char *uuid;                   /* BIOS UUID (config.uuid) */
  char *vmx;                    /* summary.config.vmPathName */
  char *tools;                  /* guest.toolsRunningStatus */
  int cpus, cores_per_socket;
  int64_t memory_mb;
  size_t nsnapshots;
  int is_template;
  struct vs_disk *disks;
  size_t ndisks;
  struct vs_nic *nics;
  size_t nnics;
  struct vs_file *lfiles;       /* layoutEx.file */
  size_t nlfiles;
  struct vs_unit *units;        /* layoutEx.disk[].chain[], all disks */
  size_t nunits;
};

struct vs_inventory {
  struct vs_vm *vms;
  size_t nvms;
};

/* Read every VM below the root folder (names, parents, hardware,
 * layoutEx, snapshots) in one property collection.  -1 reported.
 */
int vs_inventory_load (struct vs_session *s, struct vs_inventory *inv);

/* Parse the ObjectContent elements under the RetrievePropertiesEx /
 * ContinueRetrievePropertiesEx responses RETS[0..N) into INV.  LABEL
 * names the server in errors.  -1 reported.
 */
int vs_inventory_parse (xmlNode **rets, size_t n, const char *label,
                        struct vs_inventory *inv);
void vs_inventory_free (struct vs_inventory *inv);

/* (Re)read VM's disks from the hardware.device array DEVICES (a <val>
 * element): used for the VM's config, and after CreateSnapshot for the
 * snapshot's config (the frozen chain).  Files come from VM's layoutEx.
 * -1 reported.
 */
int vs_vm_set_disks (struct vs_vm *vm, xmlNode *devices, const char *label);

/* Why VM's disks cannot be copied (an RDM, an independent disk), or
 * NULL; *DISK gets the disk's label (borrowed).
 */
const char *vs_vm_unsupported (const struct vs_vm *vm, const char **disk);

/* "[ds] dir/x.vmdk": split into *DS and *PATH (allocated).  -1 reported. */
int vs_split_ds_path (const char *name, char **ds, char **path);

/* ---------------------------------------------------------------- */
/* vsphere.c */

/* Set by SIGINT/SIGTERM while a vSphere fetch runs. */
extern volatile sig_atomic_t vs_interrupted;

/* --list: print the inventory below URL to stdout.  -1 reported. */
int vsphere_list (const char *url, const struct remote_opts *ro,
                  const struct vsphere_opts *vo);

/* A fetch in three steps: vsphere_prepare connects and finds the VM
 * (*NAME: its name, caller frees); main then makes the workdir and the
 * manifest; vsphere_run plans (and with --snapshot snapshots), records
 * and downloads, then reads the downloaded disks as local files;
 * vsphere_finish removes our snapshot (noting it in M, which may be
 * NULL) and logs out, whatever happened (R: the run's result; returns R,
 * or -1 if the snapshot could not be removed).
 */
struct vs_job;
struct vs_job *vsphere_prepare (const char *url, const struct remote_opts *ro,
                                const struct vsphere_opts *vo, char **name);
int vsphere_run (struct vs_job *j, const struct fetch_opts *o,
                 json_object *m);
int vsphere_finish (struct vs_job *j, int r, json_object *m);

#endif
