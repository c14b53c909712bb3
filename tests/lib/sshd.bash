# OpenSSH's sshd on 127.0.0.1 for the tests (Debian's package), started
# and stopped by the test itself.  Source it, then:
#
#   sshd_start DIR [CONFIG-LINE...]
#       make DIR (mode 700) with a host key, a client key authorized for
#       every user (DIR/client_ed25519), known_hosts (DIR/known_hosts,
#       filled by ssh-keyscan) and a config; start sshd on a free port.
#       Sets SSHD_PORT and SSHD_PID.  Extra arguments are config lines
#       (e.g. "Subsystem sftp internal-sftp" is there unless
#       SSHD_NO_SFTP=1).  Returns 1, with sshd's log on stderr, if it
#       cannot start.
#   sshd_stop DIR
#       stop it (the pid in DIR/sshd.pid) and wait for it.
#
# Test servers are lax where a test machine needs it: StrictModes no
# (the test directories live under /tmp), no PAM, root and passwords
# allowed.  sshd needs its absolute path and /run/sshd.

sshd_config ()
{
    local dir="$1" port="$2"; shift 2
    {
        echo "ListenAddress 127.0.0.1"
        echo "Port $port"
        echo "HostKey $dir/host_ed25519"
        echo "PidFile $dir/sshd.pid"
        echo "AuthorizedKeysFile $dir/authorized_keys"
        echo "StrictModes no"
        echo "UsePAM no"
        echo "PermitRootLogin yes"
        echo "PasswordAuthentication yes"
        echo "KbdInteractiveAuthentication no"
        echo "MaxAuthTries 10"
        echo "LogLevel VERBOSE"
        [ "${SSHD_NO_SFTP:-0}" = 1 ] || echo "Subsystem sftp internal-sftp"
        local l
        for l in "$@"; do echo "$l"; done
    } > "$dir/sshd_config"
}

sshd_start ()
{
    local dir="$1" try port i; shift
    mkdir -p -m 700 "$dir" || return 1
    [ -d /run/sshd ] || mkdir -m 755 /run/sshd || return 1
    [ -f "$dir/host_ed25519" ] ||
        ssh-keygen -q -t ed25519 -N '' -C h2k-test-host -f "$dir/host_ed25519" || return 1
    [ -f "$dir/client_ed25519" ] ||
        ssh-keygen -q -t ed25519 -N '' -C h2k-test-client -f "$dir/client_ed25519" || return 1
    install -m 600 "$dir/client_ed25519.pub" "$dir/authorized_keys"
    for try in 1 2 3 4 5 6 7 8; do
        port=$((20000 + RANDOM % 40000))
        sshd_config "$dir" "$port" "$@"
        rm -f "$dir/sshd.log" "$dir/sshd.pid"
        /usr/sbin/sshd -D -e -f "$dir/sshd_config" >"$dir/sshd.log" 2>&1 3>&- &
        SSHD_PID=$!
        for i in $(seq 50); do
            grep -q "Server listening" "$dir/sshd.log" 2>/dev/null && break
            kill -0 "$SSHD_PID" 2>/dev/null || break
            sleep 0.1
        done
        if grep -q "Server listening" "$dir/sshd.log"; then
            SSHD_PORT=$port
            ssh-keyscan -T 5 -t ed25519 -p "$port" 127.0.0.1 >"$dir/known_hosts" 2>/dev/null
            [ -s "$dir/known_hosts" ] || { cat "$dir/sshd.log" >&2; return 1; }
            export SSHD_PORT SSHD_PID
            return 0
        fi
        kill "$SSHD_PID" 2>/dev/null; wait "$SSHD_PID" 2>/dev/null
    done
    cat "$dir/sshd.log" >&2
    return 1
}

sshd_stop ()
{
    local dir="$1" pid
    pid="$(cat "$dir/sshd.pid" 2>/dev/null)" || return 0
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}
