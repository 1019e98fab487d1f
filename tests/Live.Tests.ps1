# Live network operations on a running guest, over its QMP socket: hot-plugged NICs (user-mode, and a TAP on a NAT
# network), the cable pulled and plugged in, user-mode host forwards added and removed, packet captures and
# announcements. One guest boots for the whole file, in a namespace the test makes; it reports on its console what
# it sees (tests/guest/init): NICs that appear or vanish, their leases, carrier changes.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $skip = Get-TestSkipReason -Need Root, Qemu, Guest, Nat
    if (-not $skip -and -not (Test-Path /usr/bin/tcpdump) -and -not (Test-Path /usr/sbin/tcpdump)) { $skip = 'tcpdump is not installed (apt-get install tcpdump)' }
    if ($skip) { Write-Warning "Skipping the live-operations tests: $skip" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:skipRun = Get-TestSkipReason -Need Root, Qemu, Guest, Nat
    if ($skipRun) { return }

    function Get-GuestLines { @((Get-Content -Raw $vm.ConsoleLog) -split "`r?`n" | Where-Object { $_ -match '^QEMUNET-' }) }

    function Wait-GuestLine([int]$After, [string]$Pattern, [int]$TimeoutSec = 60) {
        # The first console line after the first $After marker lines that matches.
        $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSec)
        do {
            $found = @(Get-GuestLines | Select-Object -Skip $After | Where-Object { $_ -match $Pattern })
            if ($found) { return $found[0] }
            Start-Sleep -Milliseconds 200
        } while ([datetime]::UtcNow -lt $deadline)
        throw "The guest printed no line matching '$Pattern' within $TimeoutSec s. Its lines: $((Get-GuestLines) -join ' | ')"
    }

    function Get-Page([int]$Port) {
        # At most 5 s: with the cable pulled, user-mode networking accepts the connection and then waits on the guest.
        "GET / HTTP/1.0`r`nHost: 127.0.0.1`r`n`r`n" | & ip netns exec $ns timeout 5 busybox nc 127.0.0.1 $Port 2>&1 | Out-String
    }

    function Get-LiveState {
        # What a refused command must leave as it was: the record, QEMU's NICs and forwards, the namespace's links.
        [pscustomobject]@{
            Record   = Get-Content -Raw (Join-Path $state 'live.vm.json')
            Nics     = (Get-QemuVmNic -VmName live | ForEach-Object { "$($_.Id) $($_.MacAddress) $($_.NetdevId) $($_.Backend)" }) -join "`n"
            Forwards = (Get-QemuVmHostForward -VmName live | ForEach-Object { "$($_.Forward) $($_.Active)" }) -join "`n"
            Links    = (& ip -n $ns -br link | ForEach-Object { ($_ -split '\s+')[0] } | Sort-Object) -join ' '
        }
    }

    function ConvertFrom-Frame([byte[]]$Bytes, [int]$Frame) {
        # An Ethernet frame's type and, for IPv4, its protocol and ports.
        $etherType = $Bytes[$Frame + 12] * 256 + $Bytes[$Frame + 13]
        $packet = @{ EtherType = $etherType; Protocol = $null; SourcePort = $null; DestinationPort = $null }
        if ($etherType -eq 0x0800) {
            $ip = $Frame + 14
            $packet.Protocol = $Bytes[$ip + 9]
            $l4 = $ip + ($Bytes[$ip] -band 0x0f) * 4
            if ($packet.Protocol -in 6, 17) {
                $packet.SourcePort = $Bytes[$l4] * 256 + $Bytes[$l4 + 1]
                $packet.DestinationPort = $Bytes[$l4 + 2] * 256 + $Bytes[$l4 + 3]
            }
        }
        [pscustomobject]$packet
    }

    function Read-Pcap([string]$Path) {
        # The classic pcap header and its packets.
        $bytes = [IO.File]::ReadAllBytes($Path)
        $packets = [Collections.Generic.List[object]]::new()
        $offset = 24
        while ($offset + 16 -le $bytes.Length) {
            $length = [BitConverter]::ToUInt32($bytes, $offset + 8)
            $frame = $offset + 16
            if ($frame + $length -gt $bytes.Length) { break }
            $packets.Add((ConvertFrom-Frame $bytes $frame))
            $offset = $frame + $length
        }
        [pscustomobject]@{ Magic = [BitConverter]::ToUInt32($bytes, 0); LinkType = [BitConverter]::ToUInt32($bytes, 20); Packets = $packets }
    }

    function Read-Frames([byte[]]$Bytes) {
        # QEMU's mirror stream: a 4-byte big-endian length, then the packet, again and again.
        $offset = 0
        while ($offset + 4 -le $Bytes.Length) {
            $length = (($Bytes[$offset] * 256 + $Bytes[$offset + 1]) * 256 + $Bytes[$offset + 2]) * 256 + $Bytes[$offset + 3]
            if ($offset + 4 + $length -gt $Bytes.Length) { break }
            ConvertFrom-Frame $Bytes ($offset + 4)
            $offset += 4 + $length
        }
    }

    $script:ns = New-TestNamespace 'qnt-live'
    $script:state = New-TestStateDirectory
    $script:scratch = (New-Item -ItemType Directory -Path "$state-scratch").FullName
    $script:port0 = 18300
    $null = Enable-QemuNat -Name lab -Subnet 203.0.113.0/24 -NetworkNamespace $ns -Confirm:$false
    $guest = @{ Kernel = (Join-Path $GuestDir 'vmlinuz'); Initrd = (Join-Path $GuestDir 'initrd.img'); Accelerator = 'Tcg'; Memory = 256; NetworkNamespace = $ns }
    $script:vm = New-QemuUserNet -HostForward "tcp:127.0.0.1:$port0-:80" | New-QemuNic -Model virtio |
        Start-QemuVm -Name live @guest -Append "$GuestAppend qn_hold=1200"
    # A VM that is not running, for the refusals: started and turned off at once.
    $null = Start-QemuVm -Name off @guest -Append "$GuestAppend qn_hold=5" -NoNetwork
    Stop-QemuVm -Name off -TurnOff -Confirm:$false
    $null = Wait-GuestConsole $vm
}

AfterAll {
    if ($skipRun) { return }
    Get-QemuVm | Remove-QemuVm -Force -Confirm:$false
    Disable-QemuNat -Name lab -NetworkNamespace $ns -Force -Confirm:$false
    Remove-TestStateDirectory $state
    Remove-Item $scratch -Recurse -Force -ErrorAction Ignore
    Remove-TestNamespace $ns
}

Describe 'Refusals: bad input on a running guest' -Skip:([bool]$skip) {
    BeforeAll {
        # Port 18391 is a NAT network's forward; something listens on port 18392 (busybox nc: on :: too).
        $null = Add-QemuPortForward -Network lab -HostPort 18391 -GuestAddress 203.0.113.50 -GuestPort 80 -NetworkNamespace $ns -Confirm:$false
        $script:listener = [Diagnostics.Process]::Start('ip', "netns exec $ns busybox nc -l -p 18392")
        $deadline = [datetime]::UtcNow.AddSeconds(10)
        while (-not (& ip netns exec $ns cat /proc/net/tcp /proc/net/tcp6 | Select-String ':47D8 ') -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
    }
    AfterAll {
        $listener.Kill()
        $listener.WaitForExit()
        Remove-QemuPortForward -Network lab -HostPort 18391 -NetworkNamespace $ns -Confirm:$false
    }

    It '<Case>: <Id>, and nothing changed' -TestCases @(
        @{ Case = 'unknown VM'; Id = 'VmNotFound'; Command = 'New-QemuNic | Add-QemuVmNic -VmName nosuch' }
        @{ Case = 'VM not running (hot-plug)'; Id = 'VmNotRunning'; Command = 'New-QemuNic | Add-QemuVmNic -VmName off' }
        @{ Case = 'VM not running (link)'; Id = 'VmNotRunning'; Command = 'Set-QemuVmNic -VmName off -Id nic0 -LinkState Down' }
        @{ Case = 'unknown NIC (link)'; Id = 'VmNicNotFound'; Command = 'Set-QemuVmNic -VmName live -Id nic9 -LinkState Down' }
        @{ Case = 'unknown NIC (unplug)'; Id = 'VmNicNotFound'; Command = 'Remove-QemuVmNic -VmName live -Id nic9' }
        @{ Case = 'unknown NIC (capture)'; Id = 'VmNicNotFound'; Command = 'Start-QemuNetCapture -VmName live -Id nic9 -Path "$scratch/x.pcap"' }
        @{ Case = 'duplicate NIC id'; Id = 'NicIdDuplicate'; Command = 'New-QemuNic -Id nic0 | Add-QemuVmNic -VmName live' }
        @{ Case = 'duplicate MAC'; Id = 'NicMacDuplicate'; Command = 'New-QemuNic -MacAddress (Get-QemuVm live).Nics[0].MacAddress | Add-QemuVmNic -VmName live' }
        @{ Case = 'an ISA NIC cannot be hot-plugged'; Id = 'VmNicNotHotpluggable'; Command = '[QemuNet.Core.Model.QemuNic]@{ Model = "ne2k_isa" } | Add-QemuVmNic -VmName live' }
        @{ Case = 'a PCI slot in use (QEMU''s own refusal)'; Id = 'QmpCommandFailed'; Command = 'New-QemuNic -PciAddress 01.0 | Add-QemuVmNic -VmName live' }
        @{ Case = 'a TAP on a bridge that does not exist'; Id = 'TapBridgeNotFound'; Command = 'New-QemuTap -Bridge nosuchbr0 -NetworkNamespace $ns | New-QemuNic | Add-QemuVmNic -VmName live' }
        @{ Case = 'forward duplicate'; Id = 'UserNetHostPortDuplicate'; Command = 'Add-QemuVmHostForward -VmName live -HostForward "$($port0):80"' }
        @{ Case = 'forward port out of range'; Id = 'UserNetHostPortInvalid'; Command = 'Add-QemuVmHostForward -VmName live -HostForward "70000:80"' }
        @{ Case = 'forward guest address outside the subnet'; Id = 'UserNetGuestAddressInvalid'; Command = 'Add-QemuVmHostForward -VmName live -HostForward "tcp:127.0.0.1:18390-192.0.2.9:80"' }
        @{ Case = 'forward of a port a NAT network forwards'; Id = 'VmHostPortInUse'; Command = 'Add-QemuVmHostForward -VmName live -HostForward "18391:80"' }
        @{ Case = 'forward of a port something listens on'; Id = 'VmHostPortInUse'; Command = 'Add-QemuVmHostForward -VmName live -HostForward "18392:80"' }
        @{ Case = 'unknown forward'; Id = 'VmHostForwardNotFound'; Command = 'Remove-QemuVmHostForward -VmName live -HostPort 18393' }
        @{ Case = 'capture folder missing'; Id = 'CaptureFolderNotFound'; Command = 'Start-QemuNetCapture -VmName live -Id nic0 -Path "$scratch/nosuch/x.pcap"' }
        @{ Case = 'capture file exists'; Id = 'CaptureFileExists'; Command = 'Set-Content "$scratch/exists.pcap" x; Start-QemuNetCapture -VmName live -Id nic0 -Path "$scratch/exists.pcap"' }
        @{ Case = 'unknown capture'; Id = 'CaptureNotFound'; Command = 'Stop-QemuNetCapture -VmName live -Id cap9' }
    ) {
        $before = Get-LiveState
        $err = Get-Failure ([scriptblock]::Create($Command + ' -Confirm:$false -ErrorAction Stop'))
        $err | Should -Not -BeNullOrEmpty -Because 'the command must be refused'
        ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be $Id -Because $err.Exception.Message
        $err.TargetObject | Should -Not -BeNullOrEmpty -Because 'the offending value is the target'
        $after = Get-LiveState
        foreach ($p in 'Record', 'Nics', 'Forwards', 'Links') { $after.$p | Should -Be $before.$p -Because "$p must be as it was" }
        @(Get-QemuVm -Name live).State | Should -Be 'Running'
    }
}

Describe 'Hot-plug on a running guest' -Skip:([bool]$skip) {
    It 'a virtio NIC on user-mode networking: the guest sees it, leases, serves HTTP through its forward; unplugged, it is gone' {
        $mark = @(Get-GuestLines).Count
        $nic = New-QemuUserNet -Subnet 198.51.100.0/24 -HostForward 'tcp:127.0.0.1:18301-:80' | New-QemuNic -Model virtio |
            Add-QemuVmNic -VmName live -Confirm:$false
        $nic.Id | Should -Be 'nic1'
        $nic.MacAddress | Should -Match '^52:54:00:'
        $added = ConvertFrom-GuestLine (Wait-GuestLine $mark '^QEMUNET-NIC-ADDED ')
        $added.mac | Should -Be $nic.MacAddress
        $added.driver | Should -Be 'virtio_net'
        $lease = ConvertFrom-GuestLine (Wait-GuestLine $mark "^QEMUNET-(NO)?LEASE name=$($added.name) ")
        $lease.ip | Should -Be '198.51.100.15'
        Get-Page 18301 | Should -Match 'QEMUNET-HTTP-OK'

        @((Get-QemuVm -Name live).Nics.Id) | Should -Be @('nic0', 'nic1')
        $status = Get-QemuVmNic -VmName live -Id nic1
        $status.InQemu | Should -BeTrue
        $status.InRecord | Should -BeTrue
        $status.Drift | Should -BeNullOrEmpty
        $status.Device | Should -Be 'virtio-net-pci'
        $status.MacAddress | Should -Be $nic.MacAddress
        $status.Promiscuous | Should -Not -BeNullOrEmpty -Because 'virtio answers query-rx-filter'

        $mark = @(Get-GuestLines).Count
        Remove-QemuVmNic -VmName live -Id nic1 -Confirm:$false
        Wait-GuestLine $mark "^QEMUNET-NIC-GONE name=$($added.name)$" | Should -Not -BeNullOrEmpty
        @((Get-QemuVmNic -VmName live).Id) | Should -Be @('nic0')
        @((Get-QemuVm -Name live).Nics.Id) | Should -Be @('nic0')
        Get-Page 18301 | Should -Match 'refused'
    }

    It 'a TAP on a NAT network: a lease from its dnsmasq; Send-QemuVmAnnounce is seen on the TAP; unplugged, the TAP is gone' {
        $mark = @(Get-GuestLines).Count
        $nic = Get-QemuNat -Name lab -NetworkNamespace $ns | New-QemuNic -Model virtio | Add-QemuVmNic -VmName live -Confirm:$false
        $tap = $nic.Backend.IfName
        (& ip -n $ns -j link show $tap | ConvertFrom-Json).master | Should -Be (Get-QemuNat -Name lab -NetworkNamespace $ns).BridgeName
        $added = ConvertFrom-GuestLine (Wait-GuestLine $mark '^QEMUNET-NIC-ADDED ')
        $added.mac | Should -Be $nic.MacAddress
        $lease = ConvertFrom-GuestLine (Wait-GuestLine $mark "^QEMUNET-(NO)?LEASE name=$($added.name) ")
        $lease.ip | Should -Match '^203\.0\.113\.'
        (Get-QemuNatLease -Name lab -NetworkNamespace $ns | Where-Object MacAddress -eq $nic.MacAddress).IPAddress | Should -Be $lease.ip

        $out = Join-Path $scratch 'announce.txt'
        $dump = Start-Process -FilePath ip -ArgumentList 'netns', 'exec', $ns, 'tcpdump', '-i', $tap, '-n', '-e', '-l', 'rarp or arp' `
            -RedirectStandardOutput $out -RedirectStandardError "$out.err" -PassThru
        try {
            $deadline = [datetime]::UtcNow.AddSeconds(20)
            while (-not ((Get-Content "$out.err" -Raw -ErrorAction Ignore) -match 'listening on') -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            Send-QemuVmAnnounce -VmName live -Id $nic.Id -Rounds 3 -Confirm:$false
            $deadline = [datetime]::UtcNow.AddSeconds(20)
            $gratuitous = "Request who-has $([regex]::Escape($lease.ip)) tell $([regex]::Escape($lease.ip)),"
            while (-not ((Get-Content $out -Raw -ErrorAction Ignore) -match "(?s)Reverse Request.*$gratuitous|$gratuitous.*Reverse Request") -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
        } finally {
            & kill -INT $dump.Id 2>$null
            $dump.WaitForExit(5000) | Out-Null
        }
        $seen = Get-Content $out -Raw
        $seen | Should -Match "$([regex]::Escape($nic.MacAddress)) > ff:ff:ff:ff:ff:ff, ethertype Reverse ARP" -Because $seen
        $seen | Should -Match "Reverse Request who-is $([regex]::Escape($nic.MacAddress))"
        # virtio asks the guest to announce itself too: a gratuitous ARP for its address.
        $seen | Should -Match "$([regex]::Escape($nic.MacAddress)) > ff:ff:ff:ff:ff:ff, ethertype ARP \(0x0806\), length \d+: $gratuitous"

        $mark = @(Get-GuestLines).Count
        $nic | Select-Object @{ n = 'VmName'; e = { 'live' } }, Id | Remove-QemuVmNic -Confirm:$false
        Wait-GuestLine $mark "^QEMUNET-NIC-GONE name=$($added.name)$" | Should -Not -BeNullOrEmpty
        & ip -n $ns link show $tap 2>$null
        $LASTEXITCODE | Should -Not -Be 0 -Because "the TAP $tap the module made is deleted"
        @((Get-QemuVm -Name live).Nics.Id) | Should -Be @('nic0')
        (Get-QemuVm -Name live).CreatedTaps | Should -BeNullOrEmpty
    }
}

Describe 'The cable and the forwards of a running guest' -Skip:([bool]$skip) {
    It 'Set-QemuVmNic -LinkState Down: carrier 0 and the forward stops answering; Up: carrier 1 and it answers again' {
        Get-Page $port0 | Should -Match 'QEMUNET-HTTP-OK'
        $mark = @(Get-GuestLines).Count
        Set-QemuVmNic -VmName live -Id nic0 -LinkState Down -Confirm:$false
        Wait-GuestLine $mark '^QEMUNET-CARRIER name=eth0 carrier=0$' | Should -Not -BeNullOrEmpty
        (Get-QemuVmNic -VmName live -Id nic0).LinkState | Should -Be 'Down'
        Get-Page $port0 | Should -Not -Match 'QEMUNET-HTTP-OK'

        $mark = @(Get-GuestLines).Count
        $status = Set-QemuVmNic -VmName live -Id nic0 -LinkState Up -PassThru -Confirm:$false
        $status.LinkState | Should -Be 'Up'
        Wait-GuestLine $mark '^QEMUNET-CARRIER name=eth0 carrier=1$' | Should -Not -BeNullOrEmpty
        Get-Page $port0 | Should -Match 'QEMUNET-HTTP-OK'
    }

    It 'Add-QemuVmHostForward serves the guest''s HTTP on a new port at once; Remove-QemuVmHostForward closes it' {
        $forward = Add-QemuVmHostForward -VmName live -HostForward '18302:80' -Confirm:$false
        $forward.HostAddress | Should -Be '127.0.0.1' -Because 'a forward is not opened to the LAN unless asked'
        $forward.NicId | Should -Be 'nic0'
        Get-Page 18302 | Should -Match 'QEMUNET-HTTP-OK'
        (Get-QemuVmHostForward -VmName live | Where-Object HostPort -eq 18302).Active | Should -BeTrue
        (Get-QemuVm -Name live).Nics[0].Backend.HostForward.HostPort | Should -Contain 18302

        Get-QemuVmHostForward -VmName live | Where-Object HostPort -eq 18302 | Remove-QemuVmHostForward -Confirm:$false
        Get-Page 18302 | Should -Match 'refused'
        (Get-QemuVmHostForward -VmName live).HostPort | Should -Not -Contain 18302
        (Get-QemuVm -Name live).Nics[0].Backend.HostForward.HostPort | Should -Be @($port0)
    }
}

Describe 'Completion of a running guest''s parts' -Skip:([bool]$skip) {
    It 'completes -Id with the NICs of the VM named by -VmName, and Stop-QemuNetCapture -Id with its captures' {
        $line = 'Set-QemuVmNic -VmName live -Id '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('nic0')
        $capture = Start-QemuNetCapture -VmName live -Id nic0 -Path (Join-Path $scratch 'complete.pcap') -CaptureId probe -Confirm:$false
        try {
            $line = 'Stop-QemuNetCapture -VmName live -Id p'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('probe')
        } finally {
            $capture | Stop-QemuNetCapture -Confirm:$false
        }
    }
}

Describe 'Packet captures of a running guest' -Skip:([bool]$skip) {
    It 'captures a fetch through a forward to a pcap (linktype 1, the TCP packets to port 80), and Stop counts them' {
        $path = Join-Path $scratch 'both.pcap'
        $capture = Start-QemuNetCapture -VmName live -Id nic0 -Path $path -Confirm:$false
        $capture.Direction | Should -Be 'Both'
        (Get-QemuNetCapture -VmName live).Id | Should -Be $capture.Id
        Get-Page $port0 | Should -Match 'QEMUNET-HTTP-OK'
        $stopped = Stop-QemuNetCapture -VmName live -Id $capture.Id -Confirm:$false
        Get-QemuNetCapture -VmName live | Should -BeNullOrEmpty

        $pcap = Read-Pcap $path
        $pcap.Magic | Should -Be 0xa1b2c3d4u
        $pcap.LinkType | Should -Be 1 -Because 'Ethernet'
        $stopped.Packets | Should -BeGreaterThan 0
        $stopped.Packets | Should -Be $pcap.Packets.Count
        @($pcap.Packets | Where-Object { $_.Protocol -eq 6 -and $_.DestinationPort -eq 80 }) | Should -Not -BeNullOrEmpty
        @($pcap.Packets | Where-Object { $_.Protocol -eq 6 -and $_.SourcePort -eq 80 }) | Should -Not -BeNullOrEmpty
    }

    It '-Direction Rx keeps what the guest receives and nothing it sends' {
        $path = Join-Path $scratch 'rx.pcap'
        $capture = Start-QemuNetCapture -VmName live -Id nic0 -Path $path -Direction Rx -Confirm:$false
        Get-Page $port0 | Should -Match 'QEMUNET-HTTP-OK'
        $stopped = $capture | Stop-QemuNetCapture -Confirm:$false
        $pcap = Read-Pcap $path
        $stopped.Packets | Should -Be $pcap.Packets.Count
        @($pcap.Packets | Where-Object { $_.Protocol -eq 6 -and $_.DestinationPort -eq 80 }) | Should -Not -BeNullOrEmpty
        @($pcap.Packets | Where-Object { $_.Protocol -eq 6 -and $_.SourcePort -eq 80 }) | Should -BeNullOrEmpty
    }

    It '-Mirror copies the packets to a file of frames, and to a unix socket that listens' {
        $path = Join-Path $scratch 'mirror.frames'
        $capture = Start-QemuNetCapture -VmName live -Id nic0 -Path $path -Mirror -Confirm:$false
        $capture.Mirror | Should -BeTrue
        Get-Page $port0 | Should -Match 'QEMUNET-HTTP-OK'
        $stopped = $capture | Stop-QemuNetCapture -Confirm:$false
        $frames = @(Read-Frames ([IO.File]::ReadAllBytes($path)))
        $stopped.Packets | Should -Be $frames.Count
        @($frames | Where-Object { $_.Protocol -eq 6 -and $_.DestinationPort -eq 80 }) | Should -Not -BeNullOrEmpty
        @($frames | Where-Object { $_.Protocol -eq 6 -and $_.SourcePort -eq 80 }) | Should -Not -BeNullOrEmpty

        $socketPath = Join-Path $scratch 'mirror.sock'
        $listener = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::Unix, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Unspecified)
        try {
            $listener.Bind([Net.Sockets.UnixDomainSocketEndPoint]::new($socketPath))
            $listener.Listen(1)
            $accepted = $listener.AcceptAsync()
            $capture = Start-QemuNetCapture -VmName live -Id nic0 -Path $socketPath -Mirror -Direction Tx -Confirm:$false
            $accepted.Wait(10000) | Should -BeTrue -Because 'QEMU connects to the socket'
            Get-Page $port0 | Should -Match 'QEMUNET-HTTP-OK'
            $received = [IO.MemoryStream]::new()
            $buffer = [byte[]]::new(65536)
            $deadline = [datetime]::UtcNow.AddSeconds(5)
            while ([datetime]::UtcNow -lt $deadline -and -not @(Read-Frames $received.ToArray() | Where-Object SourcePort -eq 80)) {
                if ($accepted.Result.Poll(200000, [Net.Sockets.SelectMode]::SelectRead)) {
                    $n = $accepted.Result.Receive($buffer)
                    if ($n -eq 0) { break }
                    $received.Write($buffer, 0, $n)
                }
            }
            $null = $capture | Stop-QemuNetCapture -Confirm:$false
            $frames = @(Read-Frames $received.ToArray())
            @($frames | Where-Object { $_.Protocol -eq 6 -and $_.SourcePort -eq 80 }) | Should -Not -BeNullOrEmpty -Because 'the guest sends its page'
            @($frames | Where-Object { $_.Protocol -eq 6 -and $_.DestinationPort -eq 80 }) | Should -BeNullOrEmpty -Because 'Tx keeps only what the guest sends'
        } finally {
            if ($accepted -and $accepted.IsCompletedSuccessfully) { $accepted.Result.Dispose() }
            $listener.Dispose()
        }
    }

    It '-WhatIf shows the QMP command and changes nothing' {
        $before = Get-LiveState
        $run = Invoke-ChildPwsh "`$env:QEMUNET_STATE_DIR = '$state'; Start-QemuNetCapture -VmName live -Id nic0 -Path '$scratch/whatif.pcap' -WhatIf"
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $shown = $run.Output -replace '\s*\n\s*', ''
        $shown | Should -Match "What if: \[VM 'live'\] Capture Both packets of NIC nic0"
        $shown | Should -Match 'QMP object-add \{"qom-type":"filter-dump"'
        $shown | Should -Match '"queue":"all"'
        Test-Path (Join-Path $scratch 'whatif.pcap') | Should -BeFalse
        (Get-LiveState).Record | Should -Be $before.Record
    }
}

Describe 'A restart of a guest changed while it ran' -Skip:([bool]$skip) {
    It 'Start-QemuVm -Name brings back the hot-plugged NIC and the added forward; captures end with the stop' {
        $nic = New-QemuUserNet -Subnet 198.51.100.0/24 -HostForward 'tcp:127.0.0.1:18303-:80' | New-QemuNic -Model e1000 | Add-QemuVmNic -VmName live -Confirm:$false
        $null = Add-QemuVmHostForward -VmName live -Id nic0 -HostForward '18304:80' -Confirm:$false
        $null = Start-QemuNetCapture -VmName live -Id nic0 -Path (Join-Path $scratch 'restart.pcap') -Confirm:$false
        Stop-QemuVm -Name live -TurnOff -Confirm:$false
        Get-QemuNetCapture -VmName live | Should -BeNullOrEmpty -Because 'a capture lives in QEMU'

        $script:vm = Start-QemuVm -Name live -Confirm:$false
        $lines = Wait-GuestConsole $vm
        $nics = @($lines | Where-Object { $_ -like 'QEMUNET-NIC *' } | ForEach-Object { ConvertFrom-GuestLine $_ })
        $nics.Count | Should -Be 2 -Because ($lines -join "`n")
        $nics[1].mac | Should -Be $nic.MacAddress
        $nics[1].driver | Should -Be 'e1000'
        (ConvertFrom-GuestLine ($lines | Where-Object { $_ -like 'QEMUNET-LEASE name=eth1 *' })).ip | Should -Be '198.51.100.15'
        Get-Page 18303 | Should -Match 'QEMUNET-HTTP-OK'
        Get-Page 18304 | Should -Match 'QEMUNET-HTTP-OK'
        @((Get-QemuVmNic -VmName live).Id) | Should -Be @('nic0', 'nic1')
    }
}
