using System.Text.Json;
using Ledger.Access;
using Ledger.Hosting;
using Ledger.Kernel;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using NodaTime.Text;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Trace;

/// <summary>An invoice a disputed event landed on, and what that invoice billed for it (the change from the invoice before).</summary>
public sealed record DisputedInvoice(string Invoice, string Number, string AmountBilled);

public sealed record DisputedEvent(long Sequence, string Source, string Id, Instant UsageAt, string? Model, string? RequestId, string Status,
    string? Amount, string? Currency, IReadOnlyList<DisputedInvoice> Invoices, string Trace);

public sealed record DisputePage(IReadOnlyList<DisputedEvent> Events, string? NextCursor);

/// <summary>
/// <c>GET /v1/disputes</c>: a customer's usage events in a window (optionally of one model) or with one request id, each with its rated
/// amount and the invoices it landed on; support settles "what is this charge?" with it (docs/audit.md#dispute-queries).
/// </summary>
/// <remarks>
/// Usage events carry no request id attribute of their own: the request id is the event's <c>data.request_id</c> string, which the
/// ledger keeps as a dimension like any other string in <c>data</c>.
/// </remarks>
public static class GetDisputes
{
    // $1 customer, $2 from, $3 to, $4 model, $5 request id, $6 after usage_at, $7 after seq, $8 limit.
    private const string Sql = """
        select r.seq, r.source, r.event_id, r.usage_at, r.dimensions->>'model', r.dimensions->>'request_id', r.status, r.amount, r.currency,
               (select coalesce(jsonb_agg(jsonb_build_object('invoice', v.invoice_id, 'number', v.number, 'amount', b.amount) order by b.invoice_seq), '[]')::text
                from ledger.billed_usage b join ledger.invoices v on v.seq = b.invoice_seq where b.seq = r.seq)
        from ledger.rated_usage r
        where r.customer_id = $1 and r.usage_at >= $2 and r.usage_at < $3
          and ($4::text is null or r.dimensions->>'model' = $4)
          and ($5::text is null or (r.dimensions ? 'request_id' and r.dimensions->>'request_id' = $5))
          and (r.usage_at, r.seq) > ($6, $7)
        order by r.usage_at, r.seq limit $8
        """;

    [WolverineGet("/v1/disputes")]
    [Requires(Scopes.AuditRead, Scopes.FinanceRead)]
    [Tags("Trace"), EndpointSummary("A customer's usage events in a window or with a request id, with their amounts and invoices")]
    [EndpointDescription("customer (required); from and to (RFC 3339, usage time in [from, to); required unless request_id is given); model; " +
        "request_id (the event's data.request_id). Each event has its rated amount, the invoices it landed on and the path of its full trace. " +
        "Ordered by usage time; pages of limit (1-1000, default 100), cursor = next_cursor.")]
    [ProducesResponseType<DisputePage>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Get(string? customer, string? from, string? to, string? model,
        [FromQuery(Name = "request_id")] string? requestId, string? cursor, int? limit, NpgsqlDataSource db, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(customer)) return Problems.BadRequest("Missing customer", "customer is required: the id of the customer whose usage is disputed.", "customer");
        if (TracePaging.Parse(null, limit, out _, out var take) is { } bad) return bad;
        var (start, end) = (Instant.MinValue, Instant.MaxValue);
        if (from is not null || requestId is null)
        {
            if (!RequestValues.TryInstant(from, out start))
                return Problems.BadRequest("Invalid from", "from is required (unless request_id is given) and is an RFC 3339 instant, e.g. 2026-10-01T00:00:00Z.", "from");
        }
        if (to is not null || requestId is null)
        {
            if (!RequestValues.TryInstant(to, out end))
                return Problems.BadRequest("Invalid to", "to is required (unless request_id is given) and is an RFC 3339 instant after from, e.g. 2026-11-01T00:00:00Z.", "to");
            if (end <= start) return Problems.BadRequest("Invalid to", "to must be after from: the window is [from, to).", "to");
        }
        var (afterAt, afterSeq) = (start, -1L); // (usage_at, seq) > (from, -1): from itself is in
        if (cursor is not null)
        {
            var parts = cursor.Split('_');
            if (parts.Length != 2 || !long.TryParse(parts[0], out var micros) || !long.TryParse(parts[1], out afterSeq))
                return Problems.BadRequest("Invalid cursor", "cursor is the next_cursor of the previous page; leave it out for the first page.", "cursor");
            afterAt = Instant.FromUnixTimeTicks(micros * 10);
        }

        await using var cmd = db.CreateCommand(Sql);
        foreach (var value in new object?[] { customer, Bound(start), Bound(end), model, requestId, Bound(afterAt), afterSeq, take + 1 })
            cmd.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        var events = new List<DisputedEvent>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            string? S(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            var currency = S(8);
            var rated = !reader.IsDBNull(7) && currency is not null;
            var before = 0m;
            var invoices = new List<DisputedInvoice>();
            foreach (var b in JsonDocument.Parse(reader.GetString(9)).RootElement.EnumerateArray())
            {
                var amount = b.GetProperty("amount").GetDecimal();
                invoices.Add(new DisputedInvoice(b.GetProperty("invoice").GetString()!, b.GetProperty("number").GetString()!,
                    new Money(amount - before, currency ?? "USD").ToExactString()));
                before = amount;
            }
            var (source, id) = (reader.GetString(1), reader.GetString(2));
            events.Add(new DisputedEvent(reader.GetInt64(0), source, id, TracedUsageReader.At(reader.GetDateTime(3)), S(4), S(5), reader.GetString(6),
                rated ? new Money(reader.GetDecimal(7), currency!).ToExactString() : null, currency, invoices,
                $"/v1/events/{Uri.EscapeDataString(source)}/{Uri.EscapeDataString(id)}/trace"));
        }
        string? next = null;
        if (events.Count > take)
        {
            events.RemoveAt(take);
            next = $"{events[^1].UsageAt.ToUnixTimeTicks() / 10}_{events[^1].Sequence}";
        }
        return Results.Json(new DisputePage(events, next));
    }

    /// <summary>Instants as timestamptz, clamped to what PostgreSQL holds (an open window edge).</summary>
    private static DateTimeOffset Bound(Instant at) =>
        at <= Instant.FromUtc(1, 1, 1, 0, 0) ? DateTimeOffset.MinValue : at >= Instant.FromUtc(9999, 1, 1, 0, 0) ? DateTimeOffset.MaxValue : at.ToDateTimeOffset();
}
