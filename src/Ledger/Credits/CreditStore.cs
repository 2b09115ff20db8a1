using Ledger.Rating;
using Marten;
using NodaTime;
using Npgsql;

namespace Ledger.Credits;

/// <summary>
/// The SQL of credit drawdown in the rating projection: reads of committed state (earlier batches),
/// and writes queued into the daemon's transaction, one statement per table per batch.
/// </summary>
public sealed class CreditStore(NpgsqlDataSource db)
{
    /// <summary>Channel notified when a batch changed credit accounts (the spend-check view listens).</summary>
    public const string Channel = "ledger_credit_accounts";

    public async Task LoadAccountsAsync(Dictionary<string, CreditAccount> accounts, IReadOnlyList<string> customerIds, CancellationToken ct)
    {
        foreach (var id in customerIds) accounts[id] = new CreditAccount(id);
        await using var batch = db.CreateBatch();
        batch.BatchCommands.Add(new("""
            select customer_id, grant_id, currency, kind, priority, effective_at, expires_at, granted_seq, granted, drawn, expired, voided, status, closed_seq
            from ledger.credit_grants where customer_id = any($1)
            """) { Parameters = { new() { Value = customerIds.ToArray() } } });
        batch.BatchCommands.Add(new("select customer_id, exhausted, last_top_up, last_top_up_amount, held from ledger.credit_accounts where customer_id = any($1)")
            { Parameters = { new() { Value = customerIds.ToArray() } } });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            accounts[reader.GetString(0)].Grants.Add(new GrantState
            {
                CustomerId = reader.GetString(0), GrantId = reader.GetString(1), Currency = reader.GetString(2),
                Kind = Enum.Parse<CreditKind>(reader.GetString(3)), Priority = reader.GetInt32(4),
                EffectiveAt = Instant.FromDateTimeUtc(reader.GetDateTime(5)),
                ExpiresAt = reader.IsDBNull(6) ? null : Instant.FromDateTimeUtc(reader.GetDateTime(6)),
                GrantedSeq = reader.GetInt64(7), Granted = reader.GetDecimal(8), Drawn = reader.GetDecimal(9),
                Expired = reader.GetDecimal(10), Voided = reader.GetDecimal(11), Status = reader.GetString(12),
                ClosedSeq = reader.IsDBNull(13) ? null : reader.GetInt64(13)
            });
        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var account = accounts[reader.GetString(0)];
            account.Exhausted = reader.GetBoolean(1);
            account.LastTopUp = reader.IsDBNull(2) ? null : reader.GetString(2);
            account.LastTopUpAmount = reader.GetDecimal(3);
            account.Held = reader.GetDecimal(4);
        }
        foreach (var id in customerIds) accounts[id].Grants.Sort(GrantState.DrawdownOrder);
    }

    /// <summary>Up to <paramref name="limit"/> of the customer's stored usage in <paramref name="period"/> with an uncovered amount, after sequence <paramref name="after"/>, in ledger order.</summary>
    public async Task<List<UsageCredit>> LoadUncoveredAsync(string customerId, Interval period, long after, int limit, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            select seq, usage_at, currency, amount, uncovered, drawdowns from ledger.rated_usage
            where customer_id = $1 and usage_at >= $2 and usage_at < $3 and uncovered > 0 and seq > $4 order by seq limit $5
            """);
        cmd.Parameters.Add(new() { Value = customerId });
        cmd.Parameters.Add(new() { Value = period.Start.ToDateTimeOffset() });
        cmd.Parameters.Add(new() { Value = period.End.ToDateTimeOffset() });
        cmd.Parameters.Add(new() { Value = after });
        cmd.Parameters.Add(new() { Value = limit });
        var rows = new List<UsageCredit>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(Read(reader, 0, customerId, 1, 2, 3, 4, 5));
        return rows;
    }

    /// <summary>A stored usage event's credit state from the given columns (seq, usage_at, currency, amount, uncovered, drawdowns).</summary>
    public static UsageCredit Read(NpgsqlDataReader reader, int seq, string customerId, int usageAt, int currency, int amount, int uncovered, int drawdowns) =>
        new(reader.GetInt64(seq), customerId, Instant.FromDateTimeUtc(reader.GetDateTime(usageAt)),
            reader.IsDBNull(currency) ? null : reader.GetString(currency), reader.IsDBNull(amount) ? 0m : reader.GetDecimal(amount))
        {
            Uncovered = reader.GetDecimal(uncovered),
            Drawdowns = UsageCredit.ReadDrawdowns(reader.IsDBNull(drawdowns) ? null : reader.GetString(drawdowns))
        };

    /// <summary>Rewrites how stored usage is paid, for usage whose payment changed but not its rating (a top-up covering overage).</summary>
    public static void QueuePayments(IDocumentOperations ops, IReadOnlyCollection<UsageCredit> usage)
    {
        if (usage.Count == 0) return;
        ops.QueueSqlCommand("""
            update ledger.rated_usage r set uncovered = p.uncovered, drawdowns = p.drawdowns, journal_tick = nextval('ledger.rated_usage_tick')
            from unnest(?::bigint[], ?::numeric[], ?::jsonb[]) as p(seq, uncovered, drawdowns) where r.seq = p.seq
            """,
            usage.Select(u => u.Sequence).ToArray(), usage.Select(u => u.Uncovered).ToArray(), usage.Select(u => u.DrawdownsJson()).ToArray());
    }

    public static void QueueGrants(IDocumentOperations ops, IReadOnlyCollection<GrantState> grants)
    {
        if (grants.Count == 0) return;
        ops.QueueSqlCommand("""
            insert into ledger.credit_grants (customer_id, grant_id, currency, kind, priority, effective_at, expires_at, granted_seq,
                granted, drawn, expired, voided, status, closed_seq)
            select * from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::int[], ?::timestamptz[], ?::timestamptz[], ?::bigint[],
                ?::numeric[], ?::numeric[], ?::numeric[], ?::numeric[], ?::text[], ?::bigint[])
            on conflict (customer_id, grant_id) do update set drawn = excluded.drawn, expired = excluded.expired,
                voided = excluded.voided, status = excluded.status, closed_seq = excluded.closed_seq
            """,
            grants.Select(g => g.CustomerId).ToArray(), grants.Select(g => g.GrantId).ToArray(), grants.Select(g => g.Currency).ToArray(),
            grants.Select(g => g.Kind.ToString()).ToArray(), grants.Select(g => g.Priority).ToArray(),
            grants.Select(g => g.EffectiveAt.ToDateTimeOffset()).ToArray(), grants.Select(g => g.ExpiresAt?.ToDateTimeOffset()).ToArray(),
            grants.Select(g => g.GrantedSeq).ToArray(), grants.Select(g => g.Granted).ToArray(), grants.Select(g => g.Drawn).ToArray(),
            grants.Select(g => g.Expired).ToArray(), grants.Select(g => g.Voided).ToArray(), grants.Select(g => g.Status).ToArray(),
            grants.Select(g => g.ClosedSeq).ToArray());
    }

    public static void QueueAccounts(IDocumentOperations ops, IReadOnlyCollection<CreditAccount> accounts, long position)
    {
        if (accounts.Count == 0) return;
        ops.QueueSqlCommand("""
            insert into ledger.credit_accounts (customer_id, exhausted, last_top_up, last_top_up_amount, held, updated_seq)
            select c, e, l, a, h, ? from unnest(?::text[], ?::boolean[], ?::text[], ?::numeric[], ?::numeric[]) as t(c, e, l, a, h)
            on conflict (customer_id) do update set exhausted = excluded.exhausted, last_top_up = excluded.last_top_up,
                last_top_up_amount = excluded.last_top_up_amount, held = excluded.held, updated_seq = excluded.updated_seq
            """,
            position, accounts.Select(a => a.CustomerId).ToArray(), accounts.Select(a => a.Exhausted).ToArray(),
            accounts.Select(a => a.LastTopUp).ToArray(), accounts.Select(a => a.LastTopUpAmount).ToArray(), accounts.Select(a => a.Held).ToArray());
        ops.QueueSqlCommand($"select pg_notify('{Channel}', ?)", position.ToString());
    }

    /// <summary>Reads the stored draws of the given allowance segments into <paramref name="book"/>.</summary>
    public async Task LoadAllowancesAsync(AllowanceBook book, IReadOnlyCollection<AllowanceKey> keys, CancellationToken ct)
    {
        if (keys.Count == 0) return;
        await using var cmd = db.CreateCommand("""
            select a.customer_id, a.contract_id, a.segment_start, a.segment_end, a.currency, a.allowance, a.drawn
            from ledger.contract_allowances a join unnest($1::text[], $2::text[], $3::timestamptz[]) as k(c, k, s)
              on a.customer_id = k.c and a.contract_id = k.k and a.segment_start = k.s
            """);
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.CustomerId).ToArray() });
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.ContractId).ToArray() });
        cmd.Parameters.Add(new() { Value = keys.Select(k => k.SegmentStart.ToDateTimeUtc()).ToArray() });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            book.Loaded(new AllowanceDraw(reader.GetString(0), new Contracts.AllowanceSegment(reader.GetString(1),
                    new Interval(Instant.FromDateTimeUtc(reader.GetDateTime(2)), Instant.FromDateTimeUtc(reader.GetDateTime(3))),
                    new Kernel.Money(reader.GetDecimal(5), reader.GetString(4))), reader.GetDecimal(6)));
    }

    /// <summary>Forgets the stored draws of the customer's segments from <paramref name="from"/> on (they are counted again).</summary>
    public static void QueueAllowanceReset(IDocumentOperations ops, string customerId, Instant from) =>
        ops.QueueSqlCommand("delete from ledger.contract_allowances where customer_id = ? and segment_start >= ?", customerId, from.ToDateTimeOffset());

    public static void QueueAllowances(IDocumentOperations ops, IReadOnlyCollection<AllowanceDraw> draws)
    {
        if (draws.Count == 0) return;
        ops.QueueSqlCommand("""
            insert into ledger.contract_allowances (customer_id, contract_id, segment_start, segment_end, currency, allowance, drawn)
            select * from unnest(?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[], ?::text[], ?::numeric[], ?::numeric[])
            on conflict (customer_id, contract_id, segment_start) do update set segment_end = excluded.segment_end,
                currency = excluded.currency, allowance = excluded.allowance, drawn = excluded.drawn
            """,
            draws.Select(d => d.CustomerId).ToArray(), draws.Select(d => d.Segment.ContractId).ToArray(),
            draws.Select(d => d.Segment.Span.Start.ToDateTimeOffset()).ToArray(), draws.Select(d => d.Segment.Span.End.ToDateTimeOffset()).ToArray(),
            draws.Select(d => d.Segment.Amount.Currency).ToArray(), draws.Select(d => d.Segment.Amount.Amount).ToArray(),
            draws.Select(d => d.Drawn).ToArray());
    }

    /// <summary>The holds named, and those of the given customers waiting for their usage to be rated.</summary>
    public async Task<List<HoldState>> LoadHoldsAsync(IReadOnlyCollection<string> holdIds, IReadOnlyCollection<string> settlingOf, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            select hold_id, customer_id, amount, expires_at, placed_seq, status, usage_source, usage_id, ended_seq from ledger.credit_holds
            where hold_id = any($1) or (status = 'settling' and customer_id = any($2))
            """);
        cmd.Parameters.Add(new() { Value = holdIds.ToArray() });
        cmd.Parameters.Add(new() { Value = settlingOf.ToArray() });
        var holds = new List<HoldState>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            holds.Add(new HoldState
            {
                HoldId = reader.GetString(0), CustomerId = reader.GetString(1), Amount = reader.GetDecimal(2),
                ExpiresAt = Instant.FromDateTimeUtc(reader.GetDateTime(3)), PlacedSeq = reader.GetInt64(4), Status = reader.GetString(5),
                UsageSource = reader.IsDBNull(6) ? null : reader.GetString(6), UsageId = reader.IsDBNull(7) ? null : reader.GetString(7),
                EndedSeq = reader.IsDBNull(8) ? null : reader.GetInt64(8)
            });
        return holds;
    }

    /// <summary>Whether the usage event with this key has been rated (by a committed batch).</summary>
    public async Task<bool> IsRatedAsync(string source, string eventId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            select exists (select 1 from ledger.mt_events e join ledger.rated_usage r on r.seq = e.seq_id where e.id = $1 and r.status = 'rated')
            """);
        cmd.Parameters.Add(new() { Value = Usage.EventKey.ToEventId(source, eventId) });
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public static void QueueHolds(IDocumentOperations ops, IReadOnlyCollection<HoldState> holds)
    {
        if (holds.Count == 0) return;
        ops.QueueSqlCommand("""
            insert into ledger.credit_holds (hold_id, customer_id, amount, expires_at, status, usage_source, usage_id, placed_seq, ended_seq)
            select * from unnest(?::text[], ?::text[], ?::numeric[], ?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[])
            on conflict (hold_id) do update set status = excluded.status, usage_source = excluded.usage_source,
                usage_id = excluded.usage_id, ended_seq = excluded.ended_seq
            """,
            holds.Select(h => h.HoldId).ToArray(), holds.Select(h => h.CustomerId).ToArray(), holds.Select(h => h.Amount).ToArray(),
            holds.Select(h => h.ExpiresAt.ToDateTimeOffset()).ToArray(), holds.Select(h => h.Status).ToArray(),
            holds.Select(h => h.UsageSource).ToArray(), holds.Select(h => h.UsageId).ToArray(),
            holds.Select(h => h.PlacedSeq).ToArray(), holds.Select(h => h.EndedSeq).ToArray());
    }
}
