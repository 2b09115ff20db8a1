using System.Text.Json;
using Ledger.Access;
using Ledger.Audit;
using Ledger.Hosting;
using Ledger.Invoices;
using Ledger.Kernel;
using Ledger.Revenue;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Trace;

/// <summary>An invoice line in a trace; <see cref="Trace"/> is the path of its next hop (the usage events it billed), when it has one.</summary>
public sealed record TracedLine(int Index, string Kind, string Description, string? Model, string? Mode, string? Meter, string? Quantity, string Amount,
    string Unrounded, InvoiceAdjusts? Adjusts, string? Trace);

/// <summary>A purchased credit grant in a trace: what this entry posted for it, where the grant's money stands now, and its fact in the log.</summary>
public sealed record TracedGrant(string Grant, string Posted, string Granted, string Drawn, string Expired, string Voided, string Status, RawEvent? Event);

/// <summary>
/// One page of one hop of a trace. <see cref="ParentAmount"/> is the amount being explained, <see cref="ChildrenSum"/> the sum of
/// all its children (every page, not only this one) and <see cref="Ties"/> whether they are equal to the last digit.
/// </summary>
public sealed record EntryTrace(JournalEntryView Entry, string Hop, int? Line, string ParentAmount, string ChildrenSum, long ChildrenCount, bool Ties,
    IReadOnlyList<TracedUsage>? Events, IReadOnlyList<TracedLine>? Lines, TracedGrant? Grant, RawEvent? SourceEvent, CheckpointStatus? Checkpoint,
    string? NextCursor, string? Note);

/// <summary>
/// <c>GET /v1/revenue/entries/{id}/trace</c>: from a journal entry down to the raw events behind it, one hop per page
/// (docs/audit.md#tracing). Usage entries list their events' shares; invoice entries their lines, and <c>?line=</c> a line's events;
/// fee and true-up entries the invoice line they come from; grant entries the grant and its fact.
/// </summary>
public static class TraceEntry
{
    [WolverineGet("/v1/revenue/entries/{id}/trace")]
    [Requires(Scopes.FinanceRead, Scopes.AuditRead)]
    [Tags("Trace"), EndpointSummary("Trace a journal entry down to the raw events behind it, one hop per page")]
    [EndpointDescription("Usage entries (usage_credits, usage_promotional, usage_uncovered): each usage event's share, with its rating, the terms " +
        "that priced it, its drawdowns, invoices, journal shares and the raw event with its chain status. Invoice entries: the invoice's lines; " +
        "?line=N: the usage events behind line N. Fee and true-up entries: the invoice line. Grant entries: the grant and its event. " +
        "parent_amount, children_sum (all pages) and ties show that the children add up exactly. Pages: limit 1-1000 (default 100), cursor = next_cursor.")]
    [ProducesResponseType<EntryTrace>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string id, int? line, string? cursor, int? limit, NpgsqlDataSource db, TraceReads reads, IQuerySession session,
        AuditSigningKey key, CancellationToken ct)
    {
        if (TracePaging.Parse(cursor, limit, out var after, out var take) is { } bad) return bad;
        if (!long.TryParse(id, out var number)) return Problems.NotFound($"No journal entry \"{id}\"; entry ids are numbers (GET /v1/journal/entries).");
        var found = await JournalQuery.ReadAsync(db, new JournalQuery.Filter(null, null, null, null, 0, 1, number), ct);
        if (found.Count == 0) return Problems.NotFound($"No journal entry {number}. GET /v1/journal/entries lists them.");
        var entry = found[0];
        if (line is not null && entry.Kind != EntryKind.Invoice)
            return Problems.BadRequest("Invalid line", $"line selects a line of an invoice entry; entry {number} is a {entry.Kind} entry: leave line out.", "line");
        var checkpoint = await RawEvents.LatestCheckpointAsync(db, key, ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        var trace = new Tracer(conn, reads.Source, session, entry, checkpoint, after, take, ct);
        return entry.Kind switch
        {
            "usage_credits" or "usage_promotional" or "usage_uncovered" => Results.Json(await trace.UsageAsync()),
            "credit_purchase" or "breakage" or "credit_void" => Results.Json(await trace.GrantAsync()),
            _ => await trace.InvoiceAsync(line)
        };
    }

    private sealed class Tracer(NpgsqlConnection conn, NpgsqlDataSource reads, IQuerySession session, JournalEntryView entry, CheckpointStatus? checkpoint,
        long after, int take, CancellationToken ct)
    {
        private string M(decimal d) => new Money(d, entry.Currency).ToExactString();
        private decimal Amount => Journal.Parse(entry.Amount);

        private EntryTrace Page(string hop, decimal parent, decimal sum, long count, string? next, int? line = null,
            IReadOnlyList<TracedUsage>? events = null, IReadOnlyList<TracedLine>? lines = null, TracedGrant? grant = null, RawEvent? source = null,
            string? note = null) =>
            new(entry, hop, line, M(parent), M(sum), count, parent == sum, events, lines, grant, source, checkpoint, next, note);

        public async Task<EntryTrace> UsageAsync()
        {
            var (count, sum, page) = await TracePaging.ReadAsync(conn, """
                select t.n, t.total, u.seq, u.amount
                from (select count(*) as n, coalesce(sum(amount), 0) as total from ledger.journal_usage where entry_id = $1) t
                left join lateral (select seq, amount from ledger.journal_usage where entry_id = $1 and seq > $2 order by seq limit $3) u on true
                """, [entry.Id, after, take + 1], ct);
            var next = Cut(page);
            return Page("usage_events", Amount, sum, count, next, events: await EventsAsync(page));
        }

        public async Task<EntryTrace> GrantAsync()
        {
            await using var cmd = new NpgsqlCommand("""
                select j.grant_id, j.amount, g.granted, g.drawn, g.expired, g.voided, g.status, g.granted_seq, g.closed_seq
                from ledger.journal_grants j join ledger.credit_grants g on g.customer_id = j.customer_id and g.grant_id = j.grant_id
                where j.entry_id = $1
                """, conn) { Parameters = { new() { Value = entry.Id } } };
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return Page("grant", Amount, 0m, 0, null, note: "No grant is linked to this entry.");
            var posted = reader.GetDecimal(1);
            var seq = entry.Kind == "credit_purchase" || reader.IsDBNull(8) ? reader.GetInt64(7) : reader.GetInt64(8);
            var grant = (reader.GetString(0), posted, reader.GetDecimal(2), reader.GetDecimal(3), reader.GetDecimal(4), reader.GetDecimal(5), reader.GetString(6));
            await reader.DisposeAsync();
            var raw = (await RawEvents.LoadAsync(conn, [seq], checkpoint, ct)).GetValueOrDefault(seq);
            return Page("grant", Amount, posted, 1, null, grant: new TracedGrant(grant.Item1, M(grant.posted), M(grant.Item3), M(grant.Item4), M(grant.Item5),
                M(grant.Item6), grant.Item7, raw));
        }

        public async Task<IResult> InvoiceAsync(int? lineIndex)
        {
            var cause = entry.Cause;
            var invoiceId = cause.TryGetProperty("invoice", out var i) ? i.GetString() : null;
            var issued = invoiceId is null ? null : await session.LoadAsync<IssuedInvoice>(invoiceId, ct);
            if (issued is null) return Problems.NotFound($"Entry {entry.Id} names no issued invoice to trace.");
            var invoice = issued.Invoice;
            RawEvent? source = null;
            if (cause.TryGetProperty("event_sequence", out var s) && s.ValueKind == JsonValueKind.Number)
                source = (await RawEvents.LoadAsync(conn, [s.GetInt64()], checkpoint, ct)).GetValueOrDefault(s.GetInt64());
            var lines = invoice.Lines.Select((l, n) => new TracedLine(n, l.Kind, l.Description, l.Model, l.Mode, l.Meter, l.Quantity, l.Amount, l.Unrounded,
                l.Adjusts, entry.Kind == EntryKind.Invoice && LineEvents.ModeOf(l) is not null ? $"/v1/revenue/entries/{entry.Id}/trace?line={n}" : null)).ToList();

            if (entry.Kind is "subscription_fee" or "subscription_fee_advance" or "commitment_true_up")
            {
                var index = cause.TryGetProperty("line", out var li) ? li.GetInt32() : lines.FindIndex(l => l.Kind == "commitment_true_up");
                if (index < 0 || index >= lines.Count) return Problems.NotFound($"Entry {entry.Id} names no line of invoice {invoice.Id}.");
                var l = lines[index];
                if (entry.Kind == "commitment_true_up")
                    return Results.Json(Page("invoice_line", Amount, Journal.Parse(l.Amount), 1, null, lines: [l], source: source));
                // A fee line is recognised day by day (days billed ahead from the contract liability): its day entries add up to it; this
                // entry is one of them.
                await using var cmd = new NpgsqlCommand(
                    "select count(*), coalesce(sum(amount), 0) from ledger.journal_entries " +
                    "where customer_id = $1 and kind in ('subscription_fee', 'subscription_fee_advance') and source like $2", conn)
                    { Parameters = { new() { Value = entry.Customer }, new() { Value = $"invoice:{invoice.Id}:fee:{index}:%" } } };
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                await reader.ReadAsync(ct);
                return Results.Json(Page("fee_line_days", Journal.Parse(l.Amount), reader.GetDecimal(1), reader.GetInt64(0), null, lines: [l], source: source,
                    note: $"This entry is one day ({entry.Amount}) of fee line {index}; children are the line's day entries. A fee bills no usage events."));
            }

            if (lineIndex is not { } n)
            {
                // The invoice entry's receivable is the invoice total without the true-up, which has an entry of its own.
                var billed = lines.Where(l => l.Kind != "commitment_true_up").ToList();
                var pageLines = billed.Where(l => l.Index >= after).Take(take).ToList();
                var next = billed.Count > 0 && pageLines.Count > 0 && pageLines[^1].Index < billed[^1].Index ? (pageLines[^1].Index + 1).ToString() : null;
                return Results.Json(Page("invoice_lines", Amount, billed.Sum(l => Journal.Parse(l.Amount)), billed.Count, next, lines: pageLines, source: source));
            }
            if (n < 0 || n >= lines.Count)
                return Problems.BadRequest("Invalid line", $"line is an index of invoice {invoice.Id}'s lines, from 0 to {lines.Count - 1}.", "line");
            var line = invoice.Lines[n];
            if (LineEvents.ModeOf(line) is not { } mode)
                return Problems.BadRequest("Invalid line", $"Line {n} of invoice {invoice.Id} is a {line.Kind} line: it bills no usage events. " +
                    "Trace a usage, allowance, adjustment or credits line.", "line");
            var parent = Journal.Parse(line.Unrounded);
            string? note = null;
            var allowanceLines = invoice.Lines.Where(l => l.Kind == "allowance").ToList();
            if (mode == "allowance" && allowanceLines.Count > 1)
            {
                // The billing record keeps each event's allowance drawn, not its segment: the allowance lines are traced together.
                parent = allowanceLines.Sum(l => Journal.Parse(l.Unrounded));
                note = "The invoice has several allowance lines (one per contract segment); the billing record keeps each event's allowance, not its " +
                       "segment, so parent_amount is the allowance lines together.";
            }
            var (count, sum, page) = await TracePaging.ReadAsync(conn, LineEvents.Sql, LineEvents.Values(issued.Seq, invoice, line, mode, after, take + 1), ct);
            var more = Cut(page);
            return Results.Json(Page("invoice_line_events", parent, sum, count, more, line: n, events: await EventsAsync(page),
                lines: [lines[n]], source: source, note: note));
        }

        /// <summary>Drops the one row read past the page; the cursor of the next page when there was one.</summary>
        private string? Cut(List<(long Key, decimal Amount)> page)
        {
            if (page.Count <= take) return null;
            page.RemoveRange(take, page.Count - take);
            return page[^1].Key.ToString();
        }

        private async Task<List<TracedUsage>> EventsAsync(List<(long Key, decimal Amount)> page)
        {
            var traced = await TracedUsageReader.LoadAsync(reads, session, page.Select(p => p.Key).ToList(), checkpoint, ct);
            return page.Where(p => traced.ContainsKey(p.Key)).Select(p => traced[p.Key] with { Share = M(p.Amount) }).ToList();
        }
    }
}
