using Ledger.Audit;

// dotnet run --project tools/ProofCheck -- bundle.json   (exit 0: valid, 1: invalid, 2: usage)
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: dotnet run --project tools/ProofCheck -- bundle.json   (\"-\" reads standard input)");
    return 2;
}
if (args[0] != "-" && !File.Exists(args[0]))
{
    Console.Error.WriteLine($"no file {args[0]}");
    return 2;
}
var json = args[0] == "-" ? Console.In.ReadToEnd() : File.ReadAllText(args[0]);
var verdict = ProofCheck.Check(json);
Console.WriteLine(verdict.Message);
return verdict.Valid ? 0 : 1;
