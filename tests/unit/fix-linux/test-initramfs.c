/* h2k-fix-linux: adding the virtio modules to a shell list assignment
 * (mkinitcpio's MODULES=(...), SUSE's INITRD_MODULES="...").
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "test.h"
#include "cleanup.h"
#include "manifest.h"
#include "../../../tools/h2k-fix-linux/fix-linux.h"

static const char *const virtio[] = {
  "virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net", NULL
};

static void
check_list (const char *line, const char *want, int want_added)
{
  int added = -2;
  CLEANUP_FREE char *got = list_assignment_with (line, virtio, &added);

  CHECK_STR (got, want);
  CHECK_INT (added, want_added);
}

TEST (arrays)
{
  check_list ("MODULES=()", "MODULES=(virtio_pci virtio_blk virtio_scsi virtio_net)", 4);
  check_list ("MODULES=(vmw_pvscsi)",
              "MODULES=(vmw_pvscsi virtio_pci virtio_blk virtio_scsi virtio_net)", 4);
  check_list ("MODULES=(virtio_blk vmw_pvscsi virtio_pci) # storage",
              "MODULES=(virtio_blk vmw_pvscsi virtio_pci virtio_scsi virtio_net) # storage", 2);
  check_list ("MODULES=(virtio_net virtio_scsi virtio_blk virtio_pci)",
              "MODULES=(virtio_net virtio_scsi virtio_blk virtio_pci)", 0);
  /* A word that only starts like a module is not that module. */
  check_list ("MODULES=(virtio_blk2)",
              "MODULES=(virtio_blk2 virtio_pci virtio_blk virtio_scsi virtio_net)", 4);
}

TEST (quoted)
{
  check_list ("INITRD_MODULES=\"\"",
              "INITRD_MODULES=\"virtio_pci virtio_blk virtio_scsi virtio_net\"", 4);
  check_list ("INITRD_MODULES=\"mptspi ata_piix\"",
              "INITRD_MODULES=\"mptspi ata_piix virtio_pci virtio_blk virtio_scsi virtio_net\"", 4);
  check_list ("INITRD_MODULES='  vmw_pvscsi  '",
              "INITRD_MODULES='  vmw_pvscsi   virtio_pci virtio_blk virtio_scsi virtio_net'", 4);
  check_list ("INITRD_MODULES=mptspi",
              "INITRD_MODULES=\"mptspi virtio_pci virtio_blk virtio_scsi virtio_net\"", 4);
  check_list ("INITRD_MODULES=",
              "INITRD_MODULES=\"virtio_pci virtio_blk virtio_scsi virtio_net\"", 4);
}

TEST (not_a_list)
{
  int added = 0;
  char *got;

  got = list_assignment_with ("no assignment here", virtio, &added);
  CHECK (got == NULL);
  CHECK_INT (added, -1);
  got = list_assignment_with ("MODULES=(unterminated", virtio, &added);
  CHECK (got == NULL);
  CHECK_INT (added, -1);
  got = list_assignment_with ("X=\"open", virtio, &added);
  CHECK (got == NULL);
  CHECK_INT (added, -1);
}

int
main (void)
{
  RUN (arrays);
  RUN (quoted);
  RUN (not_a_list);
  return test_done ();
}
