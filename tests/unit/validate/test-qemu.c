/* h2k-validate: the QEMU command line. */

#include <string.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-validate/validate.h"

static char *
cmdline (struct qemu_cfg *cfg)
{
  CLEANUP_FREE_STRV char **argv = qemu_build_argv (cfg);

  return argv ? h2k_argv_to_string ((const char *const *) argv) : NULL;
}

static struct qemu_disk disks[2] = {
  { .id = "disk0", .path = "/a.vmdk", .format = "vmdk", .overlay = (char *) "/t/disk0.qcow2" },
  { .id = "disk1", .path = "/b.qcow2", .format = "qcow2", .overlay = (char *) "/t/disk1.qcow2" },
};

static struct qemu_cfg
base (const char *bus)
{
  struct qemu_cfg c = {
    .accel = "tcg", .machine = "q35", .bus = bus, .firmware = "bios",
    .memory_mb = 1024, .cpus = 1, .serial_log = "/t/serial.log",
    .disks = disks, .n_disks = 2,
  };
  return c;
}

#define HEAD "qemu-system-x86_64 -name h2k-validate -nodefaults -no-user-config " \
  "-machine q35 -accel tcg -cpu max -m 1024 -smp 1 -display none -monitor none " \
  "-no-reboot -serial file:/t/serial.log "

TEST (virtio_blk)
{
  struct qemu_cfg c = base ("virtio-blk");
  CLEANUP_FREE char *s = cmdline (&c);

  CHECK_STR (s, HEAD
             "-drive file=/t/disk0.qcow2,format=qcow2,if=none,id=disk0,cache=unsafe "
             "-device virtio-blk-pci,drive=disk0,bootindex=1 "
             "-drive file=/t/disk1.qcow2,format=qcow2,if=none,id=disk1,cache=unsafe "
             "-device virtio-blk-pci,drive=disk1,bootindex=2");
}

TEST (sata_uefi_nic)
{
  struct qemu_cfg c = base ("sata");
  struct net_nic nic = { .mac_text = "00:50:56:3a:5c:01", .our_port = 4000,
                         .qemu_port = 4001 };
  struct net_plan net = { .nics = &nic, .n_nics = 1 };
  CLEANUP_FREE char *s = NULL;

  c.n_disks = 1;
  c.firmware = "uefi";
  c.ovmf_code = "/fw/CODE.fd";
  c.ovmf_vars = "/t/VARS.fd";
  c.net = &net;
  s = cmdline (&c);
  CHECK_STR (s, HEAD
             "-drive if=pflash,format=raw,unit=0,readonly=on,file=/fw/CODE.fd "
             "-drive if=pflash,format=raw,unit=1,file=/t/VARS.fd "
             "-device ich9-ahci,id=ahci0 "
             "-drive file=/t/disk0.qcow2,format=qcow2,if=none,id=disk0,cache=unsafe "
             "-device ide-hd,drive=disk0,bus=ahci0.0,bootindex=1 "
             "-netdev socket,id=net0,udp=127.0.0.1:4000,localaddr=127.0.0.1:4001 "
             "-device virtio-net-pci,netdev=net0,mac=00:50:56:3a:5c:01");
}

TEST (virtio_scsi_kvm_kernel)
{
  struct qemu_cfg c = base ("virtio-scsi");
  CLEANUP_FREE char *s = NULL;

  c.n_disks = 1;
  c.accel = "kvm";
  c.cpus = 2;
  c.kernel = "/k/vmlinuz";
  c.initrd = "/k/initrd";
  c.append = "console=ttyS0 quiet";
  s = cmdline (&c);
  CHECK_STR (s, "qemu-system-x86_64 -name h2k-validate -nodefaults -no-user-config "
             "-machine q35 -accel kvm -cpu host -m 1024 -smp 2 -display none "
             "-monitor none -no-reboot -serial file:/t/serial.log "
             "-kernel /k/vmlinuz -initrd /k/initrd -append 'console=ttyS0 quiet' "
             "-device virtio-scsi-pci,id=scsi0 "
             "-drive file=/t/disk0.qcow2,format=qcow2,if=none,id=disk0,cache=unsafe "
             "-device scsi-hd,drive=disk0,bus=scsi0.0,channel=0,scsi-id=0,lun=0");
}

TEST (opts)
{
  struct validate_opts o = { .machine = "q35", .bus = "virtio-blk",
                             .memory_cap = 2048, .expect = "login:",
                             .signal = "beacon" };
  const char *why;

  CHECK_INT (validate_check_opts (&o, &why), 0);
  o.bus = "ide";
  CHECK_INT (validate_check_opts (&o, &why), -1);
  CHECK (strstr (why, "--bus") != NULL);
  o.bus = "sata";
  o.machine = "isapc";
  CHECK_INT (validate_check_opts (&o, &why), -1);
  CHECK (strstr (why, "--machine") != NULL);
  o.machine = "pc";
  o.initrd = "/x";
  CHECK_INT (validate_check_opts (&o, &why), -1);
  CHECK (strstr (why, "--kernel") != NULL);
  o.initrd = NULL;
  o.expect = "(";
  CHECK_INT (validate_check_opts (&o, &why), -1);
  CHECK (strstr (why, "--expect") != NULL);
  o.expect = "login:";
  o.signal = "login";
  CHECK_INT (validate_check_opts (&o, &why), 0);
  o.signal = "smoke";
  CHECK_INT (validate_check_opts (&o, &why), -1);
  CHECK_STR (why, "--signal: expected beacon or login");
}

int
main (void)
{
  RUN (virtio_blk);
  RUN (sata_uefi_nic);
  RUN (virtio_scsi_kvm_kernel);
  RUN (opts);
  return test_done ();
}
