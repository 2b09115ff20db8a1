using JasperFx.Events.Daemon;
using Ledger.Hosting;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Health;

/// <summary>Liveness (the process answers) and readiness (it can take and project events).</summary>
public static class HealthEndpoints
{
    public sealed record HealthReport(string Status, IReadOnlyDictionary<string, string> Checks);

    [WolverineGet("/health/live")]
    [Tags("Health"), EndpointSummary("Liveness: the process answers")]
    [ProducesResponseType<HealthReport>(StatusCodes.Status200OK)]
    public static IResult Live() => Results.Json(new HealthReport("live", new Dictionary<string, string>()));

    [WolverineGet("/health/ready")]
    [Tags("Health"), EndpointSummary("Readiness: database reachable, schema applied, projection daemon running")]
    [ProducesResponseType<HealthReport>(StatusCodes.Status200OK)]
    [ProducesResponseType<HealthReport>(StatusCodes.Status503ServiceUnavailable)]
    public static async Task<IResult> Ready(NpgsqlDataSource db, LedgerSchema schema, IProjectionCoordinator coordinator,
        IConfiguration configuration, CancellationToken ct)
    {
        // A node configured without the daemon (projections run on other nodes) is ready without it.
        var daemonOff = configuration.GetValue("Ledger:Projections:Daemon", DaemonMode.Solo) == DaemonMode.Disabled;
        var checks = new Dictionary<string, string>
        {
            ["database"] = await DatabaseCheck(db, ct),
            ["schema"] = schema.Applied ? "ok" : "not applied yet",
            ["projection_daemon"] = daemonOff ? "ok (disabled on this node)" : coordinator.DaemonForMainDatabase().IsRunning ? "ok" : "not running",
        };
        var ready = checks.Values.All(v => v.StartsWith("ok", StringComparison.Ordinal));
        return Results.Json(new HealthReport(ready ? "ready" : "not ready", checks),
            statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<string> DatabaseCheck(NpgsqlDataSource db, CancellationToken ct)
    {
        try
        {
            await using var cmd = db.CreateCommand("select 1");
            await cmd.ExecuteScalarAsync(ct);
            return "ok";
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return "unreachable: " + ex.Message;
        }
    }
}
