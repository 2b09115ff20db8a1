using Ledger.Access;
using Ledger.Hosting;
using Ledger.Kernel;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Revenue;

public sealed record JournalPage(IReadOnlyList<JournalEntryView> Entries, string? NextCursor);

/// <summary>An entry's causes: each usage event's share (up to <see cref="GetJournal.MaxEvents"/>), or the grant it posted for.</summary>
public sealed record UsageCauseView(long Sequence, string Source, string EventId, Instant UsageAt, string Amount);

public sealed record JournalEntryDetail(JournalEntryView Entry, IReadOnlyList<UsageCauseView> UsageEvents, long UsageEventsTotal, string? UsageEventsSum);

public static class GetJournal
{
    public const int MaxEvents = 1000;

    [WolverineGet("/v1/journal/entries")]
    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    [Tags("Journal"), EndpointSummary("Journal entries, oldest first, with their lines")]
    [EndpointDescription("Filters: customer; from and to, posting periods as yyyy-MM (inclusive); account (entries with a line on it). " +
        "Pages of limit entries (1-1000, default 100); next_cursor, when present, fetches the next page (?cursor=). Money is exact decimal strings.")]
    [ProducesResponseType<JournalPage>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> List(string? customer, string? from, string? to, string? account, string? cursor, int? limit, NpgsqlDataSource db,
        CancellationToken ct)
    {
        var take = limit ?? 100;
        if (take is < 1 or > 1000) return Problems.BadRequest("Invalid limit", "limit must be from 1 to 1000.", "limit");
        if (!TryMonth(from, out var start)) return BadMonth("from");
        if (!TryMonth(to, out var end)) return BadMonth("to");
        if (account is not null && !Accounts.All.Contains(account))
            return Problems.BadRequest("Unknown account", $"account is one of {string.Join(", ", Accounts.All)}.", "account");
        var after = 0L;
        if (cursor is not null && !long.TryParse(cursor, out after))
            return Problems.BadRequest("Invalid cursor", "cursor is the next_cursor of the previous page.", "cursor");
        var entries = await JournalQuery.ReadAsync(db, new JournalQuery.Filter(customer, start, end, account, after, take + 1), ct);
        var more = entries.Count > take;
        if (more) entries.RemoveAt(take);
        return Results.Json(new JournalPage(entries, more ? entries[^1].Id.ToString() : null));
    }

    [WolverineGet("/v1/journal/entries/{id}")]
    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    [Tags("Journal"), EndpointSummary("One journal entry with its lines and what caused it")]
    [EndpointDescription("cause names the invoice or grant; for usage entries usage_events lists each usage event's share (up to 1000, " +
        "in ledger order), usage_events_total counts them all and usage_events_sum adds them up: it equals the entry's amount exactly.")]
    [ProducesResponseType<JournalEntryDetail>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string id, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!long.TryParse(id, out var number)) return Problems.NotFound($"No journal entry \"{id}\"; entry ids are numbers.");
        var found = await JournalQuery.ReadAsync(db, new JournalQuery.Filter(null, null, null, null, 0, 1, number), ct);
        if (found.Count == 0) return Problems.NotFound($"No journal entry {number}.");
        var entry = found[0];
        await using var cmd = db.CreateCommand("""
            select u.seq, r.source, r.event_id, r.usage_at, u.amount, count(*) over (), sum(u.amount) over ()
            from ledger.journal_usage u join ledger.rated_usage r on r.seq = u.seq where u.entry_id = $1 order by u.seq limit $2
            """);
        cmd.Parameters.Add(new() { Value = number });
        cmd.Parameters.Add(new() { Value = MaxEvents });
        var events = new List<UsageCauseView>();
        var (total, sum) = (0L, (decimal?)null);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(new UsageCauseView(reader.GetInt64(0), reader.GetString(1), reader.GetString(2),
                Instant.FromDateTimeUtc(DateTime.SpecifyKind(reader.GetDateTime(3), DateTimeKind.Utc)), new Money(reader.GetDecimal(4), entry.Currency).ToExactString()));
            (total, sum) = (reader.GetInt64(5), reader.GetDecimal(6));
        }
        return Results.Json(new JournalEntryDetail(entry, events, total, sum is { } s ? new Money(s, entry.Currency).ToExactString() : null));
    }

    public static bool TryMonth(string? text, out LocalDate? month)
    {
        month = null;
        if (text is null) return true;
        if (AccountingPeriodClosed.Month.Parse(text) is not { Success: true } parsed) return false;
        month = parsed.Value;
        return true;
    }

    public static IResult BadMonth(string field) =>
        Problems.BadRequest($"Invalid {field}", $"{field} is an accounting period written yyyy-MM, e.g. 2026-10.", field);
}
