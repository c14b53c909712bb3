#!/bin/bash
# boot.sh: boot a test guest under QEMU and watch its serial console.
#
# As a script:   tests/lib/boot.sh [OPTIONS] DISK...
# As a library:  . tests/lib/boot.sh; h2k_boot [OPTIONS] DISK...; h2k_accel
#
# The disks are never written: each gets a throwaway qcow2 overlay in a
# private temporary directory.  QEMU runs headless with the first serial
# port logged to a file; the log is polled and QEMU is killed as soon as a
# regular expression (grep -E) matches, or at the timeout.
#
# Options:
#   --bus BUS          virtio-blk (default), sata, pvscsi, virtio-scsi, ide
#   --firmware FW      bios (SeaBIOS, default) or uefi (OVMF, private VARS)
#   --uefi-vars FILE   OVMF VARS template to copy (default: the empty one)
#   --machine M        QEMU machine type (default pc)
#   --nic MODEL        virtio-net (default), e1000, vmxnet3 or none
#   --mac MAC          the NIC's MAC address (default 52:54:00:12:34:56)
#   --expect REGEX     success when this appears (default 'login:')
#   --fail REGEX       stop early with status 2 when this appears
#   --timeout SEC      give up after SEC seconds (default 180)
#   --log FILE         serial log (default: $BATS_TEST_TMPDIR/serial.log,
#                      else a file in $TMPDIR whose name is printed)
#   --memory MIB       guest memory (default 1024)
#   --smp N            virtual CPUs (default 1)
#   --qemu-arg ARG     pass ARG to QEMU (repeatable)
#
# Exit status: 0 the expected text appeared; 1 timeout; 2 the --fail text
# appeared; 3 QEMU exited first; 64 bad usage or setup error.  On any
# failure the last serial lines are printed on stderr.
#
# Acceleration: H2K_ACCEL=kvm|tcg forces one; otherwise KVM is probed once
# per host boot (a few seconds at most: nested KVM may abort or hang) and
# TCG is used when it does not work.

# h2k_accel: print kvm or tcg.
h2k_accel ()
{
    local cache probe rc pid i
    case "${H2K_ACCEL:-}" in
        kvm|tcg) echo "$H2K_ACCEL"; return 0 ;;
        '') ;;
        *) echo "h2k_accel: H2K_ACCEL must be kvm or tcg, not '$H2K_ACCEL'" >&2; return 64 ;;
    esac
    cache="${TMPDIR:-/tmp}/h2k-accel.$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo 0)"
    if [ -s "$cache" ]; then cat "$cache"; return 0; fi
    rc=tcg
    if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
        probe="$(mktemp "${TMPDIR:-/tmp}/h2k-kvm-probe.XXXXXX")"
        # SeaBIOS logs to the debug port; "No bootable device" means the
        # whole POST ran under KVM.
        qemu-system-x86_64 -accel kvm -cpu host -machine pc -m 64 -nodefaults \
            -no-user-config -display none -monitor none -serial none \
            -chardev "file,id=dbg,path=$probe" \
            -device isa-debugcon,iobase=0x402,chardev=dbg >/dev/null 2>&1 &
        pid=$!
        for i in $(seq 40); do
            if grep -aq 'No bootable device\|Booting from' "$probe" 2>/dev/null; then
                rc=kvm; break
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        rm -f "$probe"
    fi
    echo "$rc" >"$cache.$$" && mv -f "$cache.$$" "$cache"
    echo "$rc"
}

# h2k_boot [OPTIONS] DISK...: see the top of this file.
h2k_boot ()
(
    set -uo pipefail
    bus=virtio-blk fw=bios vars="" machine=pc nic=virtio-net mac=52:54:00:12:34:56
    expect='login:' fail="" timeout=180 log="" mem=1024 smp=1 extra=()
    die () { echo "h2k_boot: $*" >&2; exit 64; }
    while [ $# -gt 0 ]; do
        case "$1" in
            --bus) bus="$2"; shift 2 ;;
            --firmware) fw="$2"; shift 2 ;;
            --uefi-vars) vars="$2"; shift 2 ;;
            --machine) machine="$2"; shift 2 ;;
            --nic) nic="$2"; shift 2 ;;
            --mac) mac="$2"; shift 2 ;;
            --expect) expect="$2"; shift 2 ;;
            --fail) fail="$2"; shift 2 ;;
            --timeout) timeout="$2"; shift 2 ;;
            --log) log="$2"; shift 2 ;;
            --memory) mem="$2"; shift 2 ;;
            --smp) smp="$2"; shift 2 ;;
            --qemu-arg) extra+=("$2"); shift 2 ;;
            --help) sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
            --) shift; break ;;
            -*) die "unknown option $1 (--help lists them)" ;;
            *) break ;;
        esac
    done
    [ $# -ge 1 ] || die "no disk given"
    case "$timeout" in ''|*[!0-9]*) die "--timeout needs seconds" ;; esac
    command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed"
    command -v qemu-img >/dev/null || die "qemu-img is not installed"

    accel="$(h2k_accel)" || exit 64
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/h2k-boot.XXXXXX")" || die "mktemp failed"
    pid=""
    cleanup () {
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
            for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        fi
        rm -rf "$tmp"
    }
    trap cleanup EXIT
    trap 'exit 130' INT TERM

    if [ -z "$log" ]; then
        if [ -n "${BATS_TEST_TMPDIR:-}" ]; then
            log="$BATS_TEST_TMPDIR/serial.log"
        else
            log="$(mktemp "${TMPDIR:-/tmp}/h2k-serial.XXXXXX.log")" || die "mktemp failed"
            echo "h2k_boot: serial log in $log" >&2
        fi
    fi
    : >"$log" || die "cannot write $log"

    args=(-name h2k-boot -machine "$machine" -m "$mem" -smp "$smp"
          -nodefaults -no-user-config -display none -monitor none -no-reboot
          -serial "file:$log")
    if [ "$accel" = kvm ]; then
        args+=(-accel kvm -cpu host)
    elif [ "$smp" -gt 1 ]; then
        args+=(-accel tcg,thread=multi)
    else
        args+=(-accel tcg)
    fi

    case "$fw" in
        bios) ;;
        uefi)
            [ -n "$vars" ] || vars=/usr/share/OVMF/OVMF_VARS_4M.fd
            [ -r "$vars" ] || die "no OVMF VARS at $vars (install ovmf)"
            if [ "$(stat -c %s "$vars")" -gt 131072 ]; then
                code=/usr/share/OVMF/OVMF_CODE_4M.fd
            else
                code=/usr/share/OVMF/OVMF_CODE.fd
            fi
            [ -r "$code" ] || die "no OVMF code at $code (install ovmf)"
            cp "$vars" "$tmp/vars.fd" || die "copying $vars failed"
            args+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
                   -drive "if=pflash,format=raw,unit=1,file=$tmp/vars.fd") ;;
        *) die "unknown firmware $fw (bios, uefi)" ;;
    esac

    case "$bus" in
        virtio-blk|ide) ;;
        sata) args+=(-device ich9-ahci,id=ahci) ;;
        pvscsi) args+=(-device pvscsi,id=scsi) ;;
        virtio-scsi) args+=(-device virtio-scsi-pci,id=scsi) ;;
        *) die "unknown bus $bus (virtio-blk, sata, pvscsi, virtio-scsi, ide)" ;;
    esac
    i=0
    for disk in "$@"; do
        [ -r "$disk" ] || die "cannot read $disk"
        fmt="$(qemu-img info "$disk" 2>/dev/null | sed -n 's/^file format: //p')"
        [ -n "$fmt" ] || die "qemu-img cannot read $disk"
        qemu-img create -q -f qcow2 -b "$(readlink -f "$disk")" -F "$fmt" "$tmp/disk$i.qcow2" ||
            die "cannot create an overlay for $disk"
        args+=(-drive "file=$tmp/disk$i.qcow2,format=qcow2,if=none,id=disk$i,cache=unsafe")
        case "$bus" in
            virtio-blk) args+=(-device "virtio-blk-pci,drive=disk$i,bootindex=$i") ;;
            sata) args+=(-device "ide-hd,drive=disk$i,bus=ahci.$i,bootindex=$i") ;;
            ide) args+=(-device "ide-hd,drive=disk$i,bus=ide.$((i / 2)),unit=$((i % 2)),bootindex=$i") ;;
            pvscsi|virtio-scsi)
                args+=(-device "scsi-hd,drive=disk$i,bus=scsi.0,channel=0,scsi-id=$i,lun=0,bootindex=$i") ;;
        esac
        i=$((i + 1))
    done

    case "$nic" in
        none) ;;
        virtio-net|e1000|vmxnet3)
            model="$nic"; [ "$nic" = virtio-net ] && model=virtio-net-pci
            args+=(-netdev "user,id=net0,restrict=on,net=192.168.122.0/24,host=192.168.122.1"
                   -device "$model,netdev=net0,mac=$mac") ;;
        *) die "unknown nic $nic (virtio-net, e1000, vmxnet3, none)" ;;
    esac
    args+=("${extra[@]}")

    qemu-system-x86_64 "${args[@]}" >"$tmp/qemu.out" 2>&1 &
    pid=$!
    start=$SECONDS rc=""
    while :; do
        if grep -aqE -- "$expect" "$log"; then rc=0; break; fi
        if [ -n "$fail" ] && grep -aqE -- "$fail" "$log"; then rc=2; break; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            sleep 0.2
            if grep -aqE -- "$expect" "$log"; then rc=0; break; fi
            if [ -n "$fail" ] && grep -aqE -- "$fail" "$log"; then rc=2; break; fi
            rc=3; break
        fi
        if [ $((SECONDS - start)) -ge "$timeout" ]; then rc=1; break; fi
        sleep 0.5
    done
    took=$((SECONDS - start))
    case "$rc" in
        0) echo "h2k_boot: '$expect' after ${took}s ($accel, $fw, $bus)" >&2 ;;
        *)
            case "$rc" in
                1) why="timed out after ${timeout}s waiting for '$expect'" ;;
                2) why="failure text '$fail' after ${took}s" ;;
                3) why="qemu exited after ${took}s: $(tail -n 3 "$tmp/qemu.out" | tr '\n' ' ')" ;;
            esac
            {
                echo "h2k_boot: $why ($accel, $fw, $bus)"
                clean () { tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | grep -a .; }
                if clean | grep -aqE 'FAILED|Dependency failed|Timed out|ALERT!|Kernel panic'; then
                    echo "h2k_boot: failures in the serial log:"
                    clean | grep -aE 'FAILED|Dependency failed|Timed out|ALERT!|Kernel panic' |
                        head -n 15 | sed 's/^/  ! /'
                fi
                echo "h2k_boot: last serial lines of $log:"
                clean | tail -n 25 | sed 's/^/  | /'
            } >&2 ;;
    esac
    exit "$rc"
)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    h2k_boot "$@"
fi
