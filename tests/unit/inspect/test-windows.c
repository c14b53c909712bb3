/* h2k-inspect: Windows registry reading (windows-registry.c) on the
 * corpus' real hives, and the Windows risks.  The hivex helpers it reads
 * through (common/winreg.c) are tested in tests/unit/common/test-winreg.c.
 *
 * The hives come from the corpus (corpus.h); without it the whole test
 * is skipped.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-inspect/inspect.h"
#include "../../../tools/h2k-inspect/windows.h"
#include "corpus.h"

/* guest.windows from the hive REL (a SYSTEM or a SOFTWARE hive). */
static json_object *
read_hive (const char *rel, int software)
{
  CLEANUP_FREE char *path = corpus_file (rel);
  CLEANUP_HIVEX hive_h *h = h2k_winreg_open (path, NULL, 0);
  json_object *win = json_object_new_object ();

  if (h == NULL || win == NULL ||
      (software ? win_read_software (h, win) : win_read_system (h, win)) == -1) {
    printf ("# reading %s failed: %s\n", rel, h2k_first_error ());
    h2k_clear_error ();
    json_object_put (win);
    return NULL;
  }
  return win;
}

/* The value at the JSON path P ("a.b.0.c") of O as a string ("" if none). */
static const char *
at (json_object *o, const char *p)
{
  char buf[256], *save = NULL;

  snprintf (buf, sizeof buf, "%s", p);
  for (char *k = strtok_r (buf, ".", &save); k && o; k = strtok_r (NULL, ".", &save)) {
    if (json_object_is_type (o, json_type_array))
      o = json_object_array_get_idx (o, atoi (k));
    else if (!json_object_object_get_ex (o, k, &o))
      o = NULL;
  }
  return o ? json_object_get_string (o) : "";
}

/* The entry of array ARR whose KEY is VAL. */
static json_object *
find (json_object *arr, const char *key, const char *val)
{
  for (size_t i = 0; arr && i < json_object_array_length (arr); ++i) {
    json_object *e = json_object_array_get_idx (arr, i);
    const char *s = h2k_json_get_string (e, key);
    if (s && strcmp (s, val) == 0)
      return e;
  }
  return NULL;
}

static json_object *
service (json_object *win, const char *name)
{
  return find (h2k_json_get_array (win, "services"), "name", name);
}

static json_object *
interface (json_object *win, const char *guid)
{
  return find (h2k_json_get_array (h2k_json_get_object (win, "network"), "interfaces"),
               "guid", guid);
}

/* Windows 7 SP1 x86, a VMware guest: two control sets, CDD, static IPv4. */
TEST (win7_system)
{
  CLEANUP_JSON json_object *w = read_hive ("registry-hives/regipy/SYSTEM.xz", 0);
  json_object *i;

  CHECK (w != NULL);
  if (w == NULL)
    return;
  CHECK_STR (at (w, "control_sets.current"), "ControlSet001");
  CHECK_STR (at (w, "control_sets.default"), "ControlSet001");
  CHECK_STR (at (w, "control_sets.last_known_good"), "ControlSet002");
  CHECK_STR (at (w, "control_sets.failed"), "");
  CHECK_STR (at (w, "control_sets.present.1"), "ControlSet002");
  CHECK_STR (at (w, "arch"), "i386");
  CHECK_STR (at (w, "critical_device_database"), "true");
  CHECK_STR (at (w, "driver_database"), "false");
  CHECK_STR (at (w, "hibernation.fast_startup"), "");
  CHECK_STR (at (service (w, "VMTools"), "hypervisor"), "vmware");
  CHECK_STR (at (service (w, "VMTools"), "kind"), "service");
  CHECK_STR (at (service (w, "vmci"), "kind"), "driver");
  CHECK (service (w, "pvscsi") == NULL);
  CHECK (service (w, "viostor") == NULL);
  /* Hyper-V's inbox drivers are there, as on every Windows 7. */
  CHECK_STR (at (service (w, "storvsc"), "hypervisor"), "hyperv");
  i = interface (w, "{698E50A9-4F58-4D86-B61D-F42E58DCACF6}");
  CHECK (i != NULL);
  CHECK_STR (at (i, "dhcp"), "false");
  CHECK_STR (at (i, "static"), "true");
  CHECK_STR (at (i, "ipv4.addresses.0"), "10.3.58.5");
  CHECK_STR (at (i, "ipv4.netmasks.0"), "255.255.255.0");
  CHECK_STR (at (i, "ipv4.gateways.0"), "10.3.58.1");
  CHECK_STR (at (i, "dns.0"), "10.3.58.4");
  i = interface (w, "{6AAFC9A9-0542-4DB2-8760-CCFFA953737C}");
  CHECK_STR (at (i, "ipv4.addresses.0"), "192.168.1.123");
  CHECK_STR (at (i, "dns.0"), "192.168.1.112");
}

/* Windows 10 x64, a VMware guest with pvscsi, vmxnet3 and an e1000e. */
TEST (win10_vmware_system)
{
  CLEANUP_JSON json_object *w = read_hive ("registry-hives/regipy/SYSTEM_WIN_10_1709.xz", 0);
  json_object *i;

  CHECK (w != NULL);
  if (w == NULL)
    return;
  CHECK_STR (at (w, "control_sets.current"), "ControlSet001");
  CHECK_STR (at (w, "control_sets.last_known_good"), "ControlSet001");
  CHECK_STR (at (w, "arch"), "x86_64");
  CHECK_STR (at (w, "driver_database"), "true");
  CHECK_STR (at (w, "hibernation.fast_startup"), "true");
  /* pvscsi and vmxnet3ndis6 are only installer stubs in this hive. */
  CHECK_STR (at (service (w, "pvscsi"), "start_mode"), "unknown");
  CHECK_STR (at (service (w, "pvscsi"), "kind"), "unknown");
  CHECK (h2k_json_get (service (w, "pvscsi"), "start") == NULL);
  CHECK_STR (at (service (w, "vmci"), "start_mode"), "boot");
  CHECK_INT (h2k_json_get_int (service (w, "vmci"), "start", -1), 0);
  CHECK_INT (h2k_json_get_int (service (w, "vmci"), "type", -1), 1);
  CHECK_STR (at (service (w, "vmci"), "image_path"), "System32\\drivers\\vmci.sys");
  CHECK_STR (at (service (w, "vm3dmp"), "start_mode"), "demand");
  CHECK_STR (at (service (w, "vm3dmp"), "image_path"), "\\SystemRoot\\system32\\DRIVERS\\vm3dmp.sys");
  CHECK_STR (at (service (w, "VMTools"), "start_mode"), "auto");
  CHECK_STR (at (service (w, "VMTools"), "kind"), "service");
  CHECK_STR (at (service (w, "VMTools"), "image_path"),
             "\"C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe\"");
  CHECK_STR (at (service (w, "vmxnet3ndis6"), "hypervisor"), "vmware");
  /* Windows' own spelling of the key name is kept. */
  CHECK_STR (at (service (w, "VMUsbMouse"), "hypervisor"), "vmware");
  CHECK (service (w, "VGAuthService") != NULL);
  CHECK (service (w, "vmvss") != NULL);
  CHECK (find (h2k_json_get_array (w, "antivirus"), "service", "WinDefend") != NULL);
  CHECK_STR (at (find (h2k_json_get_array (w, "antivirus"), "service", "Sense"), "builtin"), "true");
  /* The e1000e: DHCP; its MAC comes from the PCI serial in its instance id. */
  i = interface (w, "{5f3f359e-9d52-4566-9bec-37efdfb25abe}");
  CHECK (i != NULL);
  CHECK_STR (at (i, "dhcp"), "true");
  CHECK_STR (at (i, "static"), "false");
  CHECK_STR (at (i, "adapter.description"), "Intel(R) 82574L Gigabit Network Connection");
  CHECK_STR (at (i, "adapter.class_key"), "0002");
  CHECK_STR (at (i, "mac"), "00:0c:29:f3:ff:de");
  CHECK_STR (at (i, "mac_source"), "device-serial");
}

/* Windows 8.1 / 2012 R2 x64 in VirtualBox. */
TEST (win81_virtualbox_system)
{
  CLEANUP_JSON json_object *w = read_hive ("registry-hives/regipy/SYSTEM_2.xz", 0);

  CHECK (w != NULL);
  if (w == NULL)
    return;
  CHECK_STR (at (w, "driver_database"), "true");
  CHECK_STR (at (service (w, "VBoxGuest"), "hypervisor"), "virtualbox");
  CHECK_STR (at (service (w, "VBoxSF"), "hypervisor"), "virtualbox");
  CHECK_STR (at (service (w, "VBoxService"), "kind"), "service");
  CHECK (service (w, "vmci") == NULL);
  CHECK_STR (at (interface (w, "{B0E24C4B-50F2-4B60-BCB3-EF2C3FF3394E}"), "static"), "false");
}

/* The only real SOFTWARE hive: Windows NT 4.0 SP3. */
TEST (nt4_software)
{
  CLEANUP_JSON json_object *w = read_hive ("registry-hives/aiowinreg-nt4/software.reg", 1);

  CHECK (w != NULL);
  if (w == NULL)
    return;
  CHECK_STR (at (w, "version"), "4.0");
  CHECK_INT (h2k_json_get_int (w, "build", 0), 1381);
  CHECK_STR (at (w, "system_root"), "C:\\WINNT");
  CHECK_STR (at (w, "bitlocker.policy"), "false");
  CHECK (h2k_json_get_object (w, "device_install_restrictions") == NULL);
}

/* An empty hive has no version: nothing is recorded, and it is no error. */
TEST (minimal_software)
{
  CLEANUP_JSON json_object *w = read_hive ("registry-hives/hivex-images/minimal", 1);

  CHECK (w != NULL);
  CHECK (h2k_json_get (w, "version") == NULL);
  CHECK (h2k_json_get (w, "product") == NULL);
}

/* Not a SYSTEM hive: a clear error. */
TEST (not_a_system_hive)
{
  CLEANUP_FREE char *path = corpus_file ("registry-hives/hivex-images/minimal");
  CLEANUP_HIVEX hive_h *h = h2k_winreg_open (path, NULL, 0);
  CLEANUP_JSON json_object *w = json_object_new_object ();
  const char *e;

  CHECK (h != NULL);
  CHECK (win_read_system (h, w) == -1);
  e = h2k_first_error ();
  CHECK (e && strstr (e, "SYSTEM hive: no Select\\Current") != NULL);
  h2k_clear_error ();
}

/* ---------------------------------------------------------------- risks */

static const char base_win[] =
  "{ \"type\": \"windows\", \"firmware\": { \"kind\": \"bios\" },"
  "  \"windows\": { \"control_sets\": { \"current\": \"ControlSet001\" },"
  "    \"hibernation\": { \"hibernated\": false, \"fast_startup\": false },"
  "    \"bitlocker\": { \"volumes\": [], \"policy\": false },"
  "    \"boot\": { \"firmware\": \"bios\" },"
  "    \"services\": [ { \"name\": \"viostor\", \"hypervisor\": \"kvm\","
  "                      \"start\": 0, \"start_mode\": \"boot\" } ] } }";

/* Risks of BASE_WIN with guest.windows[KEY] = VALUE (JSON), summarised as
 * "code severity path; ..." (caller frees).
 */
static char *
risks_with (const char *key, const char *value)
{
  json_object *g = json_tokener_parse (base_win);
  json_object *m = json_object_new_object ();
  json_object *r;
  char *out = strdup ("");

  if (key)
    json_object_object_add (h2k_json_get_object (g, "windows"), key,
                            json_tokener_parse (value));
  if (compute_risks (m, g) == -1)
    printf ("# compute_risks failed: %s\n", h2k_first_error ());
  r = h2k_json_get_array (g, "risks");
  for (size_t i = 0; r && i < json_object_array_length (r); ++i) {
    json_object *e = json_object_array_get_idx (r, i);
    char *n;
    if (asprintf (&n, "%s%s%s %s %s", out, *out ? "; " : "",
                  h2k_json_get_string (e, "code"), h2k_json_get_string (e, "severity"),
                  h2k_json_get_string (e, "path") ? h2k_json_get_string (e, "path") : "-") == -1)
      exit (1);
    free (out);
    out = n;
  }
  json_object_put (g);
  json_object_put (m);
  return out;
}

TEST (risks_none)
{
  CLEANUP_FREE char *r = risks_with (NULL, NULL);
  CHECK_STR (r, "");
}

TEST (risks_no_virtio)
{
  CLEANUP_FREE char *r = risks_with ("services",
    "[ { \"name\": \"viostor\", \"hypervisor\": \"kvm\", \"start\": 3 },"
    "  { \"name\": \"pvscsi\", \"hypervisor\": \"vmware\", \"start\": 0, \"start_mode\": \"boot\" },"
    "  { \"name\": \"vmci\", \"hypervisor\": \"vmware\", \"start\": 4, \"start_mode\": \"disabled\" },"
    "  { \"name\": \"storvsc\", \"hypervisor\": \"hyperv\", \"start\": 0, \"start_mode\": \"boot\" } ]");
  CHECK_STR (r, "hypervisor-tools warning HKLM\\SYSTEM\\ControlSet001\\Services; "
             "windows-no-virtio-storage error HKLM\\SYSTEM\\ControlSet001\\Services");
}

TEST (risks_hibernation)
{
  CLEANUP_FREE char *r = risks_with ("hibernation",
    "{ \"hibernated\": true, \"fast_startup\": true,"
    "  \"ntfs\": [ { \"device\": \"/dev/sda1\", \"state\": \"unclean\" } ] }");
  CHECK_STR (r, "windows-hibernated error /hiberfil.sys; "
             "windows-ntfs-unclean warning /dev/sda1; "
             "windows-fast-startup warning "
             "HKLM\\SYSTEM\\ControlSet001\\Control\\Session Manager\\Power");
}

TEST (risks_policies)
{
  CLEANUP_FREE char *r1 = risks_with ("bitlocker", "{ \"volumes\": [ \"/dev/sdb1\" ] }");
  CLEANUP_FREE char *r2 = risks_with ("bitlocker", "{ \"volumes\": [], \"policy\": true }");
  CLEANUP_FREE char *r3 = risks_with ("device_install_restrictions",
                                      "{ \"DenyUnspecified\": 0, \"DenyDeviceClasses\": 1 }");
  CLEANUP_FREE char *r4 = risks_with ("device_install_restrictions", "{ \"DenyUnspecified\": 0 }");
  CLEANUP_FREE char *r5 = risks_with ("antivirus",
    "[ { \"service\": \"WinDefend\", \"builtin\": true, \"start_mode\": \"auto\" },"
    "  { \"service\": \"ekrn\", \"product\": \"ESET\", \"builtin\": false, \"start_mode\": \"auto\" },"
    "  { \"service\": \"AVP\", \"product\": \"Kaspersky\", \"builtin\": false, \"start_mode\": \"disabled\" } ]");

  CHECK_STR (r1, "windows-bitlocker warning /dev/sdb1");
  CHECK_STR (r2, "windows-bitlocker info HKLM\\SOFTWARE\\Policies\\Microsoft\\FVE");
  CHECK_STR (r3, "windows-device-install-policy warning "
             "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions");
  CHECK_STR (r4, "");
  CHECK_STR (r5, "windows-antivirus warning HKLM\\SYSTEM\\ControlSet001\\Services\\ekrn");
}

TEST (risks_static_ip)
{
  CLEANUP_FREE char *r = risks_with ("network",
    "{ \"interfaces\": ["
    "  { \"guid\": \"{A}\", \"dhcp\": false, \"static\": true,"
    "    \"ipv4\": { \"addresses\": [ \"10.0.0.5\" ] },"
    "    \"adapter\": { \"description\": \"vmxnet3 Ethernet Adapter\","
    "                   \"device_instance_id\": \"PCI\\\\VEN_15AD&DEV_07B0\\\\1\" },"
    "    \"mac_source\": \"not-in-registry\" },"
    "  { \"guid\": \"{B}\", \"dhcp\": true, \"static\": false,"
    "    \"adapter\": { \"device_instance_id\": \"PCI\\\\VEN_8086\\\\2\" } },"
    "  { \"guid\": \"{C}\", \"dhcp\": false, \"static\": true,"
    "    \"ipv4\": { \"addresses\": [ \"10.0.0.6\" ] },"
    "    \"adapter\": { \"device_instance_id\": \"ROOT\\\\MS_LOOP\\\\0000\" } } ] }");
  CHECK_STR (r, "windows-static-ip error "
             "HKLM\\SYSTEM\\ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces\\{A}");
}

TEST (risks_uefi_fallback)
{
  CLEANUP_FREE char *r1 = risks_with ("boot",
    "{ \"firmware\": \"uefi\", \"bcd_device\": \"/dev/sda1\", \"efi_fallback\": false }");
  CLEANUP_FREE char *r2 = risks_with ("boot",
    "{ \"firmware\": \"uefi\", \"bcd_device\": \"/dev/sda1\", \"efi_fallback\": true }");

  CHECK_STR (r1, "uefi-no-fallback-loader error /dev/sda1");
  CHECK_STR (r2, "");
}

int
main (void)
{
  int r;

  if (!corpus_open ("h2k-test-windows"))
    return 0;
  RUN (win7_system);
  RUN (win10_vmware_system);
  RUN (win81_virtualbox_system);
  RUN (nt4_software);
  RUN (minimal_software);
  RUN (not_a_system_hive);
  RUN (risks_none);
  RUN (risks_no_virtio);
  RUN (risks_hibernation);
  RUN (risks_policies);
  RUN (risks_static_ip);
  RUN (risks_uefi_fallback);
  r = test_done ();
  corpus_close ();
  return r;
}
