# janus.sh — sourced by run-bench.sh: a loopback-only Janus (VideoRoom +
# WebSocket transport only) in a temp dir, started and stopped per run.
#
#   janus_install             apt-get install janus if missing (idempotent)
#   janus_start DIR PORT SHIM writes DIR/*.jcfg, starts janus with the lo shim
#                             (janus_lo_shim.c) preloaded, sets JANUS_PID
#   janus_stop                SIGTERM, then SIGKILL after 5 s

janus_install() {
    command -v janus >/dev/null 2>&1 && return 0
    echo "bench: installing janus (Debian package)" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq janus >/dev/null
}

janus_write_config() {
    dir=$1 port=$2
    libdir=$(dirname "$(dpkg -L janus 2>/dev/null | grep '/janus/plugins/libjanus_videoroom.so$' | head -1)")
    libdir=$(dirname "$libdir")
    plugins=$(cd "$libdir/plugins" && ls libjanus_*.so | grep -v videoroom | paste -sd, -)
    transports=$(cd "$libdir/transports" && ls libjanus_*.so | grep -v websockets | paste -sd, -)
    cat >"$dir/janus.jcfg" <<EOF
general: {
    configs_folder = "$dir"
    plugins_folder = "$libdir/plugins"
    transports_folder = "$libdir/transports"
    events_folder = "$libdir/events"
    loggers_folder = "$libdir/loggers"
    log_to_stdout = true
    debug_level = 3
    admin_secret = "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    session_timeout = 0
    interface = "127.0.0.1"
    protected_folders = [ "/bin", "/boot", "/dev", "/etc", "/initrd", "/lib", "/lib32",
        "/lib64", "/proc", "/sbin", "/sys", "/usr", "/var" ]
}
certificates: { }
media: { }
nat: {
    nice_debug = false
    ice_enforce_list = "127.0.0.1"
    ignore_mdns = true
}
plugins: { disable = "$plugins" }
transports: { disable = "$transports" }
events: { broadcast = false }
loggers: { disable = "libjanus_jsonlog.so" }
EOF
    cat >"$dir/janus.transport.websockets.jcfg" <<EOF
general: {
    json = "compact"
    ws = true
    ws_port = $port
    ws_ip = "127.0.0.1"
    wss = false
}
admin: { admin_ws = false admin_wss = false }
EOF
    cat >"$dir/janus.plugin.videoroom.jcfg" <<EOF
general: { }
EOF
}

janus_start() {
    dir=$1 port=$2 shim=$3
    janus_write_config "$dir" "$port"
    LD_PRELOAD=$shim janus -C "$dir/janus.jcfg" -F "$dir" >"$dir/janus.log" 2>&1 &
    JANUS_PID=$!
    i=0
    # ready when its WebSocket port accepts connections
    while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 100 ] || ! kill -0 "$JANUS_PID" 2>/dev/null; then
            echo "bench: janus did not start; its log:" >&2
            tail -20 "$dir/janus.log" >&2
            return 1
        fi
        sleep 0.1
    done
}

janus_stop() {
    [ -n "${JANUS_PID:-}" ] || return 0
    kill "$JANUS_PID" 2>/dev/null || true
    i=0
    while kill -0 "$JANUS_PID" 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -9 "$JANUS_PID" 2>/dev/null || true
    wait "$JANUS_PID" 2>/dev/null || true
    JANUS_PID=
}
