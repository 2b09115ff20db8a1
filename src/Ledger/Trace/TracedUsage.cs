using System.Text.Json;
using Ledger.Kernel;
using Ledger.Pricing;
using Marten;
using NodaTime;
using NodaTime.Extensions;
using Npgsql;

namespace Ledger.Trace;

/// <summary>The terms that priced a usage event: price book version and rule (with its formula and rates), overrides or contract.</summary>
public sealed record PricedBy(string? PriceBook, int? PriceVersion, string? Rule, string? Formula, decimal? Per,
    IReadOnlyDictionary<string, decimal>? Rates, int? OverrideVersion, string? Contract, int? ContractAmendment);

public sealed record RatedLineTrace(string Meter, decimal Quantity, string Amount);

/// <summary>What paid one event: every drawdown (allowance, purchased or promotional credit) and what nothing paid; their sum is the amount.</summary>
public sealed record Drawdown(string Grant, string Kind, string Amount);

public sealed record Payment(IReadOnlyList<Drawdown> Drawdowns, string Uncovered, string Sum, bool Ties);

/// <summary>One invoice that billed the event: its state there, and what that invoice billed for it (the change from the state before).</summary>
public sealed record BilledOn(string Invoice, string Number, Instant PeriodFrom, Instant PeriodTo, bool First, string Amount, string Credits,
    string Allowance, string AmountBilled);

/// <summary>One journal entry the event has a share of.</summary>
public sealed record JournalShare(long Entry, string Kind, string PostingPeriod, LocalDate ServiceDate, string Amount);

/// <summary>Revenue recognised from the event (Σ its journal shares) against what its current rating says it should be (amount − allowance).</summary>
public sealed record Recognised(string Journal, string Expected, bool Ties);

/// <summary>
/// One usage event, traced: its share of the parent (forward trace), its rating and the terms behind it, how it was paid, the
/// invoices and journal entries it reached, and the raw event with its chain status.
/// </summary>
public sealed record TracedUsage(long Sequence, string Source, string Id, string Customer, Instant UsageAt, Instant RecordedAt, string? Share,
    string Status, string? Currency, string? Amount, IReadOnlyList<RatedLineTrace> Lines, PricedBy PricedBy, Payment? Paid,
    IReadOnlyList<BilledOn> Invoices, IReadOnlyList<JournalShare> Journal, Recognised? Revenue, RawEvent? Raw);

/// <summary>
/// Reads <see cref="TracedUsage"/> for a page of events, in parts read at the same time: per part, one round trip of three set-based
/// statements (rated rows, billing record joined to its invoices, journal shares joined to their entries; each a primary-key probe per
/// event) and one for the raw events; then the grants and price books the page names (docs/performance.md#tracing).
/// </summary>
public static class TracedUsageReader
{
    private const string RatedSql = """
        select seq, source, event_id, customer_id, usage_at, recorded_at, status, currency, amount, price_book, price_version, rule_id,
               override_version, contract_id, contract_amendment, lines::text, uncovered, drawdowns::text
        from ledger.rated_usage where seq = any($1)
        """;

    private const string BilledSql = """
        select b.seq, v.invoice_id, v.number, v.period_from, v.period_to, b.amount, b.credits, b.allowance
        from ledger.billed_usage b join ledger.invoices v on v.seq = b.invoice_seq
        where b.seq = any($1) order by b.seq, b.invoice_seq
        """;

    private const string JournalSql = """
        select u.seq, e.entry_id, e.kind, e.posting_period, e.service_date, u.amount
        from ledger.journal_usage u join ledger.journal_entries e on e.entry_id = u.entry_id
        where u.seq = any($1) order by u.seq, e.entry_id
        """;

    /// <summary>A page is read in at most this many parts of at least <see cref="SmallestPart"/> events (100 events: 8 parts).</summary>
    private const int Parts = 8, SmallestPart = 13;

    /// <summary>
    /// The events of <paramref name="seqs"/> that rating has reached, keyed by sequence. On a large ledger one customer's events lie on
    /// pages far apart, and a page of a trace waits mostly on reading them (about ten random reads per event when they are not cached).
    /// So the page is split into up to <see cref="Parts"/> parts, and each part's rows and raw events are read on connections of their
    /// own at the same time: the reads overlap instead of queueing behind each other (docs/performance.md#tracing).
    /// </summary>
    public static async Task<Dictionary<long, TracedUsage>> LoadAsync(NpgsqlDataSource db, IQuerySession session, IReadOnlyCollection<long> seqs,
        CheckpointStatus? checkpoint, CancellationToken ct)
    {
        if (seqs.Count == 0) return [];
        var keys = seqs.Distinct().ToArray();
        var parts = keys.Chunk(Math.Max(SmallestPart, (keys.Length + Parts - 1) / Parts)).ToList();
        var rawReads = parts.Select(part => RawEvents.LoadAsync(db, part, checkpoint, ct)).ToList();
        var reads = parts.Select(part => ReadAsync(db, part, ct)).ToList();
        var read = await Task.WhenAll(reads);
        var rows = read.SelectMany(r => r.Rows).ToList();
        var billed = read.SelectMany(r => r.Billed).ToDictionary();
        var shares = read.SelectMany(r => r.Shares).ToDictionary();
        var raw = (await Task.WhenAll(rawReads)).SelectMany(r => r).ToDictionary();
        var grantKinds = await GrantKindsAsync(db, rows, ct);
        var books = rows.Where(r => r.PriceBook is not null).Select(r => PriceBook.StreamKey(r.PriceBook!)).Distinct().ToArray();
        var loaded = books.Length == 0 ? [] : (await session.LoadManyAsync<PriceBook>(ct, books)).ToDictionary(b => b.PriceBookId);
        return rows.ToDictionary(r => r.Seq, r => r.Trace(loaded.GetValueOrDefault(r.PriceBook ?? ""), grantKinds, billed.GetValueOrDefault(r.Seq) ?? [],
            shares.GetValueOrDefault(r.Seq) ?? [], raw.GetValueOrDefault(r.Seq)));
    }

    /// <summary>One part's rated rows, billing record and journal shares: three statements in one round trip.</summary>
    private static async Task<(List<Row> Rows, Dictionary<long, List<Billed>> Billed, Dictionary<long, List<Share>> Shares)> ReadAsync(NpgsqlDataSource db,
        long[] keys, CancellationToken ct)
    {
        var (rows, billed, shares) = (new List<Row>(), new Dictionary<long, List<Billed>>(), new Dictionary<long, List<Share>>());
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(conn);
        foreach (var sql in new[] { RatedSql, BilledSql, JournalSql })
            batch.BatchCommands.Add(new NpgsqlBatchCommand(sql) { Parameters = { new() { Value = keys } } });
        await batch.PrepareAsync(ct); // planned once per connection, not on every page (1-2 ms a statement, measured)
        await using var reader = await batch.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add(Row.Read(reader));
        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct))
            Add(billed, reader.GetInt64(0), new Billed(reader.GetString(1), reader.GetString(2), At(reader.GetDateTime(3)), At(reader.GetDateTime(4)),
                reader.GetDecimal(5), reader.GetDecimal(6), reader.GetDecimal(7)));
        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var service = reader.GetFieldValue<DateOnly>(4);
            Add(shares, reader.GetInt64(0), new Share(reader.GetInt64(1), reader.GetString(2), $"{reader.GetFieldValue<DateOnly>(3):yyyy-MM}",
                new LocalDate(service.Year, service.Month, service.Day), reader.GetDecimal(5)));
        }
        return (rows, billed, shares);
    }

    private static void Add<T>(Dictionary<long, List<T>> into, long seq, T item)
    {
        if (!into.TryGetValue(seq, out var list)) into[seq] = list = [];
        list.Add(item);
    }

    /// <summary>The kind (purchased, promotional) of each grant the page's events drew from, by (customer, grant).</summary>
    private static async Task<Dictionary<(string, string), string>> GrantKindsAsync(NpgsqlDataSource db, List<Row> rows, CancellationToken ct)
    {
        var kinds = new Dictionary<(string, string), string>();
        var customers = rows.Where(r => r.Drawdowns.Any(d => !Row.IsAllowance(d.Grant))).Select(r => r.Customer).Distinct().ToArray();
        if (customers.Length == 0) return kinds;
        await using var cmd = db.CreateCommand("select customer_id, grant_id, kind from ledger.credit_grants where customer_id = any($1)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = customers });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) kinds[(reader.GetString(0), reader.GetString(1))] = reader.GetString(2).ToLowerInvariant();
        return kinds;
    }

    private sealed record Billed(string Invoice, string Number, Instant From, Instant To, decimal Amount, decimal Credits, decimal Allowance);

    private sealed record Share(long Entry, string Kind, string Period, LocalDate Service, decimal Amount);

    private sealed record Drawn(string Grant, decimal Amount);

    private sealed record Row(long Seq, string Source, string Id, string Customer, Instant UsageAt, Instant RecordedAt, string Status, string? Currency,
        decimal? Amount, string? PriceBook, int? PriceVersion, string? Rule, int? OverrideVersion, string? Contract, int? ContractAmendment,
        string Lines, decimal Uncovered, IReadOnlyList<Drawn> Drawdowns)
    {
        public static bool IsAllowance(string grant) => grant.StartsWith("allowance:", StringComparison.Ordinal);

        public static Row Read(NpgsqlDataReader r)
        {
            string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
            int? I(int i) => r.IsDBNull(i) ? null : r.GetInt32(i);
            return new Row(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), At(r.GetDateTime(4)), At(r.GetDateTime(5)), r.GetString(6), S(7),
                r.IsDBNull(8) ? null : r.GetDecimal(8), S(9), I(10), S(11), I(12), S(13), I(14), r.GetString(15), r.GetDecimal(16), ReadDrawdowns(S(17)));
        }

        /// <summary>The row's drawdowns, one per grant (a grant drawn twice is summed), in grant order.</summary>
        private static List<Drawn> ReadDrawdowns(string? json)
        {
            if (json is null) return [];
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.EnumerateArray()
                .GroupBy(d => d.GetProperty("grant").GetString()!, d => d.GetProperty("amount").GetDecimal(), StringComparer.Ordinal)
                .Select(g => new Drawn(g.Key, g.Sum())).OrderBy(d => d.Grant, StringComparer.Ordinal).ToList();
        }

        public TracedUsage Trace(PriceBook? book, Dictionary<(string, string), string> grantKinds, List<Billed> billed, List<Share> shares, RawEvent? raw)
        {
            var currency = Currency ?? "USD";
            string M(decimal d) => new Money(d, currency).ToExactString();
            var rated = Status == "rated" && Amount is not null && Currency is not null;
            var lines = JsonSerializer.Deserialize<List<RatedLine>>(Lines, Rating.RatingJson.Options)!
                .Select(l => new RatedLineTrace(l.Meter, l.Quantity, M(rated ? l.Amount : 0m))).ToList();
            var rule = book?.Versions.FirstOrDefault(v => v.Version == PriceVersion)?.Rules.FirstOrDefault(x => x.Id == Rule);
            var priced = new PricedBy(PriceBook, PriceVersion, Rule, rule?.Formula, rule?.Per, rule?.Rates, OverrideVersion, Contract, ContractAmendment);

            string KindOf(string grant) => IsAllowance(grant) ? "allowance" : grantKinds.GetValueOrDefault((Customer, grant)) ?? "unknown";
            var paidSum = Drawdowns.Sum(d => d.Amount) + Uncovered;
            var paid = rated
                ? new Payment(Drawdowns.Select(d => new Drawdown(d.Grant, KindOf(d.Grant), M(d.Amount))).ToList(), M(Uncovered), M(paidSum), paidSum == Amount)
                : null;

            var invoices = new List<BilledOn>();
            var before = 0m;
            foreach (var b in billed)
            {
                invoices.Add(new BilledOn(b.Invoice, b.Number, b.From, b.To, invoices.Count == 0, M(b.Amount), M(b.Credits), M(b.Allowance), M(b.Amount - before)));
                before = b.Amount;
            }

            var allowance = Drawdowns.Where(d => IsAllowance(d.Grant)).Sum(d => d.Amount);
            var expected = rated ? Amount!.Value - allowance : 0m;
            var recognised = shares.Sum(s => s.Amount);
            return new TracedUsage(Seq, Source, Id, Customer, UsageAt, RecordedAt, null, Status, Currency, rated ? M(Amount!.Value) : null, lines, priced,
                paid, invoices, shares.Select(s => new JournalShare(s.Entry, s.Kind, s.Period, s.Service, M(s.Amount))).ToList(),
                new Recognised(M(recognised), M(expected), recognised == expected), raw);
        }
    }

    public static Instant At(DateTime utc) => Instant.FromDateTimeUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
}
