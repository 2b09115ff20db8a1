using Ledger.Bench;

return args.FirstOrDefault() switch
{
    "ingest" => await IngestBenchmark.RunAsync(BenchArgs.Parse(args[1..])),
    "rating" => await RatingBenchmark.RunAsync(BenchArgs.Parse(args[1..])),
    "chain" => await ChainBenchmark.RunAsync(BenchArgs.Parse(args[1..])),
    "wide" => await WideRowsBenchmark.RunAsync(BenchArgs.Parse(args[1..])),
    "trace" => await TraceBenchmark.RunAsync(BenchArgs.Parse(args[1..])),
    "parse" => ParseBenchmark.Run(BenchArgs.Parse(args[1..])),
    "auth" => AuthBenchmark.Run(BenchArgs.Parse(args[1..])),
    "authorize" => await AuthorizeBenchmark.RunAsync(BenchArgs.Parse(args[1..])),
    "formula" => FormulaBenchmark.Run(BenchArgs.Parse(args[1..])),
    "formula-bdn" => FormulaBdnBenchmark.Run(BenchArgs.Parse(args[1..])),
    _ => Usage()
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage:
          dotnet run -c Release --project bench/Ledger.Bench -- ingest [--events 1000000] [--batch 1000] [--clients 8] [--customers 100] [--url http://127.0.0.1:5080]
          dotnet run -c Release --project bench/Ledger.Bench -- rating [--events 200000] [--customers 100] [--rate 20000] [--seconds 20]
          dotnet run -c Release --project bench/Ledger.Bench -- chain  [--events 100000] [--batch 5000]
          dotnet run -c Release --project bench/Ledger.Bench -- wide   [--events 500000] [--batch 1000] [--writers 8] [--warmup 50000] [--rounds 2] [--shapes narrow,wide,wide-copy,wide-noret,wide-lz4]
          dotnet run -c Release --project bench/Ledger.Bench -- trace  [--events 1000000] [--customers 1000] [--days 60] [--samples 300] [--hop-entries 30] [--data /tmp/ledger-trace (kept, reused)]
          dotnet run -c Release --project bench/Ledger.Bench -- parse  [--batch 1000] [--rounds 200]
          dotnet run -c Release --project bench/Ledger.Bench -- auth   [--calls 1000000]
          dotnet run -c Release --project bench/Ledger.Bench -- authorize [--customers 1000] [--rate 10000] [--seconds 20] [--clients 32] [--estimate 1]
          dotnet run -c Release --project bench/Ledger.Bench -- formula [--evaluations 10000000]
          dotnet run -c Release --project bench/Ledger.Bench -- formula-bdn [--process in]
        With --url, set LEDGER_API_KEY (an ingest key) and ConnectionStrings__Ledger (to count what was stored).
        Without --url, ingest starts its own ledger (and a private PostgreSQL) in this process and removes both afterwards.
        """);
    return 2;
}
