/* h2k-fetch: fetch_vmx: the manifest from a VMX (parsed by vmx.c,
 * described by vmx-describe.c); every disk goes to fetch_add_disk.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "h2k.h"
#include "fetch.h"
#include "vmx.h"
#include "vmx-priv.h"

/* ---------------------------------------------------------------- */
/* fetch_vmx: the manifest from a VMX. */

#define CLEANUP_VM H2K_CLEANUP (vmx_vm_free)

/* The VM's name from the VMX (for main, which needs it before the
 * workdir exists): displayName, or NULL.  Caller frees.  *ERR is set
 * to -1 (reported) if the VMX cannot be parsed.
 */
char *
fetch_vmx_name (const char *path, int *err)
{
  CLEANUP_VMX struct vmx *vmx = vmx_parse_file (path);
  const char *n;
  char *r = NULL;

  *err = 0;
  if (vmx == NULL) {
    *err = -1;
    return NULL;
  }
  n = vmx_get (vmx, "displayName");
  if (n && *n && (r = strdup (n)) == NULL) {
    h2k_error ("%s: %m", path);
    *err = -1;
  }
  return r;
}

static int
set_vm_fields (json_object *jvm, const struct vmx_vm *vm, const char *path)
{
  char hw[32] = "";

  if (vm->hardware_version &&
      fetch_vmx_hw_version (vm->hardware_version, hw, sizeof hw) == -1) {
    h2k_warning ("%s: virtualHW.version \"%.16s\" is not a version number: "
                 "not recorded", path, vm->hardware_version);
    hw[0] = '\0';
  }
  if (h2k_json_set_string (jvm, "firmware", vm->firmware) == -1 ||
      (vm->secure_boot >= 0 &&
       h2k_json_set_bool (jvm, "secure_boot", vm->secure_boot) == -1) ||
      h2k_json_set_int (jvm, "cpus", vm->cpus) == -1 ||
      (vm->cores_per_socket &&
       h2k_json_set_int (jvm, "cores_per_socket", vm->cores_per_socket) == -1) ||
      h2k_json_set_int (jvm, "memory_mb", vm->memory_mb) == -1 ||
      (hw[0] && h2k_json_set_string (jvm, "hardware_version", hw) == -1) ||
      (vm->guest_os &&
       h2k_json_set_string (jvm, "guest_os_hint", vm->guest_os) == -1))
    return -1;
  return 0;
}

static int
set_nics (json_object *jvm, const struct vmx_vm *vm)
{
  json_object *nics = h2k_json_ensure_array (jvm, "nics");

  if (nics == NULL)
    return -1;
  for (size_t i = 0; i < vm->nnics; ++i) {
    const struct vmx_nic *n = &vm->nics[i];
    json_object *o = json_object_new_object ();

    if (h2k_json_array_add (nics, o) == -1)
      return -1;
    if (h2k_json_set_string (o, "id", n->id) == -1 ||
        (n->mac[0] ? h2k_json_set_string (o, "mac", n->mac)
         : h2k_json_set_null (o, "mac")) == -1 ||
        (n->model[0] && h2k_json_set_string (o, "model", n->model) == -1) ||
        (n->network && h2k_json_set_string (o, "network", n->network) == -1) ||
        h2k_json_set_bool (o, "connected", n->connected) == -1)
      return -1;
  }
  return 0;
}

/* Resolve every disk's file against the VMX's directory and check that
 * it exists, before anything is probed or copied.  PATHS gets one
 * allocated string per disk.
 */
static int
resolve_disks (const char *path, const char *dir, const struct vmx_vm *vm,
               char **paths)
{
  for (size_t i = 0; i < vm->ndisks; ++i) {
    struct stat st;
    CLEANUP_FREE char *joined = h2k_path_join (dir, vm->disks[i].file);

    if (joined == NULL)
      return -1;
    paths[i] = h2k_absolute_path (joined);
    if (paths[i] == NULL)
      return -1;
    if (stat (paths[i], &st) == -1) {
      h2k_error ("%s: %s.fileName: %s: %m", path, vm->disks[i].address,
                 paths[i]);
      return -1;
    }
    if (!S_ISREG (st.st_mode)) {
      h2k_error ("%s: %s.fileName: %s: not a regular file", path,
                 vm->disks[i].address, paths[i]);
      return -1;
    }
    for (size_t j = 0; j < i; ++j)
      if (strcmp (paths[i], paths[j]) == 0) {
        h2k_error ("%s: %s.fileName: the same file as %s.fileName", path,
                   vm->disks[i].address, vm->disks[j].address);
        return -1;
      }
  }
  return 0;
}

static int
add_disks (json_object *m, const char *path, const struct vmx_vm *vm,
           const struct fetch_opts *o)
{
  CLEANUP_FREE char *abs = h2k_absolute_path (path);
  CLEANUP_FREE char *dir = abs ? h2k_dirname (abs) : NULL;
  CLEANUP_FREE_STRV char **paths = calloc (vm->ndisks + 1, sizeof (char *));

  if (dir == NULL || paths == NULL) {
    if (paths == NULL)
      h2k_error ("%s: %m", path);
    return -1;
  }
  if (resolve_disks (path, dir, vm, paths) == -1)
    return -1;
  for (size_t i = 0; i < vm->ndisks; ++i) {
    const struct fetch_disk_attach at = {
      .bus = vm->disks[i].bus_name,
      .controller = vm->disks[i].controller_model,
      .address = vm->disks[i].address,
    };
    if (fetch_add_disk (m, paths[i], NULL, &at, o) == -1)
      return -1;
  }
  return 0;
}

static int
set_source (json_object *jvm, const char *path)
{
  CLEANUP_FREE char *abs = h2k_absolute_path (path);
  json_object *src;
  char sha[65];

  if (abs == NULL || h2k_sha256_file (path, sha) == -1)
    return -1;
  src = h2k_json_ensure_object (jvm, "source");
  if (src == NULL ||
      h2k_json_set_string (src, "kind", "vmx") == -1 ||
      h2k_json_set_string (src, "path", abs) == -1 ||
      h2k_json_set_string (src, "sha256", sha) == -1)
    return -1;
  return 0;
}

int
fetch_vmx (const char *path, const struct fetch_opts *o, json_object *m)
{
  CLEANUP_VMX struct vmx *vmx = vmx_parse_file (path);
  CLEANUP_VM struct vmx_vm vm = { 0 };
  json_object *jvm = h2k_json_get_object (m, "vm");

  if (vmx == NULL || vmx_describe (vmx, path, &vm) == -1)
    return -1;
  h2k_debug ("%s: %zu keys, %zu disks, %zu NICs", path, vmx_count (vmx),
             vm.ndisks, vm.nnics);
  if (vm.memory_default)
    h2k_warning ("%s: no memsize, assuming VMware's default of 32 MiB", path);
  if (vm.ndisks == 0)
    h2k_warning ("%s: no hard disk found", path);
  if (jvm == NULL) {
    h2k_error ("%s: manifest has no vm object", path);
    return -1;
  }
  if ((o->name == NULL && vm.name &&
       h2k_json_set_string (jvm, "name", vm.name) == -1) ||
      set_source (jvm, path) == -1 ||
      set_vm_fields (jvm, &vm, path) == -1 ||
      set_nics (jvm, &vm) == -1)
    return -1;
  return add_disks (m, path, &vm, o);
}
