using QemuNet.HelpBuilder;

if (args.Length != 3)
{
    Console.Error.WriteLine("Usage: QemuNet.HelpBuilder <module manifest .psd1> <folder of markdown pages> <folder to write help into>");
    return 2;
}
var (manifest, source, target) = (args[0], args[1], args[2]);
var commands = ModuleReader.ReadCmdlets(manifest);
var problems = HelpBuild.Run(Path.GetFileNameWithoutExtension(manifest), commands, source, target);
foreach (var problem in problems)
{
    Console.Error.WriteLine(problem);
}
return problems.Count > 0 ? 1 : 0;
