# Phony guests (not bootable; built from files, one libguestfs launch each)
# and a fake virtio-win tree.  See phony-windows.sh, phony-linux.sh and
# phony-virtio-win.sh for what each contains; every image directory holds a
# shell-sourceable `facts` file describing it for tests.
#
#   win7 win10 win10-hiber win2019 win11 win2022   phony Windows guests
#   rhel8 rhel9 sles15 ubuntu2204 arch              phony Linux guests
#   virtio-win-fake                                 fake virtio-win tree + ISO

PHONY_WINDOWS := win7 win10 win10-hiber win2019 win11 win2022
PHONY_LINUX   := rhel8 rhel9 sles15 ubuntu2204 arch
PHONY_OTHER   := virtio-win-fake

IMAGES += $(PHONY_WINDOWS) $(PHONY_LINUX) $(PHONY_OTHER)

# $(call phony_link,NAME,DIR): point $(H2K_TEST_IMAGES)/NAME at DIR unless it
# already does (then nothing happens: a second `make NAME` is a no-op).
phony_link = l='$(H2K_TEST_IMAGES)/$(1)'; t='$(notdir $(2))'; \
	[ "$$(readlink "$$l" 2>/dev/null)" = "$$t" ] || \
	{ ln -sfn "$$t" "$$l.tmp.$$$$" && mv -T "$$l.tmp.$$$$" "$$l"; }

phony_common := $(srcdir)/phony-lib.sh $(srcdir)/phony.mk

# ---- Windows
phony_win_files = $(phony_common) $(srcdir)/phony-windows.sh \
	$(srcdir)/phony-windows/stub.c $(srcdir)/phony-windows/vmware-services.reg \
	$(srcdir)/phony-windows/win7-cdd.reg $(srcdir)/phony-windows/$(1).conf

define phony_windows_rule
phony_dir_$(1) := $$(H2K_TEST_IMAGES)/$(1)-$$(call key,$$(call phony_win_files,$(1)))
$(1): $$(phony_dir_$(1))
	@$$(call phony_link,$(1),$$<)
$$(phony_dir_$(1)):
	$$(srcdir)/phony-windows.sh $(1) $$@
endef
$(foreach n,$(PHONY_WINDOWS),$(eval $(call phony_windows_rule,$(n))))

# ---- Linux
phony_linux_files = $(phony_common) $(srcdir)/phony-linux.sh \
	$(srcdir)/phony-linux/$(1).conf \
	$(sort $(shell find $(srcdir)/phony-linux/common $(srcdir)/phony-linux/$(1) -type f 2>/dev/null))

define phony_linux_rule
phony_dir_$(1) := $$(H2K_TEST_IMAGES)/$(1)-$$(call key,$$(call phony_linux_files,$(1)))
$(1): $$(phony_dir_$(1))
	@$$(call phony_link,$(1),$$<)
$$(phony_dir_$(1)):
	$$(srcdir)/phony-linux.sh $(1) $$@
endef
$(foreach n,$(PHONY_LINUX),$(eval $(call phony_linux_rule,$(n))))

# ---- virtio-win
phony_dir_virtio-win-fake := $(H2K_TEST_IMAGES)/virtio-win-fake-$(call key,$(phony_common) \
	$(srcdir)/phony-virtio-win.sh $(srcdir)/phony-virtio-win/files.txt)
virtio-win-fake: $(phony_dir_virtio-win-fake)
	@$(call phony_link,virtio-win-fake,$<)
$(phony_dir_virtio-win-fake):
	$(srcdir)/phony-virtio-win.sh virtio-win-fake $@

phony-images: $(PHONY_WINDOWS) $(PHONY_LINUX) $(PHONY_OTHER)
.PHONY: phony-images
