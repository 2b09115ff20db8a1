using System.Data;
using Ledger.Contracts;
using Ledger.Customers;
using Ledger.Rating;
using NodaTime;
using Npgsql;

namespace Ledger.Credits;

/// <summary>A customer's credits, holds, spend and current contract allowance, read in one snapshot: all as of one ledger position.</summary>
public static class BalanceQuery
{
    public sealed record Grant(string Id, CreditKind Kind, int Priority, Instant EffectiveAt, Instant? ExpiresAt, decimal Granted, decimal Remaining);

    /// <param name="AllowanceRemaining">what is left of <paramref name="allowance"/> (the contract allowance usage recorded now draws); 0 without one</param>
    public sealed record Figures(IReadOnlyList<Grant> Grants, decimal Held, decimal Uncovered, decimal PeriodSpend, decimal? BudgetSpend,
        decimal AllowanceRemaining, long AsOf);

    public static async Task<Figures> RunAsync(NpgsqlDataSource db, string customerId, Interval period, Interval? budgetPeriod,
        AllowanceSegment? allowance, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        // The projection commits its tables and its position together, so one snapshot reads one position.
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using var batch = new NpgsqlBatch(conn, tx);
        batch.BatchCommands.Add(new(RatingProjection.PositionSql));
        batch.BatchCommands.Add(new("""
            select grant_id, kind, priority, effective_at, expires_at, granted, granted - drawn - expired - voided
            from ledger.credit_grants where customer_id = $1 and status = 'active'
            order by priority, expires_at nulls last, granted_seq
            """) { Parameters = { new() { Value = customerId } } });
        batch.BatchCommands.Add(new("select coalesce((select held from ledger.credit_accounts where customer_id = $1), 0)")
            { Parameters = { new() { Value = customerId } } });
        batch.BatchCommands.Add(new("""
            select coalesce(sum(amount) filter (where bucket >= $2 and bucket < $3), 0),
                   coalesce(sum(uncovered) filter (where bucket >= $2 and bucket < $3), 0),
                   coalesce(sum(amount) filter (where bucket >= $4 and bucket < $5), 0)
            from ledger.rated_spend where customer_id = $1 and ((bucket >= $2 and bucket < $3) or (bucket >= $4 and bucket < $5))
            """)
        {
            Parameters =
            {
                new() { Value = customerId }, new() { Value = period.Start.ToDateTimeOffset() }, new() { Value = period.End.ToDateTimeOffset() },
                new() { Value = (budgetPeriod ?? period).Start.ToDateTimeOffset() }, new() { Value = (budgetPeriod ?? period).End.ToDateTimeOffset() }
            }
        });
        (string, AllowanceSegment)[] segments = allowance is null ? [] : [(customerId, allowance)];
        batch.BatchCommands.Add(AllowanceUse.DrawnCommand(segments));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var asOf = reader.GetInt64(0);
        await reader.NextResultAsync(ct);
        var grants = new List<Grant>();
        while (await reader.ReadAsync(ct))
            grants.Add(new Grant(reader.GetString(0), Enum.Parse<CreditKind>(reader.GetString(1)), reader.GetInt32(2),
                Instant.FromDateTimeUtc(reader.GetDateTime(3)), reader.IsDBNull(4) ? null : Instant.FromDateTimeUtc(reader.GetDateTime(4)),
                reader.GetDecimal(5), reader.GetDecimal(6)));
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var held = reader.GetDecimal(0);
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        // The billing period's spend and uncovered part; the budget period's spend (buckets of either period are read once).
        var (spend, uncovered, budgetSpend) = (reader.GetDecimal(0), reader.GetDecimal(1), reader.GetDecimal(2));
        await reader.NextResultAsync(ct);
        var drawn = await AllowanceUse.ReadDrawnAsync(reader, ct);
        var allowanceRemaining = allowance is null ? 0m
            : AllowanceUse.Remaining(allowance, drawn.GetValueOrDefault((customerId, allowance.ContractId, allowance.Span.Start)));
        return new Figures(grants, held, uncovered, spend, budgetPeriod is null ? null : budgetSpend, allowanceRemaining, asOf);
    }
}
