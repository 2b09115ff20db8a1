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

/// <summary>Reads <see cref="TracedUsage"/> for a page of events, in one statement (plus the price books named, and the raw events).</summary>
public static class TracedUsageReader
{
    private const string Sql = """
        select r.seq, r.source, r.event_id, r.customer_id, r.usage_at, r.recorded_at, r.status, r.currency, r.amount, r.price_book, r.price_version,
               r.rule_id, r.override_version, r.contract_id, r.contract_amendment, r.lines::text, r.uncovered,
               (select coalesce(jsonb_agg(jsonb_build_object('grant', d.grant_id, 'kind', d.kind, 'amount', d.amount) order by d.grant_id), '[]')::text
                from (select x->>'grant' as grant_id, sum((x->>'amount')::numeric) as amount,
                             case when x->>'grant' like 'allowance:%' then 'allowance' else lower(min(g.kind)) end as kind
                      from jsonb_array_elements(coalesce(r.drawdowns, '[]'::jsonb)) x
                      left join ledger.credit_grants g on g.customer_id = r.customer_id and g.grant_id = x->>'grant'
                      group by x->>'grant') d),
               (select coalesce(jsonb_agg(jsonb_build_object('invoice', v.invoice_id, 'number', v.number, 'from', v.period_from, 'to', v.period_to,
                        'amount', b.amount, 'credits', b.credits, 'allowance', b.allowance) order by b.invoice_seq), '[]')::text
                from ledger.billed_usage b join ledger.invoices v on v.seq = b.invoice_seq where b.seq = r.seq),
               (select coalesce(jsonb_agg(jsonb_build_object('entry', e.entry_id, 'kind', e.kind, 'period', e.posting_period, 'service', e.service_date,
                        'amount', u.amount) order by e.entry_id), '[]')::text
                from ledger.journal_usage u join ledger.journal_entries e on e.entry_id = u.entry_id where u.seq = r.seq)
        from ledger.rated_usage r where r.seq = any($1)
        """;

    /// <summary>The events of <paramref name="seqs"/> that rating has reached, keyed by sequence.</summary>
    public static async Task<Dictionary<long, TracedUsage>> LoadAsync(NpgsqlConnection conn, IQuerySession session, IReadOnlyCollection<long> seqs,
        CheckpointStatus? checkpoint, CancellationToken ct)
    {
        var rows = new List<Row>();
        if (seqs.Count == 0) return [];
        await using (var cmd = new NpgsqlCommand(Sql, conn) { Parameters = { new() { Value = seqs.Distinct().ToArray() } } })
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) rows.Add(Row.Read(reader));
        var books = rows.Where(r => r.PriceBook is not null).Select(r => PriceBook.StreamKey(r.PriceBook!)).Distinct().ToArray();
        var loaded = books.Length == 0 ? [] : (await session.LoadManyAsync<PriceBook>(ct, books)).ToDictionary(b => b.PriceBookId);
        var raw = await RawEvents.LoadAsync(conn, seqs, checkpoint, ct);
        return rows.ToDictionary(r => r.Seq, r => r.Trace(loaded.GetValueOrDefault(r.PriceBook ?? ""), raw.GetValueOrDefault(r.Seq)));
    }

    private sealed record Row(long Seq, string Source, string Id, string Customer, Instant UsageAt, Instant RecordedAt, string Status, string? Currency,
        decimal? Amount, string? PriceBook, int? PriceVersion, string? Rule, int? OverrideVersion, string? Contract, int? ContractAmendment,
        string Lines, decimal Uncovered, string Drawdowns, string Billed, string Journal)
    {
        public static Row Read(NpgsqlDataReader r)
        {
            string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
            int? I(int i) => r.IsDBNull(i) ? null : r.GetInt32(i);
            return new Row(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), At(r.GetDateTime(4)), At(r.GetDateTime(5)), r.GetString(6), S(7),
                r.IsDBNull(8) ? null : r.GetDecimal(8), S(9), I(10), S(11), I(12), S(13), I(14), r.GetString(15), r.GetDecimal(16), r.GetString(17),
                r.GetString(18), r.GetString(19));
        }

        public TracedUsage Trace(PriceBook? book, RawEvent? raw)
        {
            var currency = Currency ?? "USD";
            string M(decimal d) => new Money(d, currency).ToExactString();
            var rated = Status == "rated" && Amount is not null && Currency is not null;
            var lines = JsonSerializer.Deserialize<List<RatedLine>>(Lines, Rating.RatingJson.Options)!
                .Select(l => new RatedLineTrace(l.Meter, l.Quantity, M(rated ? l.Amount : 0m))).ToList();
            var rule = book?.Versions.FirstOrDefault(v => v.Version == PriceVersion)?.Rules.FirstOrDefault(x => x.Id == Rule);
            var priced = new PricedBy(PriceBook, PriceVersion, Rule, rule?.Formula, rule?.Per, rule?.Rates, OverrideVersion, Contract, ContractAmendment);

            var drawdowns = JsonDocument.Parse(Drawdowns).RootElement.EnumerateArray()
                .Select(d => (Grant: d.GetProperty("grant").GetString()!, Kind: d.GetProperty("kind").GetString() ?? "unknown", Amount: d.GetProperty("amount").GetDecimal()))
                .ToList();
            var paidSum = drawdowns.Sum(d => d.Amount) + Uncovered;
            var paid = rated
                ? new Payment(drawdowns.Select(d => new Drawdown(d.Grant, d.Kind, M(d.Amount))).ToList(), M(Uncovered), M(paidSum), paidSum == Amount)
                : null;

            var invoices = new List<BilledOn>();
            var before = 0m;
            foreach (var b in JsonDocument.Parse(Billed).RootElement.EnumerateArray())
            {
                var amount = b.GetProperty("amount").GetDecimal();
                invoices.Add(new BilledOn(b.GetProperty("invoice").GetString()!, b.GetProperty("number").GetString()!, b.GetProperty("from").GetDateTimeOffset().ToInstant(),
                    b.GetProperty("to").GetDateTimeOffset().ToInstant(), invoices.Count == 0, M(amount), M(b.GetProperty("credits").GetDecimal()),
                    M(b.GetProperty("allowance").GetDecimal()), M(amount - before)));
                before = amount;
            }

            var shares = JsonDocument.Parse(Journal).RootElement.EnumerateArray().Select(j => (
                View: new JournalShare(j.GetProperty("entry").GetInt64(), j.GetProperty("kind").GetString()!,
                    j.GetProperty("period").GetString()![..7], NodaTime.Text.LocalDatePattern.Iso.Parse(j.GetProperty("service").GetString()!).Value, M(j.GetProperty("amount").GetDecimal())),
                Amount: j.GetProperty("amount").GetDecimal())).ToList();
            var allowance = drawdowns.Where(d => d.Kind == "allowance").Sum(d => d.Amount);
            var expected = rated ? Amount!.Value - allowance : 0m;
            var recognised = shares.Sum(s => s.Amount);
            return new TracedUsage(Seq, Source, Id, Customer, UsageAt, RecordedAt, null, Status, Currency, rated ? M(Amount!.Value) : null, lines, priced,
                paid, invoices, shares.Select(s => s.View).ToList(), new Recognised(M(recognised), M(expected), recognised == expected), raw);
        }
    }

    public static Instant At(DateTime utc) => Instant.FromDateTimeUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
}
