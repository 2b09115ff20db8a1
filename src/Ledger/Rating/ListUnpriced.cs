using System.Text.Json;
using Ledger.Access;
using Ledger.Hosting;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Rating;

/// <summary>A usage event still waiting for an amount, and why.</summary>
public sealed record WaitingEvent(long Sequence, string Customer, string Source, string Id, Instant Time, Instant RecordedAt,
    string Status, string Reason, JsonElement Dimensions, IReadOnlyDictionary<string, decimal> Meters);

public sealed record WaitingPage(IReadOnlyList<WaitingEvent> Events, long? NextAfter);

public static class ListUnpriced
{
    private const int MaxLimit = 1_000;

    [WolverineGet("/v1/usage/unpriced")]
    [Requires(Scopes.BillingWrite, Scopes.FinanceRead, Scopes.AuditRead)]
    [Tags("Usage"), EndpointSummary("Usage events that have no amount yet")]
    [EndpointDescription("Status `unassigned` (the customer does not exist yet) or `unpriced` (no price covers the event; the reason " +
        "says which). Both are kept and rated automatically once the customer or a covering price is published. In ledger order; " +
        "page with after=<next_after>. Filters: customer, limit (≤ 1000, default 100).")]
    [ProducesResponseType<WaitingPage>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Get(string? customer, long? after, int? limit, NpgsqlDataSource db, CancellationToken ct)
    {
        var take = limit ?? 100;
        if (take is < 1 or > MaxLimit)
            return Problems.BadRequest("Invalid limit", $"limit must be from 1 to {MaxLimit}.", "limit");
        await using var cmd = db.CreateCommand("""
            select seq, customer_id, source, event_id, usage_at, recorded_at, status, coalesce(reason, 'the customer does not exist yet'),
                   dimensions::text, lines::text
            from ledger.rated_usage
            where status <> 'rated' and seq > $1 and ($2::text is null or customer_id = $2)
            order by seq limit $3
            """);
        cmd.Parameters.Add(new() { Value = after ?? 0L });
        cmd.Parameters.Add(new() { Value = (object?)customer ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = take + 1 });
        var events = new List<WaitingEvent>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            events.Add(new WaitingEvent(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                Instant.FromDateTimeUtc(reader.GetDateTime(4)), Instant.FromDateTimeUtc(reader.GetDateTime(5)), reader.GetString(6), reader.GetString(7),
                JsonDocument.Parse(reader.GetString(8)).RootElement.Clone(),
                JsonSerializer.Deserialize<List<Pricing.RatedLine>>(reader.GetString(9), RatingJson.Options)!.ToDictionary(l => l.Meter, l => l.Quantity)));
        var more = events.Count > take;
        if (more) events.RemoveAt(take);
        return Results.Json(new WaitingPage(events, more ? events[^1].Sequence : null));
    }
}
