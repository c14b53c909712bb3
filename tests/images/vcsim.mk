# vcsim: VMware's vSphere simulator (govmomi's simulator package from
# Debian's golang-github-vmware-govmomi-dev) with h2k's test inventory,
# built offline from tests/vcsim/main.go (by vcsim.sh) into
# $(H2K_TEST_IMAGES)/vcsim-<key>/vcsim.  The key covers main.go, the
# builder and the versions of the Go toolchain and of govmomi.

IMAGES += vcsim

vcsim_files := $(srcdir)/../vcsim/main.go $(srcdir)/vcsim.sh $(srcdir)/vcsim.mk
vcsim_versions := $(shell dpkg-query -W golang-go golang-github-vmware-govmomi-dev 2>/dev/null)
vcsim_dir := $(H2K_TEST_IMAGES)/vcsim-$(shell { cat $(vcsim_files); echo '$(vcsim_versions)'; } | sha256sum | cut -c1-12)

vcsim: $(vcsim_dir)
	@l='$(H2K_TEST_IMAGES)/vcsim'; t='$(notdir $(vcsim_dir))'; \
	[ "$$(readlink "$$l" 2>/dev/null)" = "$$t" ] || \
	{ ln -sfn "$$t" "$$l.tmp.$$$$" && mv -T "$$l.tmp.$$$$" "$$l"; }

$(vcsim_dir): $(vcsim_files)
	bash $(srcdir)/vcsim.sh $@ $(srcdir)/../vcsim/main.go
