using Ledger.Access;
using Ledger.Hosting;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Audit;

/// <summary>Signed checkpoints: take one now, list them, export one for a third party.</summary>
/// <remarks>
/// audit:read may take a checkpoint: it changes no fact and no balance, only pins the chain head under
/// the ledger's signature, which is what an auditor wants at the start of a review (docs/audit.md).
/// </remarks>
public static class CheckpointEndpoints
{
    [WolverinePost("/v1/audit/checkpoints")]
    [Requires(Scopes.AuditRead)]
    [Tags("Audit"), EndpointSummary("Sign the current chain head now")]
    [EndpointDescription("Records {sequence, head, events_chained, created_at, key_id, signature}; the chain head is what the " +
        "chainer has reached (it trails ingest by well under a second). Checkpoints are also taken daily.")]
    [ProducesResponseType<Checkpoint>(StatusCodes.Status201Created)]
    public static async Task<IResult> Post(NpgsqlDataSource db, AuditSigningKey key, IClock clock, CancellationToken ct)
    {
        var checkpoint = await Checkpoints.CreateAsync(db, key, clock, ct);
        return Results.Json(checkpoint, statusCode: StatusCodes.Status201Created);
    }

    [WolverineGet("/v1/audit/checkpoints")]
    [Requires(Scopes.AuditRead)]
    [Tags("Audit"), EndpointSummary("List signed checkpoints, newest first")]
    [ProducesResponseType<IReadOnlyList<Checkpoint>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> List(int? limit, NpgsqlDataSource db, CancellationToken ct)
    {
        var take = limit ?? 100;
        if (take is < 1 or > 1000) return Problems.BadRequest("Invalid limit", "limit must be from 1 to 1000.", "limit");
        return Results.Json(await Checkpoints.ListAsync(db, take, ct));
    }

    [WolverineGet("/v1/audit/checkpoints/{id}")]
    [Requires(Scopes.AuditRead)]
    [Tags("Audit"), EndpointSummary("Export a checkpoint with the signed text and the public key (PEM), to check offline")]
    [EndpointDescription("Check with: openssl dgst -sha256 -verify public.pem -signature sig.der signed.txt, where signed.txt holds " +
        "signed_text exactly (UTF-8) and sig.der the base64-decoded signature. See docs/audit.md.")]
    [ProducesResponseType<CheckpointExport>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Export(string id, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!long.TryParse(id, out var number)) return Problems.NotFound($"No checkpoint \"{id}\"; checkpoint ids are numbers.");
        await using var conn = await db.OpenConnectionAsync(ct);
        var export = await Checkpoints.FindAsync(conn, null, number, ct);
        return export is null ? Problems.NotFound($"No checkpoint {number}; list them with GET /v1/audit/checkpoints.") : Results.Json(export);
    }
}
