#!/usr/bin/env bash
# The hand-written equivalent of Enable-QemuNat / Disable-QemuNat for one network, the way the seed's
# qemu-ifup-NAT script would do it (ip link/addr/up, sysctl, one nft -f, dnsmasq): the baseline the Bench task
# measures the module against. It works on the network namespace it runs in, as the host's admin would run it.
# usage: nat-baseline.sh up|down STATE_DIR
set -euo pipefail
action=$1 state=$2
br=qn-lab
case "$action" in
up)
    ip link add name "$br" type bridge
    ip addr add 192.0.2.1/24 dev "$br"
    ip link set dev "$br" up
    sysctl -q -w net.ipv4.ip_forward=1
    nft -f - <<NFT
table inet qemunet_lab {
    chain input { type filter hook input priority filter; policy accept;
        iifname "$br" udp dport { 53, 67 } accept
        iifname "$br" tcp dport 53 accept
    }
    chain forward { type filter hook forward priority filter; policy accept;
        iifname "$br" oifname "$br" accept
        oifname "$br" ip daddr 192.0.2.0/24 ct state established,related accept
        oifname "$br" ip daddr 192.0.2.0/24 ct status dnat accept
        iifname "$br" ip saddr 192.0.2.0/24 accept
        oifname "$br" reject with icmp type port-unreachable
        iifname "$br" reject with icmp type port-unreachable
    }
    chain postrouting { type nat hook postrouting priority srcnat; policy accept;
        ip saddr 192.0.2.0/24 ip daddr 224.0.0.0/24 return
        ip saddr 192.0.2.0/24 ip daddr 255.255.255.255 return
        meta l4proto tcp ip saddr 192.0.2.0/24 ip daddr != 192.0.2.0/24 masquerade to :1024-65535
        meta l4proto udp ip saddr 192.0.2.0/24 ip daddr != 192.0.2.0/24 masquerade to :1024-65535
        ip saddr 192.0.2.0/24 ip daddr != 192.0.2.0/24 masquerade
    }
}
NFT
    mkdir -p "$state"
    cat > "$state/lab.conf" <<CONF
strict-order
pid-file=$state/lab.pid
except-interface=lo
bind-dynamic
interface=$br
dhcp-range=192.0.2.2,192.0.2.254,255.255.255.0
dhcp-no-override
dhcp-authoritative
dhcp-lease-max=253
dhcp-leasefile=$state/lab.leases
dhcp-hostsfile=$state/lab.hosts
CONF
    : > "$state/lab.hosts"
    dnsmasq --conf-file="$state/lab.conf"
    ;;
down)
    pid=$(cat "$state/lab.pid")
    kill "$pid"
    while kill -0 "$pid" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$pid/stat")" != Z ]; do sleep 0.05; done
    nft delete table inet qemunet_lab
    sysctl -q -w net.ipv4.ip_forward=0
    ip link del "$br"
    rm -f "$state/lab.conf" "$state/lab.hosts" "$state/lab.leases" "$state/lab.pid"
    ;;
esac
