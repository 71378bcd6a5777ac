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

# The DNS server stopped: its host answers ICMP port unreachable.
fault_dns_server() {
    local pidf="$LAB_LOGS/$1-dnsmasq.pid" i
    kill "$(cat "$pidf")"
    for ((i = 0; i < WAIT_TRIES; i++)); do
        nsx "$1-dns" ss -Hlnu "sport = :53" | grep -q . || return 0
        sleep 0.05
    done
    return 1
}

# The DNS server lost the gateway's record: NXDOMAIN for it.
fault_dns_name() {
    fault_dns_server "$1"
    start_dnsmasq "$1"
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

# The gateway service stopped; its host is up and answers with a reset.
fault_gateway_down() {
    local pids i
    pids=$(ip netns pids "$1-gw")
    kill $pids
    for ((i = 0; i < WAIT_TRIES; i++)); do
        nsx "$1-gw" ss -Hlnt "sport = :$GW_PORT" | grep -q . || return 0
        sleep 0.05
    done
    return 1
}

# The gateway host's link cut: the router can no longer reach it.
fault_gateway_host_down() { ip -n "$1-gw" link set eth0 down; }
