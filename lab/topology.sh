# Lab hosts in network namespaces, joined by veth links through one router:
#
#   term (198.18.1.10/24) ── rtr ── dns (198.18.2.53/24, dnsmasq)
#                             └──── gw  (198.18.3.20/24, gateway service on :5000)
#
# Addresses come only from 198.18.0.0/15; no namespace has a link or a route to the host.
# Every namespace name starts with the caller's prefix, so two runs never collide.
# Sourced by lab/run; needs LAB_BIN (probe and stand-in binaries) and LAB_LOGS.

TERM_IP=198.18.1.10
RTR_TERM_IP=198.18.1.1
DNS_IP=198.18.2.53
RTR_DNS_IP=198.18.2.1
GW_IP=198.18.3.20
RTR_GW_IP=198.18.3.1
GW_PORT=5000
GW_NAME=gw.posnet.test

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

start_dnsmasq() { # P [extra dnsmasq args...]
    local p=$1; shift
    nsx "$p-dns" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
        --bind-interfaces --listen-address="$DNS_IP" --local=/posnet.test/ \
        --pid-file="$LAB_LOGS/$p-dnsmasq.pid" "$@" >>"$LAB_LOGS/$p-dnsmasq.log" 2>&1 &
    wait_listen "$p-dns" u 53
}

start_standin() { # P
    local p=$1
    nsx "$p-gw" "$LAB_BIN/standin" --listen "$GW_IP:$GW_PORT" --seconds 120 \
        >>"$LAB_LOGS/$p-standin.log" 2>&1 &
    wait_listen "$p-gw" t "$GW_PORT"
}

# lab_up P: the four hosts, healthy.
lab_up() {
    local p=$1 ns
    for ns in term rtr dns gw; do
        ip netns add "$p-$ns"
        ip -n "$p-$ns" link set lo up
        # ICMP errors must be deterministic in every namespace, not only the router's.
        nsx "$p-$ns" sysctl -qw net.ipv4.icmp_ratelimit=0
    done
    link "$p-term" eth0 "$TERM_IP/24" "$p-rtr" eth-t "$RTR_TERM_IP/24"
    link "$p-dns" eth0 "$DNS_IP/24" "$p-rtr" eth-d "$RTR_DNS_IP/24"
    link "$p-gw" eth0 "$GW_IP/24" "$p-rtr" eth-g "$RTR_GW_IP/24"
    ip -n "$p-term" route add default via "$RTR_TERM_IP"
    ip -n "$p-dns" route add default via "$RTR_DNS_IP"
    ip -n "$p-gw" route add default via "$RTR_GW_IP"
    nsx "$p-rtr" sysctl -qw net.ipv4.ip_forward=1
    # A host that vanished is reported (ICMP host unreachable) after 3 ARP probes of 200 ms
    # instead of 3 s, so the probe's timeout is not reached first.
    nsx "$p-rtr" sysctl -qw net.ipv4.neigh.eth-g.retrans_time_ms=200
    nsx "$p-rtr" sysctl -qw net.ipv4.neigh.eth-d.retrans_time_ms=200
    nsx "$p-rtr" sysctl -qw net.ipv4.neigh.eth-t.retrans_time_ms=200
    lab_assert_isolated "$p"
    start_dnsmasq "$p" --host-record="$GW_NAME,$GW_IP"
    start_standin "$p"
}

# No route in any lab namespace may leave 198.18.0.0/15.
lab_assert_isolated() {
    local p=$1 ns bad
    for ns in term rtr dns gw; do
        bad=$(ip -n "$p-$ns" -4 route show | awk '
            { dst = $1; if (dst != "default" && dst !~ /^198\.1[89]\./) print }
            { for (i = 1; i < NF; i++) if ($i == "via" && $(i + 1) !~ /^198\.1[89]\./) print }')
        if [ -n "$bad" ]; then
            echo "lab: $p-$ns has a route outside 198.18.0.0/15: $bad" >&2
            return 1
        fi
    done
}

# lab_down P: kill every process in each namespace, then delete it. Bounded.
lab_down() {
    local p=$1 ns pids i
    for ns in term rtr dns gw; do
        ip netns list | grep -qw "^$p-$ns" || continue
        pids=$(ip netns pids "$p-$ns" 2>/dev/null || true)
        if [ -n "$pids" ]; then
            kill $pids 2>/dev/null || true
            for ((i = 0; i < 40; i++)); do
                pids=$(ip netns pids "$p-$ns" 2>/dev/null || true)
                [ -z "$pids" ] && break
                sleep 0.05
            done
            [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
        fi
        ip netns del "$p-$ns" 2>/dev/null || true
    done
}
