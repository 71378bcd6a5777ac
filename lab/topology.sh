# Lab hosts in network namespaces, joined by veth links:
#
#   term (198.18.1.10/24) ── rtr ──── dns (198.18.2.53/24, dnsmasq)
#                             ├────── gw  (198.18.3.20/24, posnet gateway on :5000)
#                             │        └── iss (198.18.4.30/24, posnet issuer on :6000)
#                             └────── atk (198.18.5.66/24, attacker / rogue servers)
#
# The issuer sits behind the gateway host (which does not forward): only the gateway reaches
# it. Addresses come only from 198.18.0.0/15; no namespace has a link or a route to the
# host. Every namespace name starts with the caller's prefix, so two runs never collide.
# Sourced by lab/run; needs LAB_BIN (labtools), POSNET (the posnet binary), LAB_LOGS and
# LAB_TPL (the lab's PKI and configs, made once per run by lab_template).

TERM_IP=198.18.1.10
RTR_TERM_IP=198.18.1.1
DNS_IP=198.18.2.53
RTR_DNS_IP=198.18.2.1
GW_IP=198.18.3.20
RTR_GW_IP=198.18.3.1
GW_ISS_IP=198.18.4.1
ISS_IP=198.18.4.30
ATK_IP=198.18.5.66
RTR_ATK_IP=198.18.5.1
GW_PORT=5000
ISS_PORT=6000
GW_NAME=gw.posnet.test
HOSTS=(term rtr dns gw iss atk)

# Bounded waits: at most this many tries of 50 ms.
WAIT_TRIES=100

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# link NS_A IF_A ADDR_A NS_B IF_B ADDR_B: a veth pair created directly inside the two
# namespaces (never in the host's), addressed and up.
link() {
    ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
    ip -n "$1" addr add "$3" dev "$2"
    ip -n "$4" addr add "$6" dev "$5"
    ip -n "$1" link set "$2" up
    ip -n "$4" link set "$5" up
}

# wait_listen NS PROTO PORT: until something listens there, bounded.
wait_listen() {
    local ns=$1 proto=$2 port=$3 i
    for ((i = 0; i < WAIT_TRIES; i++)); do
        if nsx "$ns" ss -Hln"${proto}" "sport = :$port" | grep -q .; then return 0; fi
        sleep 0.05
    done
    echo "lab: nothing listens on $proto/$port in $ns" >&2
    return 1
}

# wait_log FILE TEXT [TRIES]: until FILE has a line with TEXT, bounded.
wait_log() {
    local f=$1 text=$2 tries=${3:-$WAIT_TRIES} i
    for ((i = 0; i < tries; i++)); do
        grep -qF -- "$text" "$f" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "lab: no line with '$text' in $f" >&2
    return 1
}

# lab_template: the PKI (server certificate for the gateway's name and the lab addresses,
# the terminal's and the gateway's client certificates, rogue certificates) and the
# gateway's and issuer's configs, made once per run in $LAB_TPL.
lab_template() {
    mkdir -p "$LAB_TPL/gateway-data"
    "$LAB_BIN/labpki" "$LAB_TPL" "$GW_NAME" "$GW_IP" "$ISS_IP"
    cat >"$LAB_TPL/gateway.toml" <<TOML
listen = "$GW_IP:$GW_PORT"
acquirer_id = "10000000001"
journal = "gateway-data/gateway.journal"
maintenance = false

[tls]
cert = "pki/server.pem"
key = "pki/server.key"
terminal_ca = "pki/ca.pem"

[[terminal]]
id = "TERM0001"
merchant_id = "MERCHANT0000001"

[[route]]
bin = "476173"
issuer = "lab-issuer"

[[issuer]]
name = "lab-issuer"
address = "$ISS_IP:$ISS_PORT"
ca = "pki/ca.pem"
client_cert = "pki/terminals/GATEWAY1.pem"
client_key = "pki/terminals/GATEWAY1.key"
request_timeout_ms = 1000
echo_interval_s = 1
TOML
    cat >"$LAB_TPL/issuer.toml" <<TOML
listen = "$ISS_IP:$ISS_PORT"
data_dir = "issuer-data"
institution_id = "476173"
bin_ranges = ["476173"]

[tls]
cert = "pki/server.pem"
key = "pki/server.key"
client_ca = "pki/ca.pem"

[[merchant]]
id = "MERCHANT0000001"
name = "posnet lab shop"
TOML
}

# The folder of scenario P: a copy of the template (its own ledger and journal).
data_of() { echo "$LAB_LOGS/$1-data"; }

start_dnsmasq() { # P [extra dnsmasq args...]
    local p=$1; shift
    nsx "$p-dns" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
        --bind-interfaces --listen-address="$DNS_IP" \
        --pid-file="$LAB_LOGS/$p-dnsmasq.pid" "$@" >>"$LAB_LOGS/$p-dnsmasq.log" 2>&1 &
    wait_listen "$p-dns" u 53
}

# The usual resolver: knows the lab's zone and the gateway's record.
start_dns_healthy() { start_dnsmasq "$1" --local=/posnet.test/ --host-record="$GW_NAME,$GW_IP"; }

start_issuer() { # P
    local p=$1 d
    d=$(data_of "$p")
    nsx "$p-iss" "$POSNET" issuer --config "$d/issuer.toml" >>"$LAB_LOGS/$p-issuer.log" 2>&1 &
    wait_listen "$p-iss" t "$ISS_PORT"
}

# The gateway, until its issuer link is up (a sign-on would be answered 91 before).
start_gateway() { # P
    local p=$1 d
    d=$(data_of "$p")
    nsx "$p-gw" "$POSNET" gateway --config "$d/gateway.toml" >>"$LAB_LOGS/$p-gateway.log" 2>&1 &
    wait_listen "$p-gw" t "$GW_PORT"
    wait_log "$LAB_LOGS/$p-gateway.log" 'issuer link "lab-issuer" is up'
}

# lab_up P: the hosts, healthy: resolver, issuer and gateway running.
lab_up() {
    local p=$1 ns d
    for ns in "${HOSTS[@]}"; do
        ip netns add "$p-$ns"
        ip -n "$p-$ns" link set lo up
        # ICMP errors must be deterministic in every namespace, not only the router's.
        nsx "$p-$ns" sysctl -qw net.ipv4.icmp_ratelimit=0
    done
    link "$p-term" eth0 "$TERM_IP/24" "$p-rtr" eth-t "$RTR_TERM_IP/24"
    link "$p-dns" eth0 "$DNS_IP/24" "$p-rtr" eth-d "$RTR_DNS_IP/24"
    link "$p-gw" eth0 "$GW_IP/24" "$p-rtr" eth-g "$RTR_GW_IP/24"
    link "$p-atk" eth0 "$ATK_IP/24" "$p-rtr" eth-a "$RTR_ATK_IP/24"
    link "$p-iss" eth0 "$ISS_IP/24" "$p-gw" eth1 "$GW_ISS_IP/24"
    ip -n "$p-term" route add default via "$RTR_TERM_IP"
    ip -n "$p-dns" route add default via "$RTR_DNS_IP"
    ip -n "$p-gw" route add default via "$RTR_GW_IP"
    ip -n "$p-atk" route add default via "$RTR_ATK_IP"
    ip -n "$p-iss" route add default via "$GW_ISS_IP"
    nsx "$p-rtr" sysctl -qw net.ipv4.ip_forward=1
    # A host that vanished is reported (ICMP host unreachable) after 3 ARP probes of 200 ms
    # instead of 3 s, so the probe's timeout is not reached first.
    for ns in eth-g eth-d eth-t eth-a; do
        nsx "$p-rtr" sysctl -qw "net.ipv4.neigh.$ns.retrans_time_ms=200"
    done
    nsx "$p-gw" sysctl -qw net.ipv4.neigh.eth1.retrans_time_ms=200
    nsx "$p-term" sysctl -qw net.ipv4.neigh.eth0.retrans_time_ms=200
    lab_assert_isolated "$p"
    # The terminal's system resolver (used by its link) is the lab's DNS server, as a real
    # terminal's settings would say; `ip netns exec` mounts this file over /etc/resolv.conf.
    mkdir -p "/etc/netns/$p-term"
    echo "nameserver $DNS_IP" >"/etc/netns/$p-term/resolv.conf"
    d=$(data_of "$p")
    cp -r "$LAB_TPL" "$d"
    start_dns_healthy "$p"
    start_issuer "$p"
    start_gateway "$p"
}

# No route in any lab namespace may leave 198.18.0.0/15.
lab_assert_isolated() {
    local p=$1 ns bad
    for ns in "${HOSTS[@]}"; do
        bad=$(ip -n "$p-$ns" -4 route show | awk '
            { dst = $1; if (dst != "default" && dst !~ /^198\.1[89]\./) print }
            { for (i = 1; i < NF; i++) if ($i == "via" && $(i + 1) !~ /^198\.1[89]\./) print }')
        if [ -n "$bad" ]; then
            echo "lab: $p-$ns has a route outside 198.18.0.0/15: $bad" >&2
            return 1
        fi
    done
}

# kill_ns_pids NS [SIGNAL]: every process in the namespace, waited for (bounded).
kill_ns_pids() {
    local ns=$1 sig=${2:-TERM} pids i
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -z "$pids" ] && return 0
    kill -s "$sig" $pids 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [ -z "$pids" ] && return 0
        sleep 0.05
    done
    kill -9 $pids 2>/dev/null || true
}

# lab_down P: kill every process in each namespace, then delete it. Bounded.
lab_down() {
    local p=$1 ns
    for ns in "${HOSTS[@]}"; do
        ip netns list | grep -qw "^$p-$ns" || continue
        kill_ns_pids "$p-$ns"
        ip netns del "$p-$ns" 2>/dev/null || true
    done
    rm -rf "$(data_of "$p")"
    rm -rf "/etc/netns/$p-term"
}
