using System.Data;
using Ledger.Access;
using Ledger.Hosting;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Audit;

/// <summary><c>GET /v1/audit/verify</c>: recompute the chain and name the first broken link.</summary>
public static class VerifyChain
{
    [WolverineGet("/v1/audit/verify")]
    [Requires(Scopes.AuditRead)]
    [Tags("Audit"), EndpointSummary("Recompute the hash chain over the event log and report the first broken link")]
    [EndpointDescription("Whole log, or from_checkpoint=<id>: from a signed checkpoint whose head is trusted once its signature checks. " +
        "Reasons: altered, deleted, inserted, checkpoint signature invalid, checkpoint mismatch, truncated. Reads one consistent " +
        "snapshot in pages, so it takes time on a large log but constant memory. See docs/audit.md.")]
    [ProducesResponseType<VerifyReport>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get([FromQuery(Name = "from_checkpoint")] long? fromCheckpoint, NpgsqlDataSource db,
        AuditSigningKey key, CancellationToken ct)
    {
        try
        {
            return Results.Json(await RunAsync(db, key, fromCheckpoint, ct));
        }
        catch (Verifier.UnknownCheckpoint ex)
        {
            return Problems.NotFound(ex.Message + " List them with GET /v1/audit/checkpoints.");
        }
    }

    /// <summary>In one read-only snapshot, so rows appended meanwhile neither pass nor fail the check.</summary>
    public static async Task<VerifyReport> RunAsync(NpgsqlDataSource db, AuditSigningKey key, long? fromCheckpoint, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using (var readOnly = new NpgsqlCommand("set transaction read only", conn, tx)) await readOnly.ExecuteNonQueryAsync(ct);
        return await Verifier.VerifyAsync(conn, tx, key.TrustedPublicKeys, fromCheckpoint, ct);
    }
}
