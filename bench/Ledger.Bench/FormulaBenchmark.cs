using System.Diagnostics;
using Ledger.Pricing;

namespace Ledger.Bench;

/// <summary>Evaluations per second of a formula compiled once, against the same arithmetic written in C#.</summary>
public static class FormulaBenchmark
{
    public static int Run(BenchArgs args)
    {
        var count = args.Int("evaluations", 10_000_000);
        var formula = Formula.Compile(
            "(input_tokens - cached_input_tokens) * input + cached_input_tokens * cached_input + output_tokens * output",
            new HashSet<string> { "input_tokens", "cached_input_tokens", "output_tokens", "input", "cached_input", "output" });
        var values = new decimal[formula.Variables.Count];
        var slot = formula.Variables.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i);
        values[slot["input"]] = 0.0000025m; values[slot["cached_input"]] = 0.00000125m; values[slot["output"]] = 0.00001m;

        int inputSlot = slot["input_tokens"], cachedSlot = slot["cached_input_tokens"], outputSlot = slot["output_tokens"];

        var total = 0m;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            values[inputSlot] = 1000 + (i & 1023);
            values[cachedSlot] = i & 255;
            values[outputSlot] = 300 + (i & 127);
            total += formula.Evaluate(values);
        }
        clock.Stop();
        Console.WriteLine($"compiled formula: {count / clock.Elapsed.TotalSeconds:N0} evaluations/s (checksum {total})");

        total = 0m;
        clock.Restart();
        for (var i = 0; i < count; i++)
        {
            decimal input = 1000 + (i & 1023), cached = i & 255, output = 300 + (i & 127);
            total += (input - cached) * 0.0000025m + cached * 0.00000125m + output * 0.00001m;
        }
        clock.Stop();
        Console.WriteLine($"hand-written C#:  {count / clock.Elapsed.TotalSeconds:N0} evaluations/s (checksum {total})");
        return 0;
    }
}
