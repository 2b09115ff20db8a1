using JasperFx.CommandLine;
using Npgsql;

namespace Ledger.Audit;

public sealed class VerifyInput : NetCoreInput
{
    [Description("Start from this signed checkpoint (its head is trusted once its signature checks) instead of the whole log")]
    public long? FromCheckpointFlag { get; set; }
}

/// <summary>
/// <c>dotnet run --project src/Ledger -- verify [--from-checkpoint id]</c>: the same check as
/// <c>GET /v1/audit/verify</c>, without the HTTP server; prints the report as JSON, exits 1 when broken.
/// </summary>
[Description("Recompute the audit hash chain over the event log and report the first broken link", Name = "verify")]
public sealed class VerifyCommand : JasperFxAsyncCommand<VerifyInput>
{
    public override async Task<bool> Execute(VerifyInput input)
    {
        using var host = input.BuildHost();
        // The same idempotent schema step as start-up: a database last served by an older ledger gets the audit tables.
        await host.Services.GetRequiredService<Hosting.LedgerSchema>().ApplyAsync();
        var report = await VerifyChain.RunAsync(host.Services.GetRequiredService<NpgsqlDataSource>(),
            host.Services.GetRequiredService<AuditSigningKey>(), input.FromCheckpointFlag, CancellationToken.None);
        var json = new System.Text.Json.JsonSerializerOptions { WriteIndented = true };
        Hosting.Json.Configure(json);
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(report, json));
        return report.Valid;
    }
}
