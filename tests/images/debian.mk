# Real, bootable Debian 12 guests as VMware leaves them (see debian-*.sh for
# what each holds; every image directory has a shell-sourceable `facts`).
#
#   debian-bios   MBR + grub-pc; VMDK, VMX, OVA and a snapshot chain
#   debian-uefi   GPT + ESP + grub-efi-amd64 (distro loader path only)
#   debian-lvm    two disks: /boot on disk 1, LVM root and swap on disk 2
#
# All three start from one debootstrap, kept as debian-rootfs-<key>/
# (not in IMAGES: nothing tests it directly); its .debs are also cached in
# $(H2K_TEST_IMAGES)/cache/debootstrap.

DEBIAN_IMAGES := debian-bios debian-uefi debian-lvm
IMAGES += $(DEBIAN_IMAGES)

# $(call debian_link,NAME,DIR): point $(H2K_TEST_IMAGES)/NAME at DIR unless
# it already does.
debian_link = l='$(H2K_TEST_IMAGES)/$(1)'; t='$(notdir $(2))'; \
	[ "$$(readlink "$$l" 2>/dev/null)" = "$$t" ] || \
	{ ln -sfn "$$t" "$$l.tmp.$$$$" && mv -T "$$l.tmp.$$$$" "$$l"; }

debian_rootfs_files := $(srcdir)/debian-lib.sh $(srcdir)/debian-rootfs.sh
debian_rootfs_dir := $(H2K_TEST_IMAGES)/debian-rootfs-$(call key,$(debian_rootfs_files))
debian_common := $(debian_rootfs_files) $(srcdir)/debian-vmware.sh $(srcdir)/debian.mk

$(debian_rootfs_dir):
	bash $(srcdir)/debian-rootfs.sh $@
debian-rootfs: $(debian_rootfs_dir)
	@$(call debian_link,debian-rootfs,$<)

define debian_rule
debian_dir_$(1) := $$(H2K_TEST_IMAGES)/$(1)-$$(call key,$$(debian_common) $$(srcdir)/$(1).sh)
$(1): $$(debian_dir_$(1))
	@$$(call debian_link,$(1),$$<)
$$(debian_dir_$(1)): | $$(debian_rootfs_dir)
	bash $$(srcdir)/$(1).sh $$@ $$(debian_rootfs_dir)
endef
$(foreach n,$(DEBIAN_IMAGES),$(eval $(call debian_rule,$(n))))

debian-images: $(DEBIAN_IMAGES)
.PHONY: debian-rootfs debian-images
