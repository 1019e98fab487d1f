@{
    RootModule           = 'QemuNet.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '3f1c9a52-54e0-4c1b-9e57-0a51c0de2b7e'
    Author               = 'QemuNet contributors'
    CompanyName          = 'QemuNet'
    Copyright            = '(c) QemuNet contributors. MIT License.'
    Description          = 'Give QEMU guests a network from PowerShell: NIC models, user-mode, TAP/bridge and NAT networking, done safely, visibly and reversibly.'
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('QemuNet.Format.ps1xml')
    CmdletsToExport      = @(
        'Get-QemuNicModel'
        'New-QemuNic'
        'New-QemuUserNet'
        'New-QemuSocketNet'
        'Start-QemuVm'
        'ConvertFrom-QemuCommandLine'
        'ConvertTo-QemuCommandLine'
        'Get-QemuVm'
        'Stop-QemuVm'
        'Remove-QemuVm'
        'Enable-QemuNat'
        'Disable-QemuNat'
        'Get-QemuNat'
        'Set-QemuNat'
        'Restore-QemuNetwork'
        'Register-QemuNetService'
        'Unregister-QemuNetService'
        'Export-QemuBridgeConfig'
        'Add-QemuNatReservation'
        'Remove-QemuNatReservation'
        'Add-QemuNatDnsRecord'
        'Remove-QemuNatDnsRecord'
        'Get-QemuNatLease'
        'New-QemuTap'
        'New-QemuBridge'
        'Remove-QemuBridge'
        'Get-QemuBridge'
        'Grant-QemuBridgeAccess'
        'Revoke-QemuBridgeAccess'
        'Get-QemuBridgeAccess'
        'Export-QemuIfupScript'
        'Test-QemuNetHost'
        'Add-QemuPortForward'
        'Remove-QemuPortForward'
        'Get-QemuPortForward'
        'Add-QemuVmNic'
        'Remove-QemuVmNic'
        'Get-QemuVmNic'
        'Set-QemuVmNic'
        'Add-QemuVmHostForward'
        'Remove-QemuVmHostForward'
        'Get-QemuVmHostForward'
        'Start-QemuNetCapture'
        'Stop-QemuNetCapture'
        'Get-QemuNetCapture'
        'Send-QemuVmAnnounce'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @('Enable-QemuNetwork', 'Disable-QemuNetwork', 'Get-QemuNetwork', 'Set-QemuNetwork')
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags = @('QEMU', 'KVM', 'Network', 'Linux', 'Bridge', 'NAT', 'TAP', 'PSEdition_Core')
            # ReleaseNotes: build.ps1 writes this version's CHANGELOG.md section into the staged manifest.
        }
    }
}
