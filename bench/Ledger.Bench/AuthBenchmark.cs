using System.Diagnostics;
using Ledger.Access;
using NodaTime;

namespace Ledger.Bench;

/// <summary>What authenticating one request costs: parse the bearer token, find the key in memory, verify the salted hash.</summary>
public static class AuthBenchmark
{
    public static int Run(BenchArgs args)
    {
        var calls = args.Int("calls", 1_000_000);
        var ring = new ApiKeyRing(null!, SystemClock.Instance); // the store is only used to reload, not here
        var (keyId, secret, key) = ApiKeySecrets.Generate();
        var salt = ApiKeySecrets.NewSalt();
        ring.Put(ApiKey.Create(new ApiKeyIssued(keyId, "bench", [Scopes.Ingest], null, null, null,
            ApiKeySecrets.Hash(salt, secret), salt, SystemClock.Instance.GetCurrentInstant(), null)));
        var header = "Bearer " + key;
        for (var i = 0; i < 10_000; i++) ring.Authenticate(header, out _);

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
            if (ring.Authenticate(header, out _) is null) throw new InvalidOperationException("authentication failed");
        clock.Stop();
        var perCall = clock.Elapsed.TotalMicroseconds / calls;
        Console.WriteLine($"authenticate: {calls / clock.Elapsed.TotalSeconds:N0} requests/s on one core, {perCall:N2} µs per request");
        Console.WriteLine($"share of a 1,000-event ingest request at 34 µs of ledger CPU per event: {perCall / (34.0 * 1000) * 100:N4} %");
        return 0;
    }
}
