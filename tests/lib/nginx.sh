# nginx (Debian's package) on loopback for h2k's HTTP tests and the
# fetch benchmark.  Source it; every function works in directory $1.
#
#   free_port                 print a free TCP port on 127.0.0.1
#   make_tls DIR              DIR/ca.pem (a CA), DIR/good.{pem,key} (for
#                             127.0.0.1 and localhost), DIR/other.{pem,key}
#                             (for h2k-test.invalid only)
#   nginx_start DIR CONF      run nginx -c CONF -p DIR in the background,
#                             wait until it answers; DIR/nginx.pid
#   nginx_stop DIR            stop it (and wait)
#   nginx_http_block DIR      the common part of an http { } block

free_port ()
{
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000))
}

make_tls ()
{
    local d="$1"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=h2k test CA" \
        -keyout "$d/ca.key" -out "$d/ca.pem" >/dev/null 2>&1 || return 1
    _cert "$d" good "subjectAltName=IP:127.0.0.1,DNS:localhost" || return 1
    _cert "$d" other "subjectAltName=DNS:h2k-test.invalid"
}

_cert ()
{
    local d="$1" n="$2" san="$3"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$n" -keyout "$d/$n.key" \
        -out "$d/$n.csr" >/dev/null 2>&1 &&
    printf '%s\n' "$san" >"$d/$n.ext" &&
    openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
        -CAcreateserial -days 2 -extfile "$d/$n.ext" -out "$d/$n.pem" >/dev/null 2>&1
}

# The top of a configuration: nginx runs as root in the foreground under
# a background job, everything in DIR.
nginx_http_block ()
{
    local d="$1"
    mkdir -p "$d/tmp" "$d/logs"
    cat <<EOF
user root;
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log;
events { worker_connections 256; }
http {
    access_log $d/logs/access.log;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 30;
EOF
}

nginx_start ()
{
    local d="$1" conf="$2" i
    rm -f "$d/nginx.pid"
    nginx -c "$conf" -p "$d" >"$d/logs/stdout.log" 2>&1 </dev/null 3>&- &
    echo $! >"$d/nginx.job"
    for i in $(seq 100); do
        # The pid file is written once the sockets are bound.
        [ -s "$d/nginx.pid" ] && return 0
        kill -0 "$(cat "$d/nginx.job")" 2>/dev/null || break
        sleep 0.1
    done
    echo "nginx did not start: $(tail -n 3 "$d/logs/error.log" "$d/logs/stdout.log" 2>/dev/null)" >&2
    return 1
}

nginx_stop ()
{
    local d="$1" pid i
    pid="$(cat "$d/nginx.pid" 2>/dev/null)" || pid="$(cat "$d/nginx.job" 2>/dev/null)" || return 0
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    return 0
}
