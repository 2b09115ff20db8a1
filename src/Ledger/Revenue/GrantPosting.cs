using NodaTime;
using Npgsql;

namespace Ledger.Revenue;

/// <summary>
/// Plans the entries of purchased credit grants: what each grant's amount granted, expired (breakage) and voided is now in the
/// rating projection's <c>ledger.credit_grants</c>, less what the journal has posted for it. Expired and voided amounts can
/// still grow after the grant closed (usage re-rated lower gives its drawdown back to a closed grant: docs/credits.md), so
/// they are posted as differences like usage. Promotional grants post nothing here (no cash, no liability). Breakage follows the
/// configured <see cref="BreakagePolicy"/>.
/// </summary>
public static class GrantPosting
{
    private const string Changed = """
        with posted as (
            select j.customer_id, j.grant_id,
                   coalesce(sum(j.amount) filter (where e.kind = 'credit_purchase'), 0) as granted,
                   coalesce(sum(j.amount) filter (where e.kind = 'breakage'), 0) as expired,
                   coalesce(sum(j.amount) filter (where e.kind = 'credit_void'), 0) as voided
            from ledger.journal_grants j join ledger.journal_entries e on e.entry_id = j.entry_id group by 1, 2)
        select g.customer_id, g.grant_id, g.currency, g.granted_seq, g.closed_seq, ge.timestamp, coalesce(g.expires_at, ce.timestamp, ge.timestamp),
               coalesce(ce.timestamp, ge.timestamp),
               g.granted - coalesce(p.granted, 0), g.voided - coalesce(p.voided, 0), g.expired, coalesce(p.expired, 0),
               g.status, g.expires_at is not null, g.granted, g.drawn
        from ledger.credit_grants g
        join ledger.mt_events ge on ge.seq_id = g.granted_seq
        left join ledger.mt_events ce on ce.seq_id = g.closed_seq
        left join posted p on p.customer_id = g.customer_id and p.grant_id = g.grant_id
        where g.kind = 'Purchased'
          and (g.granted <> coalesce(p.granted, 0) or g.expired <> coalesce(p.expired, 0) or g.voided <> coalesce(p.voided, 0)
               or $1 and g.status = 'active' and g.expires_at is not null)
        order by g.granted_seq
        """;

    public static async Task<List<(string Customer, string Grant, PlannedEntry Entry)>> PlanAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long run,
        BreakagePolicy policy, LocalDate today, CancellationToken ct)
    {
        var planned = new List<(string, string, PlannedEntry)>();
        await using var cmd = new NpgsqlCommand(Changed, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = policy.Proportional });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var (customer, grant, currency) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
            var cause = new Dictionary<string, object?>
            {
                ["grant"] = grant, ["granted_sequence"] = reader.GetInt64(3), ["closed_sequence"] = reader.IsDBNull(4) ? null : reader.GetInt64(4)
            };
            var grantedOn = Date(reader, 5);
            var expiredOn = Date(reader, 6);
            var voidedOn = Date(reader, 7);
            void Add(EntryKind kind, decimal amount, LocalDate on, string what)
            {
                if (amount == 0) return;
                planned.Add((customer, grant, PlannedEntry.TwoLine(kind, customer, currency, on, on, amount, $"grant:{customer}/{grant}:{kind.Name}:{run}",
                    cause, $"{what}: grant {grant}" + (amount < 0 ? ", correction" : ""))));
            }
            Add(EntryKind.CreditPurchase, reader.GetDecimal(8), grantedOn, "Prepaid credit purchased");
            var (status, expires, granted, drawn) = (reader.GetString(12), reader.GetBoolean(13), reader.GetDecimal(14), reader.GetDecimal(15));
            var breakage = policy.Target(status, expires, granted, drawn, reader.GetDecimal(10), Kernel.Currency.MinorUnits(currency)) - reader.GetDecimal(11);
            if (status == "active") Add(EntryKind.Breakage, breakage, today, "Expected breakage, in proportion to the credit used");
            else Add(EntryKind.Breakage, breakage, status == "expired" ? expiredOn : voidedOn,
                status == "expired" ? "Unused credit expired (breakage)" : "Expected breakage reversed: credit voided");
            Add(EntryKind.CreditVoid, reader.GetDecimal(9), voidedOn, "Unused credit voided (refund)");
        }
        return planned;
    }

    private static LocalDate Date(NpgsqlDataReader reader, int i) =>
        Journal.UtcDate(Instant.FromDateTimeUtc(DateTime.SpecifyKind(reader.GetDateTime(i), DateTimeKind.Utc)));
}

/// <summary>
/// When unused purchased credit becomes breakage revenue (<c>Ledger:Journal:Breakage</c>, docs/revenue.md#breakage): <c>remote</c>
/// (the default) when the credit expires; <c>proportional</c> in proportion to the credit used (606-10-55-48), with
/// <c>Ledger:Journal:ExpectedBreakage</c> the share of purchased credit expected to go unused, for grants that can expire.
/// </summary>
public sealed record BreakagePolicy(bool Proportional, decimal Expected)
{
    public static BreakagePolicy Of(JournalOptions options) => new(options.Breakage == "proportional", options.ExpectedBreakage);

    /// <summary>
    /// The breakage recognised for a grant by now: once it has expired, the unused rest (<paramref name="expired"/>); voided, nothing
    /// (the rest is refunded); while active under the proportional policy, the expected breakage × the credit used ÷ the credit
    /// expected to be used, rounded down to the minor unit, and never more than the expected breakage or the credit still unused.
    /// </summary>
    public decimal Target(string status, bool expires, decimal granted, decimal drawn, decimal expired, int decimals)
    {
        if (status != "active") return expired;
        if (!Proportional || !expires || Expected <= 0 || granted <= 0) return 0m;
        var expected = granted * Expected;
        var earned = Math.Round(expected * drawn / (granted - expected), decimals, MidpointRounding.ToZero);
        return Math.Max(0m, Math.Min(earned, Math.Min(Math.Round(expected, decimals, MidpointRounding.ToZero), granted - drawn)));
    }
}
