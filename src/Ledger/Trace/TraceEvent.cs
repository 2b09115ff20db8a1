using Ledger.Access;
using Ledger.Audit;
using Ledger.Hosting;
using Ledger.Kernel;
using Ledger.Usage;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Trace;

/// <summary>
/// What the invoices billed for the event in all (the state on the last invoice that billed it), against its current rating: the
/// difference is billed on the customer's next invoice as an adjustment.
/// </summary>
public sealed record BilledTotal(string Billed, string Current, string ToBill);

public sealed record EventTrace(TracedUsage Event, BilledTotal? Billed, CheckpointStatus? Checkpoint);

/// <summary>
/// <c>GET /v1/events/{source}/{id}/trace</c>: from one raw usage event up: its rated amount and the terms behind it, the drawdowns
/// that paid it, the invoices that billed it, the journal entries it has a share of, and the revenue recognised from it
/// (docs/audit.md#tracing).
/// </summary>
public static class TraceEvent
{
    [WolverineGet("/v1/events/{source}/{id}/trace")]
    [Requires(Scopes.AuditRead, Scopes.FinanceRead)]
    [Tags("Trace"), EndpointSummary("Trace a usage event up to the invoices and revenue it reached")]
    [EndpointDescription("The event as received with its chain status; its rating (price book version, rule, formula); how it was paid " +
        "(drawdowns + uncovered = amount); each invoice that billed it (amount_billed: the change from the invoice before); its journal " +
        "shares; revenue.journal (their sum) against revenue.expected (amount − allowance). URL-encode a source that holds slashes.")]
    [ProducesResponseType<EventTrace>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string source, string id, NpgsqlDataSource db, TraceReads reads, IQuerySession session, AuditSigningKey key,
        CancellationToken ct)
    {
        source = RouteValue.Decode(source);
        id = RouteValue.Decode(id);
        var missing = Problems.NotFound($"No usage event with source \"{source}\" and id \"{id}\" is stored (URL-encode a source that holds slashes).");
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand("select seq_id, type from ledger.mt_events where id = $1", conn)
            { Parameters = { new() { Value = EventKey.ToEventId(source, id) } } };
        long seq;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return missing;
            seq = reader.GetInt64(0);
        }
        var checkpoint = await RawEvents.LatestCheckpointAsync(db, key, ct);
        var traced = await TracedUsageReader.LoadAsync(reads.Source, session, [seq], checkpoint, ct);
        if (!traced.TryGetValue(seq, out var usage))
        {
            var raw = (await RawEvents.LoadAsync(conn, [seq], checkpoint, ct)).GetValueOrDefault(seq);
            if (raw?.Event?["subject"] is not { } subject) return missing;
            return Results.Json(new EventTrace(new TracedUsage(seq, source, id, subject.ToString(),
                NodaTime.Text.InstantPattern.ExtendedIso.Parse(raw.Event["time"]?.ToString() ?? "").GetValueOrThrow(), raw.StoredAt, null, "pending", null, null, [],
                new PricedBy(null, null, null, null, null, null, null, null, null), null, [], [], null, raw), null, checkpoint));
        }
        BilledTotal? billed = null;
        if (usage.Currency is { } currency)
        {
            var last = usage.Invoices.Count == 0 ? 0m : Revenue.Journal.Parse(usage.Invoices[^1].Amount);
            var now = usage.Amount is { } a ? Revenue.Journal.Parse(a) : 0m;
            billed = new BilledTotal(new Money(last, currency).ToExactString(), new Money(now, currency).ToExactString(), new Money(now - last, currency).ToExactString());
        }
        return Results.Json(new EventTrace(usage, billed, checkpoint));
    }
}
