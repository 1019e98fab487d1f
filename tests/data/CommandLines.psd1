# The golden corpus of command lines for ConvertFrom-QemuCommandLine (tests/CommandLine.Tests.ps1).
# Placeholders: {kernel} {initrd} the test guest, {helper} QEMU's bridge helper, {ifup} {ifdown} {ifup-nat} {ifdown-nat} scripts of the test's own
# (they stand for the seed's /etc/qemu-ifup*), {disk} a scratch raw image, {port} a free TCP port per line.
# Seed = the line (or option syntax) is the source document's, its "..." filled in with a kernel and memory.
@{
    Lines = @(
        # Section 1 and 4.3: no -net at all means "-net nic -net user"; this is that default written out.
        @{ Name = 'seed-default'; Seed = $true; Line = 'qemu-kvm -m 256 -kernel {kernel} -initrd {initrd} -net nic -net user' }
        # Section 4.1, step 5: the bridge line, continued over lines as in a script.
        @{ Name = 'seed-bridge'; Seed = $true; Tap = $true; Line = "qemu-kvm -m 256 -kernel {kernel} -initrd {initrd} \`n`t-net nic \`n`t-net tap,ifname=qntap1,script={ifup},downscript=no" }
        # Section 4.2, step 4: the NAT line.
        @{ Name = 'seed-nat'; Seed = $true; Tap = $true; Line = 'qemu-kvm -m 256 -kernel {kernel} -initrd {initrd} -net nic -net tap,ifname=qntap2,script={ifup-nat},downscript={ifdown-nat}' }
        # Section 3: every -net nic option at once (vlan, macaddr, model, name, addr, vectors).
        @{ Name = 'seed-nic-options'; Seed = $true; Line = 'qemu-kvm -m 256 -kernel {kernel} -net nic,vlan=0,macaddr=52:54:00:12:34:56,model=virtio,name=nic-a,addr=05,vectors=0 -net user,vlan=0' }
        # Section 4.1: the -net tap options (vlan, name, ifname, script, downscript, sndbuf).
        @{ Name = 'seed-tap-options'; Seed = $true; Tap = $true; Line = 'qemu-kvm -m 256 -kernel {kernel} -net nic,vlan=2,model=rtl8139 -net tap,vlan=2,name=tapnet,ifname=qntap3,script={ifup},downscript={ifdown},sndbuf=1048576' }
        # Section 4.1: helper= (the bridge helper makes the TAP and puts it on the bridge), and its -net bridge form.
        @{ Name = 'seed-tap-helper'; Seed = $true; Helper = $true; Line = 'qemu-kvm -m 256 -kernel {kernel} -net nic,model=virtio -net tap,helper={helper},br=qnbr0' }
        @{ Name = 'net-bridge'; Helper = $true; Line = '-m 256 -net nic,model=e1000 -net bridge,br=qnbr0' }
        # Section 2: each model of the seed's "model=?" list.
        @{ Name = 'model-ne2k_pci'; Line = '-m 256 -net nic,model=ne2k_pci -net user' }
        @{ Name = 'model-i82551'; Line = '-m 256 -net nic,model=i82551 -net user' }
        @{ Name = 'model-i82557b'; Line = '-m 256 -net nic,model=i82557b -net user' }
        @{ Name = 'model-i82559er'; Line = '-m 256 -net nic,model=i82559er -net user' }
        @{ Name = 'model-rtl8139'; Line = '-m 256 -net nic,model=rtl8139 -net user' }
        @{ Name = 'model-e1000'; Line = '-m 256 -net nic,model=e1000 -net user' }
        @{ Name = 'model-pcnet'; Line = '-m 256 -net nic,model=pcnet -net user' }
        @{ Name = 'model-virtio'; Line = '-m 256 -net nic,model=virtio -net user' }
        # Two vlans: two separate networks, each a hub.
        @{ Name = 'two-vlans'; Line = '-m 256 -net nic,vlan=0,model=e1000 -net user,vlan=0 -net nic,vlan=1,model=rtl8139 -net user,vlan=1,net=198.51.100.0/24' }
        # One user network heard by two NICs, and a socket, on vlan 3.
        @{ Name = 'shared-vlan'; Line = '-m 256 -net nic,vlan=3,model=virtio -net nic,vlan=3,model=e1000 -net user,vlan=3,name=shared -net socket,vlan=3,listen=127.0.0.1:{port}' }
        # User-mode options.
        @{ Name = 'user-options'; Line = '-m 256 -net nic,model=virtio -net user,net=198.18.4.0/24,dhcpstart=198.18.4.30,dns=198.18.4.4,hostname=g1,domainname=example.test,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:80,hostfwd=udp::{port}-:53' }
        # Slot as bus:slot, the old form.
        @{ Name = 'bus-slot'; Line = '-m 256 -net nic,model=e1000,addr=0:7 -net user' }
        # Modern forms.
        @{ Name = 'netdev-device'; Line = '-m 256 -netdev user,id=u0 -device virtio-net-pci,netdev=u0,mac=52:54:00:00:10:01,addr=06.0,id=lan,bootindex=1' }
        @{ Name = 'nic-option'; Line = '-m 256 -nic user,model=e1000,mac=52:54:00:00:10:02' }
        @{ Name = 'nic-tap'; Tap = $true; Line = '-m 256 -nic tap,ifname=qntap4,script={ifup},downscript=no,model=virtio' }
        @{ Name = 'hubport'; Line = '-m 256 -netdev user,id=u0 -netdev hubport,id=p0,hubid=2,netdev=u0 -netdev hubport,id=p1,hubid=2 -device e1000,netdev=p1,id=onhub' }
        @{ Name = 'modern-models'; Line = '-m 256 -netdev user,id=a -device e1000e,netdev=a -netdev user,id=b -device vmxnet3,netdev=b -netdev user,id=c -device tulip,netdev=c' }
        @{ Name = 'tap-multiqueue'; Tap = $true; Line = '-m 256 -smp 2 -netdev tap,id=t0,ifname=qntap5,script={ifup},downscript=no,queues=2,vhost=off,vnet_hdr=on -device virtio-net-pci,netdev=t0,mq=on,vectors=6' }
        @{ Name = 'socket-mcast'; Line = '-m 256 -net nic,model=e1000 -net socket,mcast=230.0.0.1:{port},localaddr=127.0.0.1' }
        # Non-network options carried over: name, cpus, machine with accel, drives, boot order.
        @{ Name = 'machine-and-drives'; Line = '-name guest=corpus-drives -machine pc,accel=tcg -smp 2 -m 1G -drive file={disk},format=raw,if=virtio -hdb {disk2} -boot order=cn -nic user,model=rtl8139' }
        @{ Name = 'no-network'; Line = '-m 256 -kernel {kernel} -net none' }
    )
}
