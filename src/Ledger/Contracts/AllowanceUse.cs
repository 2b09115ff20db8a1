using System.Data;
using Ledger.Customers;
using Ledger.Rating;
using NodaTime;
using Npgsql;

namespace Ledger.Contracts;

/// <summary>
/// How much of each segment's money allowance the usage of a contract's billing period has drawn, as rated so
/// far: for invoices and for support. The drawn figure of a segment equals the sum of the drawdowns named
/// <see cref="AllowanceSegment.GrantId"/> on the rated usage of its time (kept by the rating projection, in the
/// same transaction), so a draft built from the rows at <see cref="Figures.AsOf"/> agrees with it.
/// </summary>
public static class AllowanceUse
{
    public sealed record Segment(AllowanceSegment Allowance, decimal Drawn)
    {
        public decimal Remaining => Allowance.Amount.Amount - Drawn;
    }

    public sealed record Figures(IReadOnlyList<Segment> Segments, long AsOf);

    /// <summary>The segments of the billing period of <paramref name="contract"/> containing <paramref name="at"/>, each with what its usage drew.</summary>
    public static async Task<Figures> ReadAsync(NpgsqlDataSource db, string customerId, Contract contract, Instant at, CancellationToken ct)
    {
        var segments = ContractAllowances.Of(contract, at);
        await using var conn = await db.OpenConnectionAsync(ct);
        // The projection commits these rows and its position together: one snapshot reads one position.
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using var batch = new NpgsqlBatch(conn, tx);
        batch.BatchCommands.Add(new(RatingProjection.PositionSql));
        batch.BatchCommands.Add(DrawnCommand(segments.Select(s => (customerId, s)).ToList()));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var asOf = reader.GetInt64(0);
        await reader.NextResultAsync(ct);
        var drawn = await ReadDrawnAsync(reader, ct);
        return new Figures(segments.Select(s => new Segment(s, drawn.GetValueOrDefault((customerId, s.ContractId, s.Span.Start)))).ToList(), asOf);
    }

    /// <summary>The money allowance usage of <paramref name="customer"/> recorded at <paramref name="now"/> draws (in its currency), or null.</summary>
    public static AllowanceSegment? Current(Customer customer, Instant now) =>
        customer.ContractAt(now) is { } contract && ContractAllowances.At(contract, now) is { } segment && segment.Amount.Currency == customer.Currency
            ? segment : null;

    /// <summary>
    /// The money allowances usage recorded from <paramref name="now"/> on can draw: the current contract period's segments from
    /// the one containing now, and those of the period that follows it (or of the next contract to start), so that a view read
    /// now counts a new period's allowance from its first moment. Only those in the customer's currency (usage draws no other).
    /// </summary>
    public static IEnumerable<AllowanceSegment> Ahead(Customer customer, Instant now)
    {
        if (customer.Contracts.Count == 0) yield break;
        var contract = customer.ContractAt(now);
        // Where what follows starts: the end of the current period, or of the contract if it ends first (another may start
        // there), or without a contract now the start of the next one.
        var next = contract is null ? customer.Contracts.Where(c => c.StartsAt > now).Select(c => (Instant?)c.StartsAt).Min()
            : contract.EndsAt is { } end && end < contract.PeriodOf(now).End ? end : contract.PeriodOf(now).End;
        IEnumerable<AllowanceSegment> segments = contract is null ? [] : ContractAllowances.Of(contract, now).Where(s => s.Span.End > now);
        if (next is { } at && customer.ContractAt(at) is { } following) segments = segments.Concat(ContractAllowances.Of(following, at));
        foreach (var segment in segments)
            if (segment.Amount.Currency == customer.Currency) yield return segment;
    }

    /// <summary>
    /// A command reading what the usage of the given segments has drawn: rows (customer_id, contract_id, segment_start, drawn);
    /// a segment without a row has drawn nothing. Read the rows with <see cref="ReadDrawnAsync"/>.
    /// </summary>
    public static NpgsqlBatchCommand DrawnCommand(IReadOnlyCollection<(string CustomerId, AllowanceSegment Segment)> segments) => new("""
        select a.customer_id, a.contract_id, a.segment_start, a.drawn
        from ledger.contract_allowances a join unnest($1::text[], $2::text[], $3::timestamptz[]) as k(c, k, s)
          on a.customer_id = k.c and a.contract_id = k.k and a.segment_start = k.s
        """)
    {
        Parameters =
        {
            new() { Value = segments.Select(s => s.CustomerId).ToArray() }, new() { Value = segments.Select(s => s.Segment.ContractId).ToArray() },
            new() { Value = segments.Select(s => s.Segment.Span.Start.ToDateTimeUtc()).ToArray() }
        }
    };

    /// <summary>The rows of <see cref="DrawnCommand"/> (the reader at its result): (customer, contract, segment start) → drawn.</summary>
    public static async Task<Dictionary<(string CustomerId, string ContractId, Instant SegmentStart), decimal>> ReadDrawnAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var drawn = new Dictionary<(string, string, Instant), decimal>();
        while (await reader.ReadAsync(ct)) drawn[(reader.GetString(0), reader.GetString(1), Instant.FromDateTimeUtc(reader.GetDateTime(2)))] = reader.GetDecimal(3);
        return drawn;
    }

    /// <summary>What is left of a segment's allowance after <paramref name="drawn"/> (never below zero: terms that lowered it are drawn again soon).</summary>
    public static decimal Remaining(AllowanceSegment segment, decimal drawn) => Math.Max(0m, segment.Amount.Amount - drawn);
}
