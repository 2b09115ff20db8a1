using System.Data;
using Ledger.Contracts;
using Ledger.Customers;
using Ledger.Pricing;
using Ledger.Rating;
using Marten;
using NodaTime;
using Npgsql;

namespace Ledger.Credits;

/// <summary>
/// Reads the rating projection's credit tables into the <see cref="SpendView"/>: everything (at start,
/// after a reconnect, and now and then as a safety net), or only what changed since the last read.
/// Each read is one repeatable-read snapshot, so all its figures are of one projection position.
/// </summary>
public sealed class SpendViewLoader(SpendView view, NpgsqlDataSource db, IDocumentStore store, IClock clock)
{
    /// <summary>The events that change a customer's terms or a price book: their documents are read again.</summary>
    private static readonly string[] TermsEvents = ["customer_terms_set", "customer_overrides_set", "price_book_version_published",
        "contract_started", "contract_amended", "contract_ended"];

    private readonly SemaphoreSlim _reading = new(1, 1);
    private long _seen = -1;

    /// <summary>Reads every customer, price book and figure.</summary>
    public async Task LoadAllAsync(CancellationToken ct)
    {
        await _reading.WaitAsync(ct);
        try
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
            var position = await PositionAsync(conn, tx, ct); // takes the snapshot: documents read after it are at least as new
            await using var session = store.QuerySession();
            var now = clock.GetCurrentInstant();
            foreach (var book in await session.Query<PriceBook>().ToListAsync(ct)) view.Put(book);
            var customers = await session.Query<Customer>().ToListAsync(ct);
            foreach (var customer in customers) view.Put(customer, now);
            await LoadFiguresAsync(conn, tx, customers, position, now, ct);
            await tx.CommitAsync(ct);
            view.MovedTo(position);
            _seen = position;
        }
        finally { _reading.Release(); }
    }

    /// <summary>Reads what changed since the last read: credit accounts the projection updated, customers and price books whose terms changed.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        if (_seen < 0) { await LoadAllAsync(ct); return; }
        await _reading.WaitAsync(ct);
        try
        {
            await using var conn = await db.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
            await using var batch = new NpgsqlBatch(conn, tx);
            batch.BatchCommands.Add(PositionCommand());
            batch.BatchCommands.Add(new("select customer_id from ledger.credit_accounts where updated_seq > $1") { Parameters = { new() { Value = _seen } } });
            batch.BatchCommands.Add(new($"""
                select distinct stream_id from ledger.mt_events where seq_id > $1 and type = any($2)
                  and seq_id <= ({RatingProjection.PositionSql})
                """) { Parameters = { new() { Value = _seen }, new() { Value = TermsEvents } } });
            long position;
            var changed = new HashSet<string>();
            var streams = new List<string>();
            await using (var reader = await batch.ExecuteReaderAsync(ct))
            {
                await reader.ReadAsync(ct);
                position = reader.GetInt64(0);
                await reader.NextResultAsync(ct);
                while (await reader.ReadAsync(ct)) changed.Add(reader.GetString(0));
                await reader.NextResultAsync(ct);
                while (await reader.ReadAsync(ct)) streams.Add(reader.GetString(0));
            }
            if (position <= _seen) return;

            var now = clock.GetCurrentInstant();
            await using var session = store.QuerySession();
            var books = streams.Where(s => s.StartsWith("price-book/")).ToList();
            if (books.Count > 0)
                foreach (var book in await session.LoadManyAsync<PriceBook>(ct, books)) view.Put(book);
            // Customers whose terms changed, and those with new figures the view has not met yet.
            var reread = streams.Where(s => s.StartsWith("customer/"))
                .Concat(changed.Where(c => !view.Knows(c)).Select(Customer.StreamKey)).Distinct().ToList();
            if (reread.Count > 0)
                foreach (var customer in await session.LoadManyAsync<Customer>(ct, reread))
                {
                    view.Put(customer, now);
                    changed.Add(customer.CustomerId);
                }
            var customers = changed.Select(view.CustomerOf).OfType<Customer>().ToList();
            await LoadFiguresAsync(conn, tx, customers, position, now, ct);
            await tx.CommitAsync(ct);
            view.MovedTo(position);
            _seen = position;
        }
        finally { _reading.Release(); }
    }

    /// <summary>A customer the view does not know yet (created since the last read): one read, then it is known. False: no such customer.</summary>
    public async Task<bool> EnsureAsync(string customerId, CancellationToken ct)
    {
        if (view.Knows(customerId)) return true;
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var position = await PositionAsync(conn, tx, ct);
        await using var session = store.QuerySession();
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        if (customer is null) return false;
        var now = clock.GetCurrentInstant();
        view.Put(customer, now);
        await LoadFiguresAsync(conn, tx, [customer], position, now, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>A price book the view does not hold yet (published since the last read).</summary>
    public async Task<PriceBook?> BookAsync(string priceBookId, CancellationToken ct)
    {
        if (view.Book(priceBookId) is { } known) return known;
        await using var session = store.QuerySession();
        var book = await session.LoadAsync<PriceBook>(PriceBook.StreamKey(priceBookId), ct);
        if (book is not null) view.Put(book);
        return book;
    }

    private static NpgsqlBatchCommand PositionCommand() =>
        new(RatingProjection.PositionSql);

    private static async Task<long> PositionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn, tx) { BatchCommands = { PositionCommand() } };
        return (long)(await batch.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Grants, held, the open billing period's uncovered usage and what is left of the contract allowances ahead
    /// (<see cref="AllowanceUse.Ahead"/>) of the given customers, as of <paramref name="position"/>.
    /// </summary>
    private async Task LoadFiguresAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<Customer> customers, long position, Instant now, CancellationToken ct)
    {
        if (customers.Count == 0) return;
        var ids = customers.Select(c => c.CustomerId).ToArray();
        var periods = customers.Select(c => BillingPeriods.MonthOf(now, BillingPeriods.Zone(c.TimeZone))).ToArray();
        var allowances = customers.SelectMany(c => AllowanceUse.Ahead(c, now).Select(a => (c.CustomerId, Segment: a))).ToList();
        await using var batch = new NpgsqlBatch(conn, tx);
        batch.BatchCommands.Add(new("""
            select customer_id, effective_at, expires_at, granted - drawn - expired - voided
            from ledger.credit_grants where status = 'active' and customer_id = any($1)
            """) { Parameters = { new() { Value = ids } } });
        batch.BatchCommands.Add(new("select customer_id, held from ledger.credit_accounts where customer_id = any($1)") { Parameters = { new() { Value = ids } } });
        batch.BatchCommands.Add(new("""
            select t.c, sum(s.uncovered) from unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) as t(c, f, e)
            join ledger.rated_spend s on s.customer_id = t.c and s.bucket >= t.f and s.bucket < t.e and s.uncovered <> 0 group by t.c
            """)
        {
            Parameters = { new() { Value = ids }, new() { Value = periods.Select(p => p.Start.ToDateTimeOffset()).ToArray() },
                new() { Value = periods.Select(p => p.End.ToDateTimeOffset()).ToArray() } }
        });
        batch.BatchCommands.Add(AllowanceUse.DrawnCommand(allowances));
        var grants = new Dictionary<string, List<SpendView.Grant>>();
        var held = new Dictionary<string, decimal>();
        var uncovered = new Dictionary<string, decimal>();
        Dictionary<(string, string, Instant), decimal> drawn;
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var id = reader.GetString(0);
                if (!grants.TryGetValue(id, out var list)) grants[id] = list = [];
                list.Add(new SpendView.Grant(reader.GetDecimal(3), Instant.FromDateTimeUtc(reader.GetDateTime(1)),
                    reader.IsDBNull(2) ? null : Instant.FromDateTimeUtc(reader.GetDateTime(2))));
            }
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct)) held[reader.GetString(0)] = reader.GetDecimal(1);
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct)) uncovered[reader.GetString(0)] = reader.GetDecimal(1);
            await reader.NextResultAsync(ct);
            drawn = await AllowanceUse.ReadDrawnAsync(reader, ct);
        }
        var left = allowances.ToLookup(a => a.CustomerId, a => new SpendView.Allowance(a.Segment.Span,
            AllowanceUse.Remaining(a.Segment, drawn.GetValueOrDefault((a.CustomerId, a.Segment.ContractId, a.Segment.Span.Start)))));
        for (var i = 0; i < ids.Length; i++)
            view.Put(ids[i], new SpendView.Projected(grants.GetValueOrDefault(ids[i]) ?? [], left[ids[i]].ToList(), held.GetValueOrDefault(ids[i]),
                uncovered.GetValueOrDefault(ids[i]), periods[i], position));
    }
}
