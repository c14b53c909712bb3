# vcsim (VMware's vSphere simulator, tests/vcsim/main.go, built and cached
# by `make -C tests/images vcsim`) on loopback for h2k's vSphere tests and
# the fetch benchmark.  Source it.
#
#   vcsim_start DIR [ARGS...]  start it with TLS on 127.0.0.1 (a free
#                              port), user admin, password from
#                              DIR/password; wait until it answers, then
#                              source DIR/info (URL, DSDIR, DC, PID) and
#                              set VC (host:port) and VC_TP (the SHA-256
#                              thumbprint of its certificate)
#   vcsim_stop DIR             stop it (its datastore directories go too)

vcsim_start ()
{
    local d="$1" i
    shift
    rm -f "$d/info"
    "$H2K_TEST_IMAGES/vcsim/vcsim" -listen 127.0.0.1:0 -tls -user admin \
        -password-file "$d/password" -out "$d/info" "$@" \
        >"$d/vcsim.log" 2>&1 3>&- </dev/null &
    for i in $(seq 150); do
        [ -f "$d/info" ] && break
        kill -0 $! 2>/dev/null || break
        sleep 0.2
    done
    [ -f "$d/info" ] || { cat "$d/vcsim.log" >&2; return 1; }
    . "$d/info"
    VC="${URL#https://}"
    VC="${VC%/sdk}"
    VC_TP=$(openssl s_client -connect "$VC" </dev/null 2>/dev/null |
                openssl x509 -noout -fingerprint -sha256 | cut -d= -f2)
    [ -n "$VC_TP" ]
}

vcsim_stop ()
{
    local d="$1" pid
    [ -f "$d/info" ] || return 0
    pid=$(sed -n 's/^PID=//p' "$d/info")
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}
