/* h2k-fetch: the VMX parser, pure (no disk access beyond reading the
 * .vmx itself), so that unit tests can run it on any VMX.
 *
 * The format, as VMware writes it and as virt-v2v and libvirt read it:
 *
 *   # comment                       (also a "#!/usr/bin/vmware" first line)
 *   key = "value"                   (whitespace around '=' optional)
 *   key = value                     (unquoted: rare, accepted)
 *
 * Keys are case-insensitive ASCII.  In values, "|XX" (two hex digits) is
 * the byte 0xXX: "|22" is '"', "|7C" is '|', "|0A" a newline.  A key given
 * twice: the last one wins.  "NS.present = FALSE" hides the device NS.
 */
#ifndef H2K_FETCH_VMX_H
#define H2K_FETCH_VMX_H

#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

/* Limits against hostile or broken input. */
#define VMX_MAX_FILE   (16u << 20)      /* bytes in a .vmx */
#define VMX_MAX_KEYS   10000            /* key = value lines */
#define VMX_MAX_KEY    256              /* bytes in a key */
#define VMX_MAX_VALUE  65536            /* bytes in a value, before unescaping */
#define VMX_MAX_DISKS  256
#define VMX_MAX_NICS   64

struct vmx;                     /* the parsed key/value pairs */

/* Parse BUF (LEN bytes, NUL-terminated); NAME prefixes every message
 * ("NAME: line N: problem").  Caller frees with vmx_free.  NULL reported.
 */
struct vmx *vmx_parse (const char *buf, size_t len, const char *name);

/* Read and parse the file PATH. */
struct vmx *vmx_parse_file (const char *path);

void vmx_free (struct vmx *vmx);
H2K_DEFINE_CLEANUP (struct vmx, vmx_free)

/* The value of KEY (any case), unescaped, or NULL.  Borrowed from vmx. */
const char *vmx_get (const struct vmx *vmx, const char *key);

/* Number of distinct keys. */
size_t vmx_count (const struct vmx *vmx);

/* The line on which KEY was (last) set, or 0. */
unsigned vmx_line (const struct vmx *vmx, const char *key);

/* What h2k-fetch takes from a VMX.  Strings are borrowed from the
 * struct vmx, which must outlive the description, except the fixed
 * arrays.  NULL means "not in the VMX".
 */
enum vmx_bus { VMX_BUS_SCSI, VMX_BUS_SATA, VMX_BUS_NVME, VMX_BUS_IDE };

struct vmx_disk {
  enum vmx_bus bus;
  const char *bus_name;         /* "scsi", "sata", "nvme", "ide" */
  unsigned controller;          /* N in scsiN:M */
  unsigned unit;                /* M */
  char address[32];             /* "scsi0:0" as VMware names it */
  char controller_model[32];    /* pvscsi, lsilogic, lsisas1068, buslogic,
                                   ahci, nvme, ide */
  const char *file;             /* fileName as written */
};

struct vmx_nic {
  unsigned index;               /* N in ethernetN */
  char id[32];                  /* "ethernet0" */
  char mac[18];                 /* "00:50:56:xx:xx:xx", lowercase; "" if none */
  char model[32];               /* virtualDev, lowercase; "" if unset */
  const char *network;          /* networkName */
  const char *connection_type;  /* connectionType: bridged, nat, custom, ... */
  int connected;                /* startConnected (default 1) */
};

struct vmx_vm {
  const char *name;             /* displayName */
  const char *firmware;         /* "bios" or "uefi" */
  int secure_boot;              /* -1 if not set */
  int64_t memory_mb;            /* memsize; 32 (VMware's default) if unset */
  int memory_default;           /* memsize was not set */
  int cpus;                     /* numvcpus, default 1 */
  int cores_per_socket;         /* cpuid.coresPerSocket, 0 if unset */
  const char *hardware_version; /* virtualHW.version */
  const char *guest_os;         /* guestOS */
  struct vmx_disk *disks;       /* sorted: scsi, sata, nvme, ide; then N, M */
  size_t ndisks;
  struct vmx_nic *nics;         /* sorted by N */
  size_t nnics;
};

/* Extract the VM description from VMX.  NAME prefixes messages
 * ("NAME: memsize: ...").  Caller frees with vmx_vm_free.  -1 reported.
 */
int vmx_describe (const struct vmx *vmx, const char *name, struct vmx_vm *vm);

void vmx_vm_free (struct vmx_vm *vm);
H2K_DEFINE_CLEANUP_STRUCT (struct vmx_vm, vmx_vm_free)

/* For main, which needs the VM's name before the workdir exists: the
 * displayName of the VMX file PATH, or NULL if it has none.  Caller
 * frees.  *ERR is set to -1 (reported) if the file cannot be parsed.
 */
char *fetch_vmx_name (const char *path, int *err);

#endif
