using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;
using QemuNet.Bench;

// usage: QemuNet.Bench <results.tsv> <artifacts folder>
// Writes one line per benchmark: description, median ns, ratio to its baseline's median, measured iterations,
// the baseline's description and median ns.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: QemuNet.Bench <results.tsv> <artifacts folder>");
    return 2;
}

// In process (no generated project to build) and a ShortRun-sized job: the whole Bench task has minutes, not hours.
var job = Job.ShortRun
    .WithToolchain(InProcessEmitToolchain.Instance)
    .WithIterationCount(5)
    .WithIterationTime(TimeInterval.FromMilliseconds(250));
var config = DefaultConfig.Instance.AddJob(job).WithArtifactsPath(args[1]);
var summary = BenchmarkRunner.Run<CmdletBenchmarks>(config);

var medians = summary.Reports
    .Where(r => r.ResultStatistics is not null)
    .Select(r => (Name: r.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\''), Category: r.BenchmarkCase.Descriptor.Categories.Single(),
        Baseline: r.BenchmarkCase.Descriptor.Baseline, Median: r.ResultStatistics!.Median, Count: r.ResultStatistics.N))
    .ToList();
if (medians.Count != summary.BenchmarksCases.Length)
{
    Console.Error.WriteLine($"{summary.BenchmarksCases.Length - medians.Count} benchmark(s) gave no result; see {args[1]}.");
    return 1;
}

// Each benchmark against the baseline of its own category (the plain pipeline of the same shape).
var lines = medians.Where(m => !m.Baseline).Select(m =>
{
    var baseline = medians.Single(b => b.Baseline && b.Category == m.Category);
    return string.Join('\t', m.Name, Number(m.Median), Number(m.Median / baseline.Median), m.Count, baseline.Name, Number(baseline.Median));
});
File.WriteAllLines(args[0], lines);
return 0;

static string Number(double value) => value.ToString("F2", CultureInfo.InvariantCulture);
