using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;
using QemuNet.Bench;

// usage: QemuNet.Bench <results.tsv> <artifacts folder>
// Writes one line per benchmark: description, median ns, ratio to the baseline's median, measured iterations.
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
    .Select(r => (Name: r.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo, Baseline: r.BenchmarkCase.Descriptor.Baseline,
        Median: r.ResultStatistics!.Median, Count: r.ResultStatistics.N))
    .ToList();
var baseline = medians.SingleOrDefault(m => m.Baseline);
if (medians.Count != summary.BenchmarksCases.Length || baseline.Name is null)
{
    Console.Error.WriteLine($"{summary.BenchmarksCases.Length - medians.Count} benchmark(s) gave no result; see {args[1]}.");
    return 1;
}

File.WriteAllLines(args[0], medians.Select(m => string.Join('\t', m.Name.Trim('\''), m.Median.ToString("F1", CultureInfo.InvariantCulture),
    (m.Median / baseline.Median).ToString("F2", CultureInfo.InvariantCulture), m.Count.ToString(CultureInfo.InvariantCulture))));
return 0;
