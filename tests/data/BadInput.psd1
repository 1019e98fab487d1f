# Bad input, one case a line: a command (run inside a throwaway namespace as root, or as a normal user) and the
# error id it must stop with before any host change. Adding a case is adding a line.
@{
    Cases = @(
        # NIC
        @{ Command = "New-QemuNic -Model no-such-nic"; ErrorId = 'NicModelUnknown' }
        @{ Command = "New-QemuNic -MacAddress 52:54:00:zz:00:01"; ErrorId = 'NicMacInvalid' }
        @{ Command = "New-QemuNic -MacAddress 52:54:00:00:01"; ErrorId = 'NicMacInvalid' }
        @{ Command = "New-QemuNic -MacAddress '52:54:00:00:00:01;reboot'"; ErrorId = 'NicMacInvalid' }
        @{ Command = "New-QemuNic -MacAddress 01:00:5e:00:00:01"; ErrorId = 'NicMacMulticast' }
        @{ Command = "New-QemuNic -PciAddress zz"; ErrorId = 'NicPciAddressInvalid' }
        @{ Command = "New-QemuNic -PciAddress 99"; ErrorId = 'NicPciAddressInvalid' }
        @{ Command = "New-QemuNic -Model e1000 -Vectors 4"; ErrorId = 'NicVectorsNotVirtio' }
        @{ Command = "New-QemuNic -Model virtio -Vectors 5000"; ErrorId = 'NicVectorsInvalid' }
        @{ Command = "New-QemuNic -BootIndex 5000"; ErrorId = 'NicBootIndexInvalid' }
        @{ Command = "New-QemuNic -Id 'nic,0'"; ErrorId = 'NicIdInvalid' }
        @{ Command = "New-QemuNic -Id '0nic'"; ErrorId = 'NicIdInvalid' }
        # user-mode network
        @{ Command = "New-QemuUserNet -Subnet 10.0.2.0/29"; ErrorId = 'UserNetSubnetInvalid' }
        @{ Command = "New-QemuUserNet -Subnet 10.0.2.0/33"; ErrorId = 'UserNetSubnetInvalid' }
        @{ Command = "New-QemuUserNet -Subnet not-a-subnet"; ErrorId = 'UserNetSubnetInvalid' }
        @{ Command = "New-QemuUserNet -DhcpStart 192.0.2.9"; ErrorId = 'UserNetDhcpStartInvalid' }
        @{ Command = "New-QemuUserNet -Dns 10.0.3.3"; ErrorId = 'UserNetDnsInvalid' }
        @{ Command = "New-QemuUserNet -HostForward 'tcp:127.0.0.1:70000-:80'"; ErrorId = 'UserNetHostPortInvalid' }
        @{ Command = "New-QemuUserNet -HostForward 'sctp::8080-:80'"; ErrorId = 'UserNetHostForwardInvalid' }
        @{ Command = "New-QemuUserNet -HostForward 'tcp:127.0.0.1:8080-:0'"; ErrorId = 'UserNetGuestPortInvalid' }
        @{ Command = "New-QemuUserNet -HostForward 'tcp:999.0.0.1:8080-:80'"; ErrorId = 'UserNetHostAddressInvalid' }
        @{ Command = "New-QemuUserNet -HostForward 'tcp:127.0.0.1:8080-:80,hostfwd=tcp::22-:22'"; ErrorId = 'UserNetHostForwardInvalid' }
        @{ Command = "New-QemuUserNet -HostForward 8080:80, 8080:81"; ErrorId = 'UserNetHostPortDuplicate' }
        @{ Command = "New-QemuUserNet -Id 'user net'"; ErrorId = 'UserNetIdInvalid' }
        @{ Command = "New-QemuUserNet -HostName 'bad host name'"; ErrorId = 'UserNetHostNameInvalid' }
        # TAP
        @{ Command = "New-QemuTap -IfName tap-name-too-long"; ErrorId = 'TapIfNameInvalid' }
        @{ Command = "New-QemuTap -IfName 'tap/0'"; ErrorId = 'TapIfNameInvalid' }
        @{ Command = "New-QemuTap -IfName 'tap 0'"; ErrorId = 'TapIfNameInvalid' }
        @{ Command = "New-QemuTap -IfName '`$(reboot)'"; ErrorId = 'TapIfNameInvalid' }
        @{ Command = "New-QemuTap -IfName '..'"; ErrorId = 'TapIfNameInvalid' }
        @{ Command = "New-QemuTap -Bridge 'br 0'"; ErrorId = 'TapBridgeInvalid' }
        @{ Command = "New-QemuTap -Bridge 'bridge-name-too-long'"; ErrorId = 'TapBridgeInvalid' }
        @{ Command = "New-QemuTap -Fd 3 -IfName tap0"; ErrorId = 'TapFdConflict' }
        @{ Command = "New-QemuTap -Fd -1"; ErrorId = 'TapFdInvalid' }
        @{ Command = "New-QemuTap -Bridge br0 -Queues 0"; ErrorId = 'TapQueuesInvalid' }
        @{ Command = "New-QemuTap -Bridge br0 -Queues 1000"; ErrorId = 'TapQueuesInvalid' }
        @{ Command = "New-QemuTap -Bridge br0 -UseHelper -IfName tap0"; ErrorId = 'TapHelperConflict' }
        @{ Command = "New-QemuTap -Bridge br0 -Script /bin/true"; ErrorId = 'TapScriptBridgeConflict' }
        @{ Command = "New-QemuTap -Script /bin/true -Hub -1"; ErrorId = 'TapHubInvalid' }
        @{ Command = "New-QemuTap -Script /bin/true -SndBuf -5"; ErrorId = 'ParameterArgumentValidationError' }
        @{ Command = "New-QemuTap -Id 'tap,0' -Script /bin/true"; ErrorId = 'TapIdInvalid' }
        # Start-QemuVm
        @{ Command = "Start-QemuVm -Name '../../etc/x' -Accelerator Tcg -WhatIf"; ErrorId = 'VmNameInvalid' }
        @{ Command = "Start-QemuVm -Name 'vm;reboot' -Accelerator Tcg -WhatIf"; ErrorId = 'VmNameInvalid' }
        @{ Command = "Start-QemuVm -Name vm1 -Kernel /nonexistent/vmlinuz -Accelerator Tcg -WhatIf"; ErrorId = 'VmFileNotFound' }
        @{ Command = "Start-QemuVm -Name vm1 -Initrd /nonexistent/initrd -Accelerator Tcg -WhatIf"; ErrorId = 'VmFileNotFound' }
        @{ Command = "Start-QemuVm -Name vm1 -Disk /nonexistent/disk.qcow2 -Accelerator Tcg -WhatIf"; ErrorId = 'VmFileNotFound' }
        @{ Command = "New-QemuNic | Start-QemuVm -Name vm1 -NoNetwork -Accelerator Tcg -WhatIf"; ErrorId = 'VmNoNetworkWithNic' }
        @{ Command = "Start-QemuVm -Name vm1 -NetworkNamespace qemunet-no-such-ns -Accelerator Tcg -WhatIf"; ErrorId = 'NetworkNamespaceNotFound' }
        @{ Command = "Start-QemuVm -Name vm1 -NetworkNamespace '../x' -Accelerator Tcg -WhatIf"; ErrorId = 'NetworkNamespaceNotFound' }
        @{ Command = "Start-QemuVm -Name vm1 -QemuPath /nonexistent/qemu-system-x86_64 -Accelerator Tcg -WhatIf"; ErrorId = 'QemuNotFound' }
        @{ Command = "(New-QemuNic -MacAddress 52:54:00:00:00:01), (New-QemuNic -MacAddress 52:54:00:00:00:01) | Start-QemuVm -Name vm1 -Accelerator Tcg -WhatIf"; ErrorId = 'NicMacDuplicate' }
        @{ Command = "`$b = New-QemuUserNet; (New-QemuNic -Backend `$b), (New-QemuNic -Backend `$b) | Start-QemuVm -Name vm1 -Accelerator Tcg -WhatIf"; ErrorId = 'NicBackendShared' }
        @{ Command = "(New-QemuTap -IfName tapdup -Script /bin/true), (New-QemuTap -IfName tapdup -Script /bin/true) | Start-QemuVm -Name vm1 -Accelerator Tcg -WhatIf"; ErrorId = 'TapIfNameDuplicate' }
        @{ Command = "(New-QemuUserNet -HostForward 8080:80), (New-QemuUserNet -HostForward 8080:81) | Start-QemuVm -Name vm1 -Accelerator Tcg -WhatIf"; ErrorId = 'UserNetHostPortDuplicate' }
        @{ Command = "New-QemuTap -Bridge qnbad0 | Start-QemuVm -Name vm1 -Accelerator Tcg -WhatIf"; ErrorId = 'TapBridgeNotFound' }
        @{ Command = "New-QemuTap -Script /nonexistent/ifup | Start-QemuVm -Name vm1 -Accelerator Tcg -WhatIf"; ErrorId = 'TapScriptNotFound' }
        @{ Command = "[pscustomobject]@{ Foo = 1 } | Start-QemuVm -Name vm1 -Accelerator Tcg"; ErrorId = 'VmInputNotBound' }
        @{ Command = "[pscustomobject]@{ Model = 'e1000'; MacAddress = 'not-a-mac'; Backend = `$null } | Start-QemuVm -Name vm1 -Accelerator Tcg -WhatIf"; ErrorId = 'NicMacInvalid' }
        @{ Command = "[pscustomobject]@{ Kind = 'Tap'; IfName = 'tap/evil' } | Start-QemuVm -Name vm1 -Accelerator Tcg -WhatIf"; ErrorId = 'TapIfNameInvalid' }
        @{ Command = "[pscustomobject]@{ Kind = 'Vde'; IfName = 'x' } | Start-QemuVm -Name vm1 -Accelerator Tcg -WhatIf"; ErrorId = 'SpecKindUnknown' }
        @{ Command = "[pscustomobject]@{ Model = 'e1000'; Backend = 'tap br0' } | Start-QemuVm -Name vm1 -Accelerator Tcg -WhatIf"; ErrorId = 'SpecBackendNotSaved' }
        @{ Command = "Stop-QemuVm -Name no-such-vm -Confirm:`$false -ErrorAction Stop"; ErrorId = 'VmNotFound' }
        # NAT
        @{ Command = "Enable-QemuNat -Name 'bad name' -WhatIf"; ErrorId = 'NatNameInvalid' }
        @{ Command = "Enable-QemuNat -Name '../lab' -WhatIf"; ErrorId = 'NatNameInvalid' }
        @{ Command = "Enable-QemuNat -Name 'lab;reboot' -WhatIf"; ErrorId = 'NatNameInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/33 -WhatIf"; ErrorId = 'NatSubnetInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.7/24 -WhatIf"; ErrorId = 'NatSubnetInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/31 -WhatIf"; ErrorId = 'NatSubnetInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -BridgeName 'br 0' -WhatIf"; ErrorId = 'NatBridgeNameInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -BridgeName bridge-name-too-long -WhatIf"; ErrorId = 'NatBridgeNameInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -DhcpRange 198.51.100.200, 198.51.100.100 -WhatIf"; ErrorId = 'NatDhcpRangeInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -DhcpRange 203.0.113.10, 203.0.113.20 -WhatIf"; ErrorId = 'NatDhcpRangeInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -DomainName 'bad domain' -WhatIf"; ErrorId = 'NatDomainNameInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Uplink 'eth0;x' -WhatIf"; ErrorId = 'NatUplinkInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Uplink qnnouplink0 -WhatIf"; ErrorId = 'NatUplinkNotFound' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Subnet6 2001:db8:5::/48 -WhatIf"; ErrorId = 'NatSubnet6Invalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Subnet6 fe80::/64 -WhatIf"; ErrorId = 'NatSubnet6Invalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Subnet6 ff05::/64 -WhatIf"; ErrorId = 'NatSubnet6Invalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Subnet6 2001:db8:5::9/64 -WhatIf"; ErrorId = 'NatSubnet6Invalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Subnet6 '2001:db8:5::/64;reboot' -WhatIf"; ErrorId = 'NatSubnet6Invalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Ipv6 -Mtu 1200 -WhatIf"; ErrorId = 'NatMtuInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Route '0.0.0.0/0 via 198.51.100.7' -WhatIf"; ErrorId = 'NatRouteInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Route '203.0.113.0/24 via 203.0.113.1' -WhatIf"; ErrorId = 'NatRouteInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Route '224.0.0.0/4 via 198.51.100.7' -WhatIf"; ErrorId = 'NatRouteInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -Route '203.0.113.0/24 via 198.51.100.7;reboot' -WhatIf"; ErrorId = 'NatRouteInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -DnsForwarder 'ns1;reboot' -WhatIf"; ErrorId = 'NatDnsForwarderInvalid' }
        @{ Command = "Enable-QemuNat -Name lab -Subnet 198.51.100.0/24 -DnsForwarder 203.0.113.53 -Dns Off -WhatIf"; ErrorId = 'NatDnsForwarderWithoutDns' }
        @{ Command = "Add-QemuNatDnsRecord -Network no-such-net -Name files.lab -Address 198.51.100.20 -Confirm:`$false"; ErrorId = 'NatNotFound' }
        @{ Command = "Remove-QemuNatDnsRecord -Network no-such-net -Name files.lab -Confirm:`$false"; ErrorId = 'NatNotFound' }
        @{ Command = "Disable-QemuNat -Name no-such-net -Confirm:`$false"; ErrorId = 'NatNotFound' }
        @{ Command = "Add-QemuPortForward -Network no-such-net -HostPort 8080 -GuestAddress 198.51.100.10 -GuestPort 80 -Confirm:`$false"; ErrorId = 'NatNotFound' }
        @{ Command = "Add-QemuNatReservation -Network no-such-net -MacAddress 52:54:00:00:00:01 -IPAddress 198.51.100.10 -Confirm:`$false"; ErrorId = 'NatNotFound' }
        @{ Command = "Get-QemuNatLease -Network no-such-net -ErrorAction Stop"; ErrorId = 'NatNotFound' }
        # bridges and the helper ACL
        @{ Command = "New-QemuBridge -Name 'br 0' -WhatIf"; ErrorId = 'BridgeNameInvalid' }
        @{ Command = "New-QemuBridge -Name bridge-name-too-long -WhatIf"; ErrorId = 'BridgeNameInvalid' }
        @{ Command = "New-QemuBridge -Name '`$(reboot)' -WhatIf"; ErrorId = 'BridgeNameInvalid' }
        @{ Command = "New-QemuBridge -Name qnbr9 -Uplink lo -WhatIf"; ErrorId = 'BridgeUplinkInvalid' }
        @{ Command = "New-QemuBridge -Name qnbr9 -Uplink 'eth0:1' -WhatIf"; ErrorId = 'BridgeUplinkInvalid' }
        @{ Command = "New-QemuBridge -Name qnbr9 -Uplink qnnouplink0 -WhatIf"; ErrorId = 'BridgeUplinkNotFound' }
        @{ Command = "New-QemuBridge -Name qnbr9 -Stp -ForwardDelay 1 -WhatIf"; ErrorId = 'BridgeForwardDelayInvalid' }
        @{ Command = "Remove-QemuBridge -Name qnnobridge0 -Confirm:`$false -ErrorAction Stop"; ErrorId = 'BridgeNotManaged' }
        @{ Command = "Grant-QemuBridgeAccess -Bridge 'br 0' -WhatIf"; ErrorId = 'BridgeAccessNameInvalid' }
        @{ Command = "Export-QemuIfupScript -Path ./qemu-ifup -WhatIf"; ErrorId = 'IfupBridgeMissing' }
    )
}
