using System.Management.Automation;
using System.Management.Automation.Runspaces;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using QemuNet.Core.Model;
using QemuNet.Core.Qemu;

namespace QemuNet.Bench;

/// <summary>
/// Per-cmdlet costs inside one warm runspace with the module imported, each against a plain PowerShell pipeline of
/// the same shape in the same runspace (its category's baseline): what the module adds, without process start-up.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class CmdletBenchmarks
{
    private const int NicCount = 32;
    private const int Repeat = 100;
    private Runspace? _runspace;
    private QemuLaunchSpec? _spec;

    [GlobalSetup]
    public void Setup()
    {
        var session = InitialSessionState.CreateDefault2();
        session.ImportPSModule(Path.Combine(AppContext.BaseDirectory, "QemuNet.psd1"));
        _runspace = RunspaceFactory.CreateRunspace(session);
        // On the benchmark's own thread: a new thread per Invoke would be most of what is measured.
        _runspace.ThreadOptions = PSThreadOptions.UseCurrentThread;
        _runspace.Open();
        // Start-QemuVm -WhatIf checks the kernel exists and reads the state directory: both are the bench's own.
        Invoke($"$kernel = '{Environment.GetEnvironmentVariable("QEMUNET_BENCH_KERNEL")}'");
        Invoke($"$nics = foreach ($i in 1..{NicCount}) {{ New-QemuUserNet | New-QemuNic -Model virtio }}");
        // The first -WhatIf start asks QEMU for its NIC models; later ones use the answer, as a warm session would.
        RenderLaunchSpec();
        _spec = new QemuLaunchSpec
        {
            Name = "bench",
            Kernel = "/vmlinuz",
            Nics = [.. Enumerable.Range(0, NicCount).Select(_ => new QemuNic { Model = "virtio", Backend = new QemuUserNet() })],
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _runspace?.Dispose();

    // The single-object cases run 100 times inside one script, so the figure is the pipeline's, not Invoke's.
    [Benchmark(Baseline = true, OperationsPerInvoke = Repeat, Description = "[pscustomobject]@{}")]
    [BenchmarkCategory("one")]
    public object Baseline() => Invoke($"foreach ($i in 1..{Repeat}) {{ [pscustomobject]@{{ Model = 'virtio' }} }}");

    [Benchmark(OperationsPerInvoke = Repeat, Description = "New-QemuNic")]
    [BenchmarkCategory("one")]
    public object NewNic() => Invoke($"foreach ($i in 1..{Repeat}) {{ New-QemuNic -Model virtio }}");

    [Benchmark(OperationsPerInvoke = Repeat, Description = "New-QemuUserNet | New-QemuNic")]
    [BenchmarkCategory("one")]
    public object UserNetToNic() => Invoke($"foreach ($i in 1..{Repeat}) {{ New-QemuUserNet -HostForward 'tcp::2222-:22' | New-QemuNic -Model virtio }}");

    [Benchmark(Baseline = true, Description = "32 [pscustomobject] pairs")]
    [BenchmarkCategory("32 NICs")]
    public object ComposePlain() =>
        Invoke($"foreach ($i in 1..{NicCount}) {{ [pscustomobject]@{{ Subnet = $null }} | ForEach-Object {{ [pscustomobject]@{{ Model = 'virtio'; Backend = $_ }} }} }}");

    [Benchmark(Description = "compose 32 NICs")]
    [BenchmarkCategory("32 NICs")]
    public object ComposeLaunchSpec() => Invoke($"foreach ($i in 1..{NicCount}) {{ New-QemuUserNet | New-QemuNic -Model virtio }}");

    [Benchmark(Description = "Start-QemuVm -WhatIf, 32 NICs")]
    [BenchmarkCategory("32 NICs")]
    public object RenderLaunchSpec() => Invoke("$nics | Start-QemuVm -Name bench -Kernel $kernel -Accelerator Tcg -WhatIf");

    [Benchmark(Description = "Resolve + Render (C#), 32 NICs")]
    [BenchmarkCategory("32 NICs")]
    public object RenderArgv() =>
        QemuArgvRenderer.Render(QemuLaunchPlanner.Resolve(_spec!), QemuAccelerator.Tcg, new QemuVmPaths("/run/qemunet", "bench"));

    private object Invoke(string script)
    {
        using var shell = PowerShell.Create();
        shell.Runspace = _runspace;
        var output = shell.AddScript(script).Invoke();
        if (shell.HadErrors)
        {
            throw new InvalidOperationException($"'{script}' failed: {string.Join("; ", shell.Streams.Error)}");
        }

        return output;
    }
}
