/* h2k-inspect: Windows guests.
 *
 * windows.c pulls the SYSTEM and SOFTWARE hives out of the guest into a
 * private temporary directory, looks at files and volumes (hibernation,
 * BitLocker, BCD, fallback loader) and fills guest.windows;
 * windows-registry.c reads the hives with hivex (no appliance: the unit
 * tests run it on the corpus' real hives) through common/winreg.h;
 * windows-risks.c derives the Windows risks from guest alone.
 */
#ifndef H2K_INSPECT_WINDOWS_H
#define H2K_INSPECT_WINDOWS_H

#include <stdint.h>

#include <hivex.h>
#include <json-c/json.h>

/* windows-registry.c: fill WIN (guest.windows) from the SYSTEM hive and
 * from the SOFTWARE hive (either may be NULL: what it holds is then left
 * out).  -1 reported.
 */
int win_read_system (hive_h *sys, json_object *win);
int win_read_software (hive_h *sw, json_object *win);

/* windows-risks.c: append the Windows risks of GUEST to RISKS. */
int windows_risks (json_object *guest, json_object *risks);

#endif
