# One fault per scenario, applied to a healthy lab (see topology.sh). Each function takes
# the run's namespace prefix. Sourced by lab/run.

fault_ok() { :; }

# The terminal's interface switched off.
fault_link_down() { ip -n "$1-term" link set eth0 down; }

# The cable pulled at the far end: the router's port goes down, the terminal loses carrier.
fault_no_carrier() { ip -n "$1-rtr" link set eth-t down; }

# A wrong subnet mask: .130/25 leaves the gateway .1 outside the terminal's subnet (the
# default route is kept with "onlink", as a terminal's static settings would).
fault_ip_config() {
    ip -n "$1-term" addr flush dev eth0
    ip -n "$1-term" addr add 198.18.1.130/25 dev eth0
    ip -n "$1-term" route add default via "$RTR_TERM_IP" dev eth0 onlink
}

# The gateway (default route) removed from the terminal's settings.
fault_no_route() { ip -n "$1-term" route del default; }

# A wrong default gateway typed in: 198.18.1.254 is in the subnet but nobody has it.
fault_wrong_gateway() {
    ip -n "$1-term" route replace default via 198.18.1.254
}

# kill_pidfile FILE NS PROTO PORT: the process in FILE, until nothing listens (bounded).
kill_pidfile() {
    local pidf=$1 ns=$2 proto=$3 port=$4 i
    kill "$(cat "$pidf")"
    for ((i = 0; i < WAIT_TRIES; i++)); do
        nsx "$ns" ss -Hln"$proto" "sport = :$port" | grep -q . || return 0
        sleep 0.05
    done
    return 1
}

# The DNS server stopped: its host answers ICMP port unreachable.
fault_dns_server() { kill_pidfile "$LAB_LOGS/$1-dnsmasq.pid" "$1-dns" u 53; }

# The DNS server lost the gateway's record: NXDOMAIN for it.
fault_dns_name() {
    fault_dns_server "$1"
    start_dnsmasq "$1" --local=/posnet.test/
}

# The DNS server refuses: it is authoritative for nothing and has no upstream, so it answers
# REFUSED (as a resolver that serves only its own clients does).
fault_dns_refused() {
    fault_dns_server "$1"
    start_dnsmasq "$1"
}

# A resolver that answers every name with one address (a hijacked or misconfigured DNS).
fault_dns_redirect() {
    fault_dns_server "$1"
    start_dnsmasq "$1" --address="/#/$ATK_IP"
}

# A suspended line: the operator's resolver sends every name to its portal, which answers
# plain HTTP on any port, the gateway's included.
fault_service_suspended() {
    fault_dns_redirect "$1"
    nsx "$1-atk" "$LAB_BIN/portal" --listen "$ATK_IP:$GW_PORT" --seconds 120 \
        >>"$LAB_LOGS/$1-portal.log" 2>&1 &
    wait_listen "$1-atk" t "$GW_PORT"
}

router_rule() { # P RULE
    nsx "$1-rtr" nft -f - <<NFT
table inet posnet_lab {
    chain posnet_forward {
        type filter hook forward priority 0; policy accept;
        ip saddr $TERM_IP tcp dport $GW_PORT $2
    }
}
NFT
}

# The router's firewall silently drops the terminal's connections to the gateway.
fault_firewall_drop() { router_rule "$1" drop; }

# The router's firewall resets them (the reset is forged by the router, not the gateway).
fault_firewall_reject_rst() { router_rule "$1" "reject with tcp reset"; }

# The router's firewall answers ICMP "communication administratively prohibited".
fault_firewall_reject_icmp() { router_rule "$1" "reject with icmp type admin-prohibited"; }

# Injected resets: once a connection is established the router resets it (as a middlebox
# killing flows does), so connects work and every session dies at its first data.
fault_connection_reset() { router_rule "$1" "ct state established reject with tcp reset"; }

# The gateway service stopped; its host is up and answers with a reset.
fault_gateway_down() { kill_ns_pids "$1-gw"; }

# The gateway host's link cut: the router can no longer reach it.
fault_gateway_host_down() { ip -n "$1-gw" link set eth0 down; }

# The gateway in maintenance: restarted with `maintenance = true`; it answers 90.
fault_gateway_maintenance() {
    local d
    d=$(data_of "$1")
    kill_ns_pids "$1-gw"
    sed -i 's/^maintenance = false$/maintenance = true/' "$d/gateway.toml"
    grep -q '^maintenance = true$' "$d/gateway.toml"
    start_gateway "$1"
}

# The issuer cut off behind a healthy gateway: its link goes down (the issuer process keeps
# running); the gateway notices on its next link echo and answers sign-ons 91.
fault_issuer_down() {
    ip -n "$1-iss" link set eth0 down
    wait_log "$LAB_LOGS/$1-gateway.log" 'issuer link "lab-issuer" did not answer its 0800' 200
}

# rogue_tls P NAME: an on-path redirect in the router (nft dnat) of the terminal's
# connections to the gateway, towards a TLS server in the attacker's host that presents the
# rogue certificate NAME (self-signed, wrong name or expired).
rogue_tls() {
    local p=$1 name=$2
    nsx "$p-atk" openssl s_server -quiet -accept "$ATK_IP:$GW_PORT" \
        -cert "$LAB_TPL/rogue/$name.pem" -key "$LAB_TPL/rogue/$name.key" \
        </dev/null >>"$LAB_LOGS/$p-rogue.log" 2>&1 &
    wait_listen "$p-atk" t "$GW_PORT"
    nsx "$p-rtr" nft -f - <<NFT
table ip posnet_lab_nat {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        ip saddr $TERM_IP ip daddr $GW_IP tcp dport $GW_PORT dnat to $ATK_IP:$GW_PORT
    }
}
NFT
}

fault_tls_untrusted() { rogue_tls "$1" selfsigned; }
fault_tls_name() { rogue_tls "$1" wrongname; }
fault_tls_expired() { rogue_tls "$1" expired; }

# Loss on the line: the router drops 12% of the packets between terminal and gateway, each
# way, at random (nft numgen).
fault_packet_loss() {
    nsx "$1-rtr" nft -f - <<NFT
table inet posnet_lab {
    chain posnet_forward {
        type filter hook forward priority 0; policy accept;
        ip saddr $TERM_IP ip daddr $GW_IP numgen random mod 100 < 12 drop
        ip saddr $GW_IP ip daddr $TERM_IP numgen random mod 100 < 12 drop
    }
}
NFT
}

# A flapping link: while the doctor runs, the router's port to the terminal goes down for
# 150 ms three times (a bounded loop), starting once the first checks are done.
fault_link_flapping() { :; }
during_link_flapping() {
    local i
    sleep 0.8
    for ((i = 0; i < 3; i++)); do
        ip -n "$1-rtr" link set eth-t down
        sleep 0.15
        ip -n "$1-rtr" link set eth-t up
        sleep 0.5
    done
}

# Congestion: the line to the terminal is a 2 Mbit/s token bucket with a deep queue (tbf;
# 1 s of backlog), and a bulk flow of 2.5 Mbit/s towards the terminal fills it slowly while the
# doctor runs (the delay climbs, then stays high); after each run the flow is stopped and
# the queue emptied.
congestion_qdisc() {
    nsx "$1-rtr" tc qdisc replace dev eth-t root tbf rate 2mbit burst 16kb latency 1000ms
}
fault_congestion() { congestion_qdisc "$1"; }
during_congestion() {
    nsx "$1-atk" "$LAB_BIN/blast" --to "$TERM_IP:9" --kbit 2500 --seconds 30
}
after_congestion() {
    kill_ns_pids "$1-atk"
    nsx "$1-rtr" tc qdisc del dev eth-t root
    congestion_qdisc "$1"
}

# High latency: the router holds every packet from the terminal to the gateway 600 ms (plus
# up to 60 ms of jitter) in an NFQUEUE program; a steady slow path, no queue building up.
# (This kernel has nft's queue expression off but xtables' NFQUEUE on: hence iptables.)
fault_high_latency() {
    nsx "$1-rtr" "$LAB_BIN/nfqdelay" --queue 7 --delay-ms 600 --jitter-ms 60 --seconds 120 \
        >>"$LAB_LOGS/$1-nfqdelay.log" 2>&1 &
    wait_log "$LAB_LOGS/$1-nfqdelay.log" "queue 7 bound"
    nsx "$1-rtr" iptables -A FORWARD -s "$TERM_IP" -d "$GW_IP" -p tcp --dport "$GW_PORT" \
        -j NFQUEUE --queue-num 7
}

# A SYN flood: the gateway's host has syncookies off, a 16-entry listen queue and one SYN-ACK
# retry (half-open entries live ~3 s); once the doctor's first checks are done, the attacker
# floods the gateway's port with SYNs from a spoofed lab address nobody has (hping3, 500/s,
# bounded), so new connections stall while the established link keeps answering.
fault_syn_flood() {
    nsx "$1-gw" sysctl -qw net.ipv4.tcp_syncookies=0 net.core.somaxconn=16 \
        net.ipv4.tcp_synack_retries=1
    kill_ns_pids "$1-gw"
    start_gateway "$1"
}
during_syn_flood() {
    sleep 1
    nsx "$1-atk" hping3 -q -S -p "$GW_PORT" -a 198.18.5.99 -i u2000 -c 10000 "$GW_IP"
}
after_syn_flood() {
    kill_ns_pids "$1-atk" INT
    # The half-open entries expire (one SYN-ACK retry: about 3 s) before the next run.
    sleep 3.5
}
