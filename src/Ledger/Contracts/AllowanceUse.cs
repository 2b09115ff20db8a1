using System.Data;
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
        batch.BatchCommands.Add(new("""
            select segment_start, drawn from ledger.contract_allowances where customer_id = $1 and contract_id = $2 and segment_start = any($3)
            """)
        {
            Parameters =
            {
                new() { Value = customerId }, new() { Value = contract.ContractId },
                new() { Value = segments.Select(s => s.Span.Start.ToDateTimeUtc()).ToArray() }
            }
        });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var asOf = reader.GetInt64(0);
        await reader.NextResultAsync(ct);
        var drawn = new Dictionary<Instant, decimal>();
        while (await reader.ReadAsync(ct)) drawn[Instant.FromDateTimeUtc(reader.GetDateTime(0))] = reader.GetDecimal(1);
        return new Figures(segments.Select(s => new Segment(s, drawn.GetValueOrDefault(s.Span.Start))).ToList(), asOf);
    }
}
