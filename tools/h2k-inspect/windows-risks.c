/* h2k-inspect: the risks of a Windows guest, from guest.windows alone
 * (see risks.c; the codes are listed in h2k-inspect(1)).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "inspect.h"
#include "windows.h"

/* "HKLM\SYSTEM\ControlSetNNN\SUB" for the current control set. */
static char *
system_key (json_object *win, const char *sub)
{
  const char *cs = h2k_json_get_string (h2k_json_get_object (win, "control_sets"), "current");
  char *s;

  if (asprintf (&s, "HKLM\\SYSTEM\\%s\\%s", cs ? cs : "CurrentControlSet", sub) == -1)
    return NULL;
  return s;
}

static int
hibernation_risks (json_object *win, json_object *risks)
{
  json_object *hib = h2k_json_get_object (win, "hibernation");
  json_object *nt = h2k_json_get_array (hib, "ntfs");
  CLEANUP_FREE char *power = system_key (win, "Control\\Session Manager\\Power");

  if (power == NULL)
    return -1;
  if (h2k_json_get_bool (hib, "hibernated", 0) &&
      add_risk (risks, "windows-hibernated", "error", "/hiberfil.sys", 0,
                "Windows is hibernated (or was shut down with Fast Startup): "
                "its NTFS volumes cannot be changed safely; boot it on the "
                "source and shut it down fully (shutdown /s /t 0)") == -1)
    return -1;
  for (size_t i = 0; i < h2k_json_array_len (nt); ++i) {
    json_object *v = json_object_array_get_idx (nt, i);
    const char *st = h2k_json_get_string (v, "state");
    if (st && strcmp (st, "unclean") == 0 &&
        add_risk (risks, "windows-ntfs-unclean", "warning",
                  h2k_json_get_string (v, "device"), 0,
                  "the NTFS volume %s was not unmounted cleanly: run chkdsk "
                  "on the source", h2k_json_get_string (v, "device")) == -1)
      return -1;
  }
  if (h2k_json_get_bool (hib, "fast_startup", 0) &&
      add_risk (risks, "windows-fast-startup", "warning", power, 0,
                "Fast Startup is on (HiberbootEnabled=1): a normal shutdown "
                "of the source leaves NTFS hibernated; shut it down with "
                "shutdown /s /t 0 or turn Fast Startup off") == -1)
    return -1;
  return 0;
}

static int
policy_risks (json_object *win, json_object *risks)
{
  json_object *bl = h2k_json_get_object (win, "bitlocker");
  json_object *vols = h2k_json_get_array (bl, "volumes");
  json_object *dir = h2k_json_get_object (win, "device_install_restrictions");
  json_object *av = h2k_json_get_array (win, "antivirus");
  static const char *const denies[] = {
    "DenyUnspecified", "DenyRemovableDevices", "DenyDeviceIDs",
    "DenyDeviceClasses", "DenyInstanceIDs", NULL
  };

  for (size_t i = 0; i < h2k_json_array_len (vols); ++i)
    if (add_risk (risks, "windows-bitlocker", "warning",
                  json_object_get_string (json_object_array_get_idx (vols, i)), 0,
                  "%s is a BitLocker volume: its contents were not inspected, "
                  "and a TPM protector will ask for the recovery key on the new "
                  "hardware", json_object_get_string (json_object_array_get_idx (vols, i))) == -1)
      return -1;
  if (h2k_json_array_len (vols) == 0 && h2k_json_get_bool (bl, "policy", 0) &&
      add_risk (risks, "windows-bitlocker", "info",
                "HKLM\\SOFTWARE\\Policies\\Microsoft\\FVE", 0,
                "a BitLocker Group Policy is set; no encrypted volume was found") == -1)
    return -1;
  for (size_t i = 0; dir && denies[i]; ++i)
    if (h2k_json_get_int (dir, denies[i], 0) != 0) {
      if (add_risk (risks, "windows-device-install-policy", "warning",
                    "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions", 0,
                    "Group Policy restricts device installation (%s=1): the "
                    "virtio drivers may be refused at first boot", denies[i]) == -1)
        return -1;
      break;
    }
  for (size_t i = 0; i < h2k_json_array_len (av); ++i) {
    json_object *a = json_object_array_get_idx (av, i);
    const char *mode = h2k_json_get_string (a, "start_mode");
    CLEANUP_FREE char *sub = NULL, *key = NULL;
    if (h2k_json_get_bool (a, "builtin", 0) || (mode && strcmp (mode, "disabled") == 0))
      continue;
    if (asprintf (&sub, "Services\\%s", h2k_json_get_string (a, "service")) == -1 ||
        (key = system_key (win, sub)) == NULL ||
        add_risk (risks, "windows-antivirus", "warning", key, 0,
                  "%s (service %s) is installed: it may block driver "
                  "installation or the first-boot scripts",
                  h2k_json_get_string (a, "product"), h2k_json_get_string (a, "service")) == -1)
      return -1;
  }
  return 0;
}

/* One risk per foreign hypervisor with enabled drivers or services. */
static int
tools_risks (json_object *win, json_object *risks)
{
  static const char *const hvs[][2] = {
    { "vmware", "VMware" }, { "virtualbox", "VirtualBox" }, { "xen", "Xen" },
  };
  json_object *svcs = h2k_json_get_array (win, "services");
  CLEANUP_FREE char *key = system_key (win, "Services");

  if (key == NULL)
    return -1;
  for (size_t h = 0; h < 3; ++h) {
    char names[512] = "";
    size_t n = 0;

    for (size_t i = 0; i < h2k_json_array_len (svcs); ++i) {
      json_object *s = json_object_array_get_idx (svcs, i);
      const char *mode = h2k_json_get_string (s, "start_mode");
      if (strcmp (h2k_json_get_string (s, "hypervisor"), hvs[h][0]) != 0 ||
          (mode && strcmp (mode, "disabled") == 0))
        continue;
      if (strlen (names) + 64 < sizeof names)
        snprintf (names + strlen (names), sizeof names - strlen (names), "%s%s",
                  n ? ", " : "", h2k_json_get_string (s, "name"));
      ++n;
    }
    if (n > 0 &&
        add_risk (risks, "hypervisor-tools", "warning", key, 0,
                  "%zu %s driver(s)/service(s) are enabled (%s): they fail "
                  "or hang off %s", n, hvs[h][1], names, hvs[h][1]) == -1)
      return -1;
  }
  return 0;
}

static int
storage_risks (json_object *win, json_object *risks)
{
  json_object *svcs = h2k_json_get_array (win, "services");
  CLEANUP_FREE char *key = system_key (win, "Services");

  if (key == NULL)
    return -1;
  for (size_t i = 0; i < h2k_json_array_len (svcs); ++i) {
    json_object *s = json_object_array_get_idx (svcs, i);
    const char *name = h2k_json_get_string (s, "name");
    if ((strcasecmp (name, "viostor") == 0 || strcasecmp (name, "vioscsi") == 0) &&
        h2k_json_get_int (s, "start", -1) == 0)
      return 0;
  }
  return add_risk (risks, "windows-no-virtio-storage", "error", key, 0,
                   "no virtio storage driver (viostor, vioscsi) is registered "
                   "to start at boot: Windows stops with 0x7B "
                   "INACCESSIBLE_BOOT_DEVICE on a virtio disk");
}

static int
network_risks (json_object *win, json_object *risks)
{
  json_object *ifs = h2k_json_get_array (h2k_json_get_object (win, "network"), "interfaces");

  for (size_t i = 0; i < h2k_json_array_len (ifs); ++i) {
    json_object *f = json_object_array_get_idx (ifs, i);
    json_object *ad = h2k_json_get_object (f, "adapter");
    const char *inst = h2k_json_get_string (ad, "device_instance_id");
    const char *mac = h2k_json_get_string (f, "mac");
    CLEANUP_FREE char *sub = NULL, *key = NULL;

    if (!h2k_json_get_bool (f, "static", 0) || inst == NULL ||
        strncasecmp (inst, "PCI\\", 4) != 0)
      continue;
    if (asprintf (&sub, "Services\\Tcpip\\Parameters\\Interfaces\\%s",
                  h2k_json_get_string (f, "guid")) == -1 ||
        (key = system_key (win, sub)) == NULL)
      return -1;
    if (add_risk (risks, "windows-static-ip", "error", key, 0,
                  "%s (%s, MAC %s) has a static address %s: the virtio NIC "
                  "is a new adapter and starts without it",
                  h2k_json_get_string (ad, "connection_name")
                  ? h2k_json_get_string (ad, "connection_name") : h2k_json_get_string (f, "guid"),
                  h2k_json_get_string (ad, "description"),
                  mac ? mac : "not in the registry",
                  json_object_get_string (json_object_array_get_idx (
                    h2k_json_get_array (h2k_json_get_object (f, "ipv4"), "addresses"), 0))) == -1)
      return -1;
  }
  return 0;
}

static int
boot_risks (json_object *win, json_object *risks)
{
  json_object *boot = h2k_json_get_object (win, "boot");
  const char *fw = h2k_json_get_string (boot, "firmware");

  if (fw && strcmp (fw, "bios") != 0 && !h2k_json_get_bool (boot, "efi_fallback", 1) &&
      add_risk (risks, "uefi-no-fallback-loader", "error",
                h2k_json_get_string (boot, "bcd_device"), 0,
                "the ESP has no fallback loader \\EFI\\Boot\\bootx64.efi: the "
                "source booted from an NVRAM entry that does not move") == -1)
    return -1;
  return 0;
}

int
windows_risks (json_object *guest, json_object *risks)
{
  json_object *win = h2k_json_get_object (guest, "windows");

  if (win == NULL)
    return 0;
  if (hibernation_risks (win, risks) == -1 ||
      policy_risks (win, risks) == -1 ||
      tools_risks (win, risks) == -1 ||
      storage_risks (win, risks) == -1 ||
      network_risks (win, risks) == -1 ||
      boot_risks (win, risks) == -1)
    return -1;
  return 0;
}
