<#
.SYNOPSIS
    The quick-start demo: a tiny guest started through QemuNet's pipeline on user-mode networking, its
    console lines (NIC model, DHCP lease), and an HTTP request from the host through a port forward.
.DESCRIPTION
    As root the guest runs in a throwaway network namespace (so the demo leaves the host's own network
    untouched); otherwise on the host's loopback. Everything it starts is stopped before it returns.
#>
param(
    [Parameter(Mandatory)][string]$ModulePath,
    [Parameter(Mandatory)][string]$GuestPath,
    [int]$HostPort = 18080
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
. (Join-Path $PSScriptRoot 'common.ps1')

$stateDir = New-TestStateDirectory
$ns = if ($IsRoot) { New-TestNamespace 'qemunet-demo' } else { $null }
$started = [datetime]::UtcNow
try {
    $nsParam = if ($ns) { @{ NetworkNamespace = $ns } } else { @{} }
    $pipeline = "New-QemuUserNet -HostForward 'tcp:127.0.0.1:$($HostPort)-:80' | New-QemuNic -Model e1000 | Start-QemuVm -Name demo -Kernel vmlinuz -Initrd initrd.img -Accelerator Tcg"
    Write-Host "`nPS> $pipeline" -ForegroundColor Green
    $vm = New-QemuUserNet -HostForward "tcp:127.0.0.1:$($HostPort)-:80" |
        New-QemuNic -Model e1000 |
        Start-QemuVm -Name demo -Kernel (Join-Path $GuestPath 'vmlinuz') -Initrd (Join-Path $GuestPath 'initrd.img') `
            -Append 'console=ttyS0 quiet panic=-1 qn_hold=60' -Accelerator Tcg @nsParam
    $vm | Format-Table | Out-Host
    Write-Host "QEMU command line:`n  $($vm.CommandLine)`n"

    Write-Host 'Guest console:' -ForegroundColor Green
    $lines = Wait-GuestConsole $vm -TimeoutSec 60
    $lines | ForEach-Object { Write-Host "  $_" }
    if ($lines -notcontains 'QEMUNET-READY') { throw 'The guest did not report ready within 60 seconds.' }

    Write-Host "`nHTTP GET http://127.0.0.1:$HostPort/ from the host, through the forward:" -ForegroundColor Green
    $body = if ($ns) {
        Invoke-HttpGet -Namespace $ns -Address 127.0.0.1 -Port $HostPort
    } else {
        (Invoke-WebRequest "http://127.0.0.1:$HostPort/" -TimeoutSec 10).RawContent
    }
    $body -split "`r?`n" | Where-Object { $_ } | ForEach-Object { Write-Host "  $_" }
    if ($body -notmatch 'QEMUNET-HTTP-OK') { throw 'The guest did not answer through the port forward.' }

    Write-Host "`nPS> Stop-QemuVm -Name demo" -ForegroundColor Green
    Stop-QemuVm -Name demo -Confirm:$false -Verbose
    Write-Host "`nPS> Remove-QemuVm -Name demo" -ForegroundColor Green
    Remove-QemuVm -Name demo -Confirm:$false
    Write-Host ("`nDemo finished in {0:n1} s." -f ([datetime]::UtcNow - $started).TotalSeconds) -ForegroundColor Green
}
finally {
    Remove-TestStateDirectory $stateDir
    if ($ns) { Remove-TestNamespace $ns }
}
