// vcsim for h2k's tests: VMware's vSphere simulator (govmomi's simulator
// package, Debian's golang-github-vmware-govmomi-dev) on a loopback
// address, with h2k's test inventory added to the default one.
//
//	vcsim -listen 127.0.0.1:0 -tls [-cert PEM -key PEM] -user U \
//	      -password-file F -out FILE [-esx] [-seed DIR]
//
// Without -cert, -tls serves Go's built-in test certificate (an RSA-1024
// key, which OpenSSL's default security level refuses: pin it).
//
// FILE gets shell-sourceable lines once the server answers:
// URL (https://127.0.0.1:PORT/sdk, no credentials), DSDIR (the directory
// behind datastore LocalDS_0), DC (the datacenter's name) and PID.
//
// Added to the default inventory (vm folder of the first datacenter):
//
//	Folder1/web01    powered off, BIOS, 2 CPUs, 2048 MiB, PVSCSI disk
//	                 web01/disk1.vmdk (+ its chain, see -seed), vmxnet3 NIC
//	Folder1/web02    the same files under web02/, powered on
//	Folder1/app01    powered off, an empty disk
//	Folder2/app01    the same name again (ambiguous)
//	Folder2/indep01  powered off, its disk independent_persistent
//
// With -esx (an ESXi host: no folders) the same VMs but the second app01
// sit in the vm folder of ha-datacenter.
//
// -seed DIR: the files of DIR (disk1.vmdk and disk1-flat.vmdk, and
// optionally disk1-000001.vmdk and disk1-000001-flat.vmdk, a child of
// disk1.vmdk) are linked (or copied) into web01/ and web02/ before the
// VMs are created, so that their sizes are those the API reports.  With
// a child, the disk's backing is the child with disk1.vmdk as its parent,
// and web01 gets a snapshot "before-upgrade" (vcsim's snapshots make no
// delta disks: its layout names every link's files X.vmdk and
// X-flat.vmdk, whatever their kind, so a sparse delta's extent must be
// called X-flat.vmdk here).  Without -seed, vcsim creates empty disks.
//
// Datastore downloads (/folder) need a live session cookie, as on a real
// vCenter (vcsim itself does not check).  -folder-expire N: a session
// may make N /folder requests; the next one terminates the session (as
// if it had expired) and is answered 401, so that clients must log in
// again and resume.  -folder-delay MS: every /folder request waits MS
// milliseconds first (a slow datastore, to interrupt a download).
// -fail-snapshot: CreateSnapshot_Task answers the SOAP fault a vCenter
// gives when snapshots are disabled for the VM (vcsim's never fails).
// -method-log FILE: the name of every SOAP method called is appended to
// FILE, one a line (to count logins and logouts).
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type env struct {
	ctx    context.Context
	c      *govmomi.Client
	dc     *object.Datacenter
	host   *object.HostSystem
	pool   *object.ResourcePool
	ds     *object.Datastore
	dsName string
	dsDir  string
	net    types.BaseVirtualDeviceBackingInfo
	nvm    int
	mac    string
}

// folderGuard answers /folder requests only for live sessions.
type folderGuard struct {
	next         http.Handler
	ctx          context.Context
	sm           *session.Manager
	limit        int
	delay        time.Duration
	failSnapshot bool
	methodLog    *os.File
	mu           sync.Mutex
	count        map[string]int
	dead         map[string]bool
}

const snapshotFault = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Snapshots are not allowed for this virtual machine.</faultstring><detail><SnapshotDisabledFault xmlns="urn:vim25" xsi:type="SnapshotDisabled"></SnapshotDisabledFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`

var soapMethod = regexp.MustCompile(`<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)`)

func (g *folderGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if (g.failSnapshot || g.methodLog != nil) && r.Method == http.MethodPost && r.URL.Path == "/sdk" {
		body, _ := ioutil.ReadAll(r.Body)
		r.Body = ioutil.NopCloser(bytes.NewReader(body))
		if m := soapMethod.FindSubmatch(body); m != nil && g.methodLog != nil {
			g.mu.Lock()
			fmt.Fprintf(g.methodLog, "%s\n", m[1])
			g.mu.Unlock()
		}
		if g.failSnapshot && bytes.Contains(body, []byte("<CreateSnapshot_Task")) {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(snapshotFault))
			return
		}
	}
	if !strings.HasPrefix(r.URL.Path, "/folder/") {
		g.next.ServeHTTP(w, r)
		return
	}
	c, err := r.Cookie("vmware_soap_session")
	if err != nil {
		http.Error(w, "no session", http.StatusUnauthorized)
		return
	}
	g.mu.Lock()
	g.count[c.Value]++
	expire := g.limit > 0 && g.count[c.Value] > g.limit && !g.dead[c.Value]
	dead := g.dead[c.Value] || expire
	if expire {
		g.dead[c.Value] = true
	}
	g.mu.Unlock()
	if expire {
		_ = g.sm.TerminateSession(g.ctx, []string{c.Value})
	}
	if dead {
		http.Error(w, "session expired", http.StatusUnauthorized)
		return
	}
	time.Sleep(g.delay)
	g.next.ServeHTTP(w, r)
}

func check(err error, what string) {
	if err != nil {
		log.Fatalf("vcsim: %s: %v", what, err)
	}
}

func linkOrCopy(src, dst string) error {
	if os.Link(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err = io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// seed links the files of dir into the datastore directory vmdir.
func (e *env) seed(dir, vmdir string) {
	d := filepath.Join(e.dsDir, vmdir)
	check(os.MkdirAll(d, 0700), d)
	files, err := ioutil.ReadDir(dir)
	check(err, dir)
	for _, f := range files {
		check(linkOrCopy(filepath.Join(dir, f.Name()), filepath.Join(d, f.Name())), f.Name())
	}
}

func (e *env) exists(p string) bool {
	_, err := os.Stat(filepath.Join(e.dsDir, p))
	return err == nil
}

// createVM makes VM name in folder with its files under dir/.
func (e *env) createVM(folder *object.Folder, name, dir, diskMode string, on bool) {
	dsPath := func(p string) string { return fmt.Sprintf("[%s] %s/%s", e.dsName, dir, p) }
	spec := types.VirtualMachineConfigSpec{
		Name:              name,
		GuestId:           "debian11_64Guest",
		NumCPUs:           2,
		NumCoresPerSocket: 1,
		MemoryMB:          2048,
		Firmware:          "bios",
		Files:             &types.VirtualMachineFileInfo{VmPathName: dsPath(name + ".vmx")},
	}
	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController("pvscsi")
	check(err, "pvscsi")
	devices = append(devices, scsi)
	dsRef := e.ds.Reference()
	backing := &types.VirtualDiskFlatVer2BackingInfo{
		DiskMode:        diskMode,
		ThinProvisioned: types.NewBool(true),
		VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{
			FileName: dsPath("disk1.vmdk"), Datastore: &dsRef,
		},
	}
	var capacity int64 = 1024 * 1024
	fop := types.VirtualDeviceConfigSpecFileOperationCreate
	if e.exists(dir + "/disk1-flat.vmdk") {
		fop = ""
		st, err := os.Stat(filepath.Join(e.dsDir, dir, "disk1-flat.vmdk"))
		check(err, "disk1-flat.vmdk")
		capacity = st.Size()
		if e.exists(dir + "/disk1-000001.vmdk") {
			parent := *backing
			backing.FileName = dsPath("disk1-000001.vmdk")
			backing.Parent = &parent
		}
	}
	disk := &types.VirtualDisk{
		VirtualDevice: types.VirtualDevice{Backing: backing},
		CapacityInKB:  capacity / 1024, CapacityInBytes: capacity,
	}
	devices.AssignController(disk, scsi.(types.BaseVirtualController))
	nic, err := devices.CreateEthernetCard("vmxnet3", e.net)
	check(err, "vmxnet3")
	card := nic.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
	card.AddressType = string(types.VirtualEthernetCardMacTypeManual)
	e.nvm++
	card.MacAddress = fmt.Sprintf("00:50:56:3a:5c:%02x", 0x10+e.nvm)
	if name == "web01" && e.mac != "" {
		card.MacAddress = e.mac
	}
	devices = append(devices, disk, nic)
	for _, d := range devices {
		ds := &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: d}
		if d == disk {
			ds.FileOperation = fop
		}
		spec.DeviceChange = append(spec.DeviceChange, ds)
	}
	task, err := folder.CreateVM(e.ctx, spec, e.pool, e.host)
	check(err, "CreateVM "+name)
	info, err := task.WaitForResult(e.ctx, nil)
	check(err, "CreateVM "+name)
	vm := object.NewVirtualMachine(e.c.Client, info.Result.(types.ManagedObjectReference))
	if backing.Parent != nil && !on {
		// The chain is a snapshot's: say so in the snapshot tree too.
		t, err := vm.CreateSnapshot(e.ctx, "before-upgrade", "", false, false)
		check(err, "CreateSnapshot "+name)
		check(t.Wait(e.ctx), "CreateSnapshot "+name)
	}
	if on {
		t, err := vm.PowerOn(e.ctx)
		check(err, "PowerOn "+name)
		check(t.Wait(e.ctx), "PowerOn "+name)
	}
}

func (e *env) populate(seed string, esx bool) {
	finder := find.NewFinder(e.c.Client, true)
	var err error
	e.dc, err = finder.DefaultDatacenter(e.ctx)
	check(err, "datacenter")
	finder.SetDatacenter(e.dc)
	vms, err := finder.VirtualMachineList(e.ctx, "*")
	check(err, "VMs")
	e.host, err = vms[0].HostSystem(e.ctx)
	check(err, "host")
	e.pool, err = vms[0].ResourcePool(e.ctx)
	check(err, "pool")
	e.ds, err = finder.DefaultDatastore(e.ctx)
	check(err, "datastore")
	var dsmo mo.Datastore
	check(e.ds.Properties(e.ctx, e.ds.Reference(), []string{"info", "name"}, &dsmo), "datastore info")
	e.dsName = dsmo.Name
	e.dsDir = dsmo.Info.GetDatastoreInfo().Url
	n, err := finder.Network(e.ctx, "VM Network")
	check(err, "network")
	e.net, err = n.EthernetCardBackingInfo(e.ctx)
	check(err, "network backing")
	folders, err := e.dc.Folders(e.ctx)
	check(err, "folders")
	// ESXi has no folders: everything in its vm folder, no second app01.
	f1, f2 := folders.VmFolder, folders.VmFolder
	if !esx {
		f1, err = folders.VmFolder.CreateFolder(e.ctx, "Folder1")
		check(err, "Folder1")
		f2, err = folders.VmFolder.CreateFolder(e.ctx, "Folder2")
		check(err, "Folder2")
	}
	if seed != "" {
		e.seed(seed, "web01")
		e.seed(seed, "web02")
	}
	persistent := string(types.VirtualDiskModePersistent)
	e.createVM(f1, "web01", "web01", persistent, false)
	e.createVM(f1, "web02", "web02", persistent, true)
	e.createVM(f1, "app01", "app01-a", persistent, false)
	if !esx {
		e.createVM(f2, "app01", "app01-b", persistent, false)
	}
	e.createVM(f2, "indep01", "indep01", string(types.VirtualDiskModeIndependent_persistent), false)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	useTLS := flag.Bool("tls", false, "serve HTTPS with a self-signed certificate")
	certFile := flag.String("cert", "", "with -tls: the server's certificate (PEM)")
	keyFile := flag.String("key", "", "with -tls: its private key (PEM)")
	esx := flag.Bool("esx", false, "simulate an ESXi host instead of a vCenter")
	user := flag.String("user", "", "the only user accepted (default: any)")
	passFile := flag.String("password-file", "", "file holding that user's password")
	out := flag.String("out", "", "write URL, DSDIR, DC and PID here")
	seed := flag.String("seed", "", "directory of disk files for web01 and web02")
	expire := flag.Int("folder-expire", 0, "/folder requests a session may make (0: no limit)")
	delay := flag.Int("folder-delay", 0, "milliseconds each /folder request waits")
	mac := flag.String("mac", "", "web01's MAC address (default: 00:50:56:3a:5c:11)")
	failSnapshot := flag.Bool("fail-snapshot", false, "CreateSnapshot_Task fails")
	methodLog := flag.String("method-log", "", "append each SOAP method's name to this file")
	flag.Parse()

	model := simulator.VPX()
	if *esx {
		model = simulator.ESX()
	}
	defer model.Remove()
	check(model.Create(), "model")
	if *useTLS {
		model.Service.TLS = new(tls.Config)
		if *certFile != "" {
			cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
			check(err, "-cert")
			model.Service.TLS.Certificates = []tls.Certificate{cert}
		}
	}
	model.Service.Listen = &url.URL{Host: *listen}
	if *user != "" {
		pw, err := ioutil.ReadFile(*passFile)
		check(err, "-password-file")
		model.Service.Listen.User = url.UserPassword(*user, strings.TrimRight(string(pw), "\n"))
	}
	s := model.Service.NewServer()
	defer s.Close()

	e := &env{ctx: context.Background(), mac: *mac}
	var err error
	e.c, err = govmomi.NewClient(e.ctx, s.URL, true)
	check(err, "login")
	e.populate(*seed, *esx)
	var mlog *os.File
	if *methodLog != "" {
		mlog, err = os.OpenFile(*methodLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0644)
		check(err, "-method-log")
	}
	// This session stays: it terminates the ones that "expire".
	s.Config.Handler = &folderGuard{
		methodLog: mlog,
		next:      s.Config.Handler, ctx: e.ctx, sm: session.NewManager(e.c.Client),
		limit: *expire, delay: time.Duration(*delay) * time.Millisecond,
		failSnapshot: *failSnapshot,
		count:        map[string]int{}, dead: map[string]bool{},
	}

	u := *s.URL
	u.User = nil
	name := e.dc.Name()
	info := fmt.Sprintf("URL=%s\nDSDIR=%s\nDC=%s\nPID=%d\n", u.String(), e.dsDir, name, os.Getpid())
	if *out != "" {
		check(ioutil.WriteFile(*out+".tmp", []byte(info), 0644), *out)
		check(os.Rename(*out+".tmp", *out), *out)
	} else {
		fmt.Print(info)
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}
