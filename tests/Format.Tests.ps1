# Formatted output: every view of QemuNet.Format.ps1xml rendered at 80 columns, with 15-byte interface names and
# 32-character network and VM names, must keep its header on one line, show every column and cut no value.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $qemuSkip = Get-TestSkipReason -Need Qemu
    $consoleSkip = if (-not (Get-Command script -CommandType Application -ErrorAction Ignore)) { 'script (util-linux) is not installed to give a child pwsh an 80-column terminal' }

    # The views as the loaded module has them; a type's first view is its default.
    [xml]$format = Get-Content -Raw (Join-Path (Split-Path $ModuleManifest) 'QemuNet.Format.ps1xml')
    $seen = @{}
    $views = foreach ($view in $format.Configuration.ViewDefinitions.View) {
        $type = $view.ViewSelectedBy.TypeName
        $headers = @($view.TableControl.TableHeaders.TableColumnHeader)
        $items = @($view.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem)
        $keyComment = @($view.SelectNodes('comment()') | Where-Object Value -Match 'Key columns:') | Select-Object -First 1
        # Indexing an element by a child's name gives that child or null (build.ps1 runs the tests in strict mode).
        @{
            Type      = $type
            View      = $view.Name
            IsDefault = -not $seen.ContainsKey($type)
            Wraps     = $null -ne $view.TableControl.TableRowEntries.TableRowEntry['Wrap']
            Key       = if ($keyComment) { @(($keyComment.Value -replace '^\s*Key columns:\s*' -replace '\(.*\)' -split ',').Trim() | Where-Object { $_ }) } else { @() }
            Columns   = @(for ($i = 0; $i -lt $headers.Count; $i++) {
                    @{
                        Label    = $headers[$i]['Label'].InnerText
                        Width    = if ($headers[$i]['Width']) { [int]$headers[$i]['Width'].InnerText } else { 0 }
                        Property = if ($items[$i]['PropertyName']) { $items[$i]['PropertyName'].InnerText }
                        Script   = if ($items[$i]['ScriptBlock']) { $items[$i]['ScriptBlock'].InnerText }
                    }
                })
        }
        $seen[$type] = $true
    }
    $types = @($views.Type | Select-Object -Unique | ForEach-Object { $type = $_; @{ Type = $type; TypeViews = @($views | Where-Object Type -EQ $type) } })
    # What the cmdlets say they write, from their [OutputType].
    $outputTypes = @(Get-Command -Module QemuNet | ForEach-Object OutputType | ForEach-Object Name | Where-Object { $_ -like 'QemuNet.*' } |
            Sort-Object -Unique | ForEach-Object { @{ Type = $_ } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    function New-FormatSample {
        <#
        Objects of every type the format file has views for, keyed by type name: one with the longest names the
        tables are sized for (15-byte interface names, 16-character network and VM names) and one with longer
        values (32-character names, long paths and texts) that must wrap rather than be cut. Cmdlets make what
        they can without root; state objects are the module's own types, filled as the cmdlets would.
        #>
        $names = @{
            Tap = 'tap-format-0015'; Bridge = 'br-format-00015'; Uplink = 'up-format-00015'
            Net16 = 'net-sixteen-chrs'; Net32 = 'formatted-network-name-of-32-chr'
            Vm16 = 'vm-sixteen-chars'; Vm32 = 'formatted-vm-name-of-exactly-32c'
            Ns = 'qnt-format-namespace-of-32-chars'
        }
        $samples = @{}

        $models = @([QemuNet.Core.Model.QemuNicModel]@{
                Name = 'virtio-net-pci-non-transitional'; Device = 'virtio-net-pci-non-transitional'; IsVirtio = $true; Bus = 'PCI'
                Description = 'A virtio network device that only speaks the modern (1.0) interface, so guests with older drivers cannot use it'
            })
        if (Get-Command qemu-system-x86_64 -CommandType Application -ErrorAction Ignore) { $models += Get-QemuNicModel }
        $samples['QemuNet.Core.Model.QemuNicModel'] = $models

        $taps = @(
            New-QemuTap -IfName $names.Tap -Bridge $names.Bridge -NetworkNamespace $names.Ns -Queues 4 -Vhost On -Id net-format-0 -SndBuf 1048576 -VnetHdr
            New-QemuTap -IfName tap-format-0016 -Script /etc/qemu/qemu-ifup-of-the-format-test-with-a-long-path -DownScript /etc/qemu/qemu-ifdown -Hub 3
        )
        $samples['QemuNet.Core.Model.QemuTapNet'] = $taps

        $userNets = @(
            New-QemuUserNet -Id user-format-net0 -Subnet 198.18.0.0/16 -DhcpStart 198.18.2.100 -Dns 198.18.2.53 -HostName guest-host-name-of-the-format-test `
                -DomainName format-test.example.internal -HostForward 8080:80, 'udp:127.0.0.1:5353-:53' -Restrict
            New-QemuUserNet
        )
        $samples['QemuNet.Core.Model.QemuUserNet'] = $userNets

        $samples['QemuNet.Core.Model.QemuSocketNet'] = @(
            New-QemuSocketNet -Id socket-format-net0 -Udp 203.0.113.254:65535 -LocalAddress 198.51.100.254:65534 -Hub 65535
            New-QemuSocketNet -Mcast 239.255.255.250:65535 -LocalAddress 198.51.100.254
        )
        $samples['QemuNet.Core.Model.QemuLaunchSpec'] = @(
            ConvertFrom-QemuCommandLine -Name $names.Vm16 "-m 1048576 -smp 255 -kernel /boot/vmlinuz-of-the-format-test -drive file=/var/lib/images/format-test-disk.qcow2,if=virtio -boot order=cn -net nic,vlan=3,model=virtio-net-pci-non-transitional -net nic,vlan=3 -net user,vlan=3,hostfwd=tcp::8080-:80 -net socket,vlan=3,listen=:65535"
            ConvertFrom-QemuCommandLine -Name $names.Vm32 '-net none'
        )

        $nics = @(
            $taps[0] | New-QemuNic -Model virtio-net-pci-non-transitional -MacAddress 52:54:00:12:34:56 -Id nic-format-0 -PciAddress 1f.7 -Vectors 10 -BootIndex 1000
            $userNets[1] | New-QemuNic -Model e1000
        )
        $samples['QemuNet.Core.Model.QemuNic'] = $nics

        $vms = foreach ($spec in @(
                @{ Name = $names.Vm32; State = 'Incomplete'; Pid = 4194304; Problem = "Start-QemuVm was killed after step 'Create TAP $($names.Tap)'; the next Start-, Stop- or Remove-QemuVm of this VM finishes or undoes it." }
                @{ Name = $names.Vm16; State = 'Running'; Pid = 4321; Problem = $null })) {
            $vm = [QemuNet.Core.Vm.QemuVm]@{
                Name = $spec.Name; QemuPath = '/usr/bin/qemu-system-x86_64'; Arguments = [string[]]@('-m', '64'); StateDirectory = '/run/qemunet'
                Accelerator = 'Tcg'; Nics = [QemuNet.Core.Model.QemuNic[]]$nics; NetworkNamespace = $names.Ns; CreatedTaps = [string[]]@($names.Tap, 'qt0123abcd')
                StartTime = [datetimeoffset]'2026-01-02T03:04:05Z'; IPAddress = [string[]]@('198.51.100.200', '198.51.100.201')
            }
            # Pid, State and Problem are read from the host by the VM manager; nothing else may set them.
            foreach ($property in 'State', 'Pid', 'Problem') { [QemuNet.Core.Vm.QemuVm].GetProperty($property).SetValue($vm, $spec[$property] -as [QemuNet.Core.Vm.QemuVm].GetProperty($property).PropertyType) }
            $vm
        }
        $samples['QemuNet.Core.Vm.QemuVm'] = @($vms)

        # Get-QemuVmNic: a NIC whose record and QEMU disagree, and one as plugged.
        $samples['QemuNet.Core.Vm.QemuVmNicStatus'] = @(
            [QemuNet.Core.Vm.QemuVmNicStatus]@{
                VmName = $names.Vm32; Id = 'nic-format-0'; Device = 'virtio-net-pci-non-transitional'; MacAddress = '52:54:00:12:34:56'; NetdevId = 'net-format-0'
                Backend = "tap,ifname=$($names.Tap),script=no,downscript=no"; LinkState = 'Down'; InRecord = $true; InQemu = $true; Promiscuous = $true
                Drift = 'MAC 52:54:00:12:34:57 in QEMU, 52:54:00:12:34:56 in the record; backend net-format-9 in QEMU, net-format-0 in the record'
            }
            [QemuNet.Core.Vm.QemuVmNicStatus]@{
                VmName = $names.Vm16; Id = 'nic0'; Device = 'e1000'; MacAddress = '52:54:00:ab:cd:01'; NetdevId = 'net0'; Backend = 'user,net=10.0.2.0,restrict=off'
                InRecord = $true; InQemu = $true
            }
        )

        $guestForwards = (New-QemuUserNet -Subnet 198.18.0.0/16 -HostForward 'udp:203.0.113.200:65535-198.18.2.100:65534', 8080:80).HostForward
        $samples['QemuNet.Core.Vm.QemuVmHostForward'] = @(
            [QemuNet.Core.Vm.QemuVmHostForward]@{ VmName = $names.Vm32; NicId = 'nic-format-0'; NetdevId = 'user-format-net0'; Forward = $guestForwards[0]; Active = $false }
            [QemuNet.Core.Vm.QemuVmHostForward]@{ VmName = $names.Vm16; NicId = 'nic0'; NetdevId = 'net0'; Forward = $guestForwards[1]; Active = $true }
        )

        $captures = foreach ($spec in @(
                @{ VmName = $names.Vm32; Id = 'cap-format-0'; NicId = 'nic-format-0'; NetdevId = 'net-format-0'; Direction = 'Both'; Packets = 123456789; Bytes = 98765432101
                    Path = '/var/tmp/qemunet-captures/a-capture-of-the-format-test-with-a-long-name.pcap'; StopTime = [datetimeoffset]'2026-01-02T04:05:06Z' }
                @{ VmName = $names.Vm16; Id = 'cap0'; NicId = 'nic0'; NetdevId = 'net0'; Direction = 'Rx'; Packets = 12; Bytes = 1320; Path = '/tmp/web.pcap'; StopTime = $null })) {
            $capture = [QemuNet.Core.Vm.QemuNetCapture]@{
                VmName = $spec.VmName; Id = $spec.Id; NicId = $spec.NicId; NetdevId = $spec.NetdevId; Direction = $spec.Direction; Path = $spec.Path
                StartTime = [datetimeoffset]'2026-01-02T03:04:05Z'
            }
            # Packets and Bytes are counted from the pcap file, StopTime set by Stop-QemuNetCapture; nothing else may set them.
            foreach ($property in 'Packets', 'Bytes', 'StopTime') { [QemuNet.Core.Vm.QemuNetCapture].GetProperty($property).SetValue($capture, $spec[$property]) }
            $capture
        }
        $samples['QemuNet.Core.Vm.QemuNetCapture'] = @($captures)

        $newForwards = {
            [QemuNet.Core.Model.QemuPortForward]@{ Protocol = 'Udp'; HostAddress = '203.0.113.200'; HostPort = 65535; GuestAddress = '198.51.100.200'; GuestPort = 65534 }
            [QemuNet.Core.Model.QemuPortForward]@{ HostPort = 8080; GuestAddress = '198.51.100.10'; GuestPort = 80 }
        }
        $nats = foreach ($name in $names.Net32, $names.Net16) {
            $nat = [QemuNet.Core.Model.QemuNatNetwork]@{
                Name = $name; BridgeName = $names.Bridge; Subnet = '198.51.100.128/25'; Gateway = '198.51.100.129'; DhcpStart = '198.51.100.130'; DhcpEnd = '198.51.100.254'
                Uplink = $names.Uplink; NetworkNamespace = $names.Ns; PortForwards = [QemuNet.Core.Model.QemuPortForward[]]@(& $newForwards)
            }
            $nat.State = 'Degraded'
            $nat.Drift = [string[]]@('dnsmasq is not running', "uplink $($names.Uplink) is now a port of bridge $($names.Bridge), so the masquerade does not match what leaves through $($names.Bridge): the guests cannot get out")
            $nat
        }
        $samples['QemuNet.Core.Model.QemuNatNetwork'] = @($nats)

        # Get-, Add- and Remove-QemuPortForward add the network's name (and namespace) to each forward.
        $samples['QemuNet.Core.Model.QemuPortForward'] = @(foreach ($name in $names.Net32, $names.Net16) {
                & $newForwards | Add-Member -NotePropertyName Network -NotePropertyValue $name -PassThru |
                    Add-Member -NotePropertyName NetworkNamespace -NotePropertyValue $names.Ns -PassThru
            })

        $samples['QemuNet.Core.Nat.QemuNatLease'] = @(
            [QemuNet.Core.Nat.QemuNatLease]@{ Network = $names.Net32; MacAddress = '52:54:00:ab:cd:ef'; IPAddress = '198.51.100.200'; HostName = 'a-guest-host-name-longer-than-sixteen'; Expires = [datetimeoffset]'2026-11-25T10:06:00Z'; Reserved = $true }
            [QemuNet.Core.Nat.QemuNatLease]@{ Network = $names.Net16; MacAddress = '52:54:00:ab:cd:01'; IPAddress = '198.51.100.201'; HostName = 'host-sixteen-chr' }
        )
        $samples['QemuNet.Core.Model.QemuNatReservation'] = @(
            [QemuNet.Core.Model.QemuNatReservation]@{ MacAddress = '52:54:00:ab:cd:ef'; IPAddress = '198.51.100.200'; HostName = 'a-guest-host-name-of-the-format-test-that-goes-on-and-on-for-long' }
            [QemuNet.Core.Model.QemuNatReservation]@{ MacAddress = '52:54:00:ab:cd:01'; IPAddress = '198.51.100.201'; IPv6Address = '2001:db8:5:0:5054:ff:feab:cd01' }
        )
        $samples['QemuNet.Core.Model.QemuNatDnsRecord'] = @(
            [QemuNet.Core.Model.QemuNatDnsRecord]@{ Name = 'files.a-lab-domain-of-the-format-test.internal'; Address = '198.51.100.20' }
            [QemuNet.Core.Model.QemuNatDnsRecord]@{ Name = 'files'; Address = '2001:db8:5:0:5054:ff:feab:cd01' }
        )

        $bridges = foreach ($nat in $null, $names.Net32) {
            $bridge = [QemuNet.Core.Bridge.QemuBridge]@{ Name = $names.Bridge; NetworkNamespace = $names.Ns; Uplink = $names.Uplink; Stp = $true; ForwardDelay = 15 }
            $bridge.Managed = $true
            $bridge.Up = $true
            $bridge.NatNetwork = $nat
            $bridge.MacAddress = '52:54:00:ab:cd:02'
            $bridge.Interrupted = 'New-QemuBridge was killed after moving 198.51.100.2/24 from the uplink; the next New- or Remove-QemuBridge finishes or undoes it.'
            $bridge.Addresses = [string[]]@('198.51.100.2/24', '2001:db8:ffff:ffff:ffff:ffff:ffff:fffe/64')
            $bridge.Ports = [QemuNet.Core.Bridge.QemuBridgePort[]]@(
                [QemuNet.Core.Bridge.QemuBridgePort]@{ Name = $names.Uplink; Kind = 'Uplink' }
                [QemuNet.Core.Bridge.QemuBridgePort]@{ Name = $names.Tap; Kind = 'GuestTap'; Vm = $names.Vm32 })
            $bridge
        }
        $samples['QemuNet.Core.Bridge.QemuBridge'] = @($bridges)

        $samples['QemuNet.Core.Bridge.QemuBridgeAccess'] = @(
            [QemuNet.Core.Bridge.QemuBridgeAccess]@{
                Bridge = $names.Bridge; Allowed = $false; HelperPath = '/usr/lib/qemu/qemu-bridge-helper'
                HelperProblem = 'Neither setuid root nor CAP_NET_ADMIN: only root can use it.'
                Rules = [QemuNet.Core.Bridge.QemuBridgeAclRule[]]@(
                    [QemuNet.Core.Bridge.QemuBridgeAclRule]@{ Action = 'Allow'; Value = $names.Bridge; File = '/etc/qemu/bridge.conf'; Line = 3 }
                    [QemuNet.Core.Bridge.QemuBridgeAclRule]@{ Action = 'Deny'; Value = 'all'; File = '/etc/qemu/included-acl-of-the-format-test.conf'; Line = 12 })
            }
            [QemuNet.Core.Bridge.QemuBridgeAccess]@{ Bridge = 'br0'; Allowed = $true; HelperPath = '/usr/lib/qemu/qemu-bridge-helper' }
        )

        $samples['QemuNet.Core.Host.QemuHostCheck'] = @(
            [QemuNet.Core.Host.QemuHostCheck]@{
                Check = 'Forward drop policy'; Status = 'Warning'; Blocks = 'User, Bridge, Nat'; Value = 'table ip filter chain FORWARD policy drop'
                Detail = 'Another firewall (Docker) drops forwarded traffic by default, so guests on a NAT network or a bridge cannot reach the outside.'
                Fix = 'nft add rule ip filter DOCKER-USER iifname "qn-*" accept; nft add rule ip filter DOCKER-USER oifname "qn-*" ct state established,related accept  (or: setcap cap_net_admin+ep /usr/lib/qemu/qemu-bridge-helper-at-a-long-path)'
            }
            [QemuNet.Core.Host.QemuHostCheck]@{ Check = 'Root'; Status = 'Ok'; Value = 'yes'; Detail = 'Every mode is available to this session.' }
        )
        return $samples
    }

    function Get-CellText($Item, [hashtable]$Column) {
        <# What the view puts in one column for one object, as text ($null when it shows nothing). #>
        $value = if ($Column.Property) { $Item.PSObject.Properties[$Column.Property].Value } else { $Item | ForEach-Object ([scriptblock]::Create($Column.Script)) }
        if ($null -eq $value -or "$value" -eq '') { return $null }
        return [string]$value
    }

    function Assert-Table([string]$Rendered, [hashtable]$View, [object[]]$Items, [string[]]$Whole) {
        <#
        Checks one rendered table: no line longer than 80, one header line with every column at the place its
        width gives it, and every object's every cell, in its column, uncut ($Whole values also unwrapped).
        #>
        $lines = @($Rendered -split '\r?\n' | Where-Object { $_.Trim() })
        ($lines | Measure-Object Length -Maximum).Maximum | Should -BeLessOrEqual 80 -Because "$($View.Type) view $($View.View) must fit 80 columns"
        $lines[1] | Should -Match '^[- ]+$' -Because "the header of $($View.Type) view $($View.View) is one line, then the dashes"
        $starts = @(0)
        foreach ($column in $View.Columns) { $starts += $starts[-1] + $column.Width + 1 }
        $rows = $lines | Select-Object -Skip 2
        for ($i = 0; $i -lt $View.Columns.Count; $i++) {
            $column = $View.Columns[$i]
            $last = $i -eq $View.Columns.Count - 1
            $cell = { param($line) if ($line.Length -le $starts[$i]) { '' } elseif ($last) { $line.Substring($starts[$i]) } else { $line.Substring($starts[$i], [math]::Min($column.Width, $line.Length - $starts[$i])) } }
            (& $cell $lines[0]).Trim() | Should -BeExactly $column.Label -Because "column $($column.Label) of $($View.Type) view $($View.View) is shown, where its width puts it"
            $shown = -join ($rows | ForEach-Object { (& $cell $_) -replace '\s' })
            foreach ($item in $Items) {
                $value = Get-CellText $item $column
                if ($null -eq $value) { continue }
                $shown.Contains($value -replace '\s') | Should -BeTrue -Because "'$value' is in column $($column.Label) of $($View.Type) view $($View.View), uncut:`n$Rendered"
                if ($value -in $Whole) { $Rendered.Contains($value) | Should -BeTrue -Because "'$value' fits column $($column.Label) of $($View.Type) view $($View.View) without wrapping" }
            }
        }
    }

    $script:samples = New-FormatSample
    # Values the tables are sized for: each must stand on one line, never wrapped.
    $script:whole = 'tap-format-0015', 'br-format-00015', 'up-format-00015', 'net-sixteen-chrs', 'vm-sixteen-chars'
}

Describe 'The format file' {
    It 'gives <Type>, which a cmdlet writes, a default table view' -ForEach $outputTypes {
        $loaded = @((Get-FormatData -TypeName $Type -PowerShellVersion $PSVersionTable.PSVersion).FormatViewDefinition)
        $loaded | Should -Not -BeNullOrEmpty -Because "$Type needs a view in QemuNet.Format.ps1xml"
        $loaded[0].Name | Should -Not -Be 'Wide' -Because 'the default view comes first'
        $loaded[0].Control | Should -BeOfType ([System.Management.Automation.TableControl])
    }

    It 'names the key columns of <Type>, a real type with samples, and gives it a Wide view unless its default shows every property' -ForEach $types {
        $default = $TypeViews | Where-Object IsDefault
        $default.View | Should -Not -Be 'Wide' -Because 'the default view comes first'
        $default.Key | Should -Not -BeNullOrEmpty -Because 'the default view names its key columns in a comment'
        $Type -as [type] | Should -Not -BeNullOrEmpty -Because 'a view for a type that does not exist is never used'
        $samples.ContainsKey($Type) | Should -BeTrue -Because 'New-FormatSample must make objects of every type with a view'
        $shown = @($default.Columns.Property | Where-Object { $_ })
        $hidden = @(($Type -as [type]).GetProperties().Name | Where-Object { $_ -notin $shown })
        if ($hidden) {
            $TypeViews.View | Should -Contain 'Wide' -Because "the default view leaves out $($hidden -join ', ')"
        }
    }
}

Describe 'Tables at 80 columns' {
    It '<Type> view <View> fits, shows its key columns and cuts nothing' -ForEach $views {
        $viewInfo = $_
        $Wraps | Should -BeTrue -Because 'a row wraps rather than cut a long value'
        $Key | Should -Not -BeNullOrEmpty -Because 'each view names its key columns in a comment'
        foreach ($label in $Key) { $Columns.Label | Should -Contain $label }
        $items = $samples[$Type]
        $text = if ($IsDefault) { $items | Out-String -Width 80 } else { $items | Format-Table -View $View | Out-String -Width 80 }
        Assert-Table -Rendered $text -View $viewInfo -Items $items -Whole $whole
    }

    It 'renders every view the same in a pwsh whose terminal is 80 columns wide' -Skip:([bool]$consoleSkip) -ForEach @(@{ AllViews = $views }) {
        $views = $AllViews
        $renderer = Join-Path $TestDrive 'render.ps1'
        @(
            '$PSStyle.OutputRendering = ''PlainText'''
            "Import-Module '$ModuleManifest'"
            "function New-FormatSample {$(${function:New-FormatSample})}"
            '$samples = New-FormatSample'
            foreach ($view in $views) {
                "'##VIEW $($view.Type) $($view.View)' | Out-Default"
                if ($view.IsDefault) { "`$samples['$($view.Type)'] | Out-Default" } else { "`$samples['$($view.Type)'] | Format-Table -View $($view.View) | Out-Default" }
            }
        ) | Set-Content $renderer
        $dotnet = (Get-Process -Id $PID).Path
        $pwshDll = [Environment]::GetCommandLineArgs()[0]
        $pwsh = if ($pwshDll -like '*.dll') { "'$dotnet' '$pwshDll'" } else { "'$pwshDll'" }
        $out = & script -qec "stty cols 80 rows 50; $pwsh -NoProfile -NonInteractive -File '$renderer'" /dev/null
        $LASTEXITCODE | Should -Be 0
        # The terminal's own escapes (keypad mode and the like) are not table text.
        $text = ($out -join "`n") -replace '\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]' -replace '\r'
        $blocks = $text -split '(?m)^##VIEW '
        foreach ($view in $views) {
            $block = $blocks | Where-Object { $_.StartsWith("$($view.Type) $($view.View)`n") }
            $block | Should -Not -BeNullOrEmpty -Because "the child rendered $($view.Type) view $($view.View)"
            Assert-Table -Rendered ($block -replace '^[^\n]*\n') -View $view -Items $samples[$view.Type] -Whole $whole
        }
    }
}

Describe 'Formatted output of the cmdlets' {
    It 'shows a NIC as a table with the columns that matter' {
        $text = New-QemuNic -Model e1000 -MacAddress 52:54:00:00:00:01 | Out-String -Width 80
        $text | Should -Match 'Model\s+MacAddress\s+Id\s+Backend'
        $text | Should -Match 'e1000\s+52:54:00:00:00:01'
    }

    It 'shows a TAP with who makes it' {
        $lines = (New-QemuTap -Bridge br0 -Queues 2 | Out-String -Width 80) -split "`n" | Where-Object { $_.Trim() }
        $lines[0] | Should -Match '^IfName\s+Bridge\s+MadeBy\s+Vhost\s+Queues\s+Namespace$'
        $lines[2] | Should -Match '^\(auto\)\s+br0\s+QemuNet\s+Auto\s+2'
    }

    It 'shows a user network with its forwards on one line' {
        $text = New-QemuUserNet -HostForward 8080:80 | Out-String -Width 80
        $text | Should -Match '10\.0\.2\.0/24\s+10\.0\.2\.15\s+False\s+tcp:127\.0\.0\.1:8080-:80'
    }

    It 'shows Test-QemuNetHost findings with their fixes in 80 columns' -Skip:([bool]$qemuSkip) {
        $checks = @(Test-QemuNetHost)
        $lines = (Out-String -InputObject $checks -Width 80) -split "`n" | Where-Object { $_.Trim() }
        $lines[0] | Should -Match '^Check\s+Status\s+Blocks\s+Fix$'
        ($lines | Measure-Object Length -Maximum).Maximum | Should -BeLessOrEqual 80
        # Fix is the last column: read it alone, as other columns wrap on the same rows (Blocks: Bridge, Nat).
        $fixColumn = $lines[0].IndexOf('Fix')
        $shown = -join ($lines | ForEach-Object { if ($_.Length -gt $fixColumn) { $_.Substring($fixColumn) } }) -replace '\s'
        foreach ($fix in $checks.Fix | Where-Object { $_ }) { $shown | Should -BeLike "*$([WildcardPattern]::Escape(($fix -replace '\s')))*" }
    }
}
