# vcsim: VMware's vSphere simulator (govmomi's simulator package from
# Debian's golang-github-vmware-govmomi-dev) with h2k's test inventory,
# built offline from tests/vcsim/main.go into
# $(H2K_TEST_IMAGES)/vcsim-<key>/vcsim.  The key covers main.go, this file
# and the versions of the Go toolchain and of govmomi.

IMAGES += vcsim

vcsim_files := $(srcdir)/../vcsim/main.go $(srcdir)/vcsim.mk
vcsim_versions := $(shell dpkg-query -W golang-go golang-github-vmware-govmomi-dev 2>/dev/null)
vcsim_dir := $(H2K_TEST_IMAGES)/vcsim-$(shell { cat $(vcsim_files); echo '$(vcsim_versions)'; } | sha256sum | cut -c1-12)

vcsim: $(vcsim_dir)
	@l='$(H2K_TEST_IMAGES)/vcsim'; t='$(notdir $(vcsim_dir))'; \
	[ "$$(readlink "$$l" 2>/dev/null)" = "$$t" ] || \
	{ ln -sfn "$$t" "$$l.tmp.$$$$" && mv -T "$$l.tmp.$$$$" "$$l"; }

$(vcsim_dir): $(vcsim_files)
	@command -v go >/dev/null || { echo 'go is not installed (golang-go)' >&2; exit 1; }
	@[ -d /usr/share/gocode/src/github.com/vmware/govmomi/simulator ] || \
	  { echo 'govmomi is not installed (golang-github-vmware-govmomi-dev)' >&2; exit 1; }
	rm -rf $@-t && mkdir -p $@-t/src/h2kvcsim
	cp $(srcdir)/../vcsim/main.go $@-t/src/h2kvcsim/
	cd $@-t/src/h2kvcsim && GOPATH=$@-t:/usr/share/gocode GO111MODULE=off \
	  GOCACHE=$(H2K_TEST_IMAGES)/cache/go GOFLAGS= go build -o $@-t/vcsim .
	rm -rf $@-t/src
	mv -T $@-t $@
