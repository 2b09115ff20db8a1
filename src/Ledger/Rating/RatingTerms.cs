using System.Text.Json;
using JasperFx.Events;
using Ledger.Contracts;
using Ledger.Customers;
using Ledger.Pricing;
using Npgsql;

namespace Ledger.Rating;

/// <summary>
/// Customers (with their contracts) and price books exactly as the log had them at the rating projection's position, built
/// by applying their events in ledger order — not read from their current snapshots. So rating an
/// event, re-rating at a change of terms and checking a budget see the same terms live and in a
/// rebuild, and a rebuild reproduces every intermediate amount, not only the final ones. (Terms are
/// configuration: thousands of events, not millions, so they are kept in memory.)
/// </summary>
public sealed class RatingTerms(NpgsqlDataSource db)
{
    private readonly Dictionary<string, Customer> _customers = new();
    private readonly Dictionary<string, PriceBook> _books = new();

    /// <summary>The last event applied; -1 before the first load.</summary>
    public long Position { get; private set; } = -1;

    public static readonly Type[] EventTypes = [typeof(CustomerTermsSet), typeof(CustomerOverridesSet), typeof(PriceBookVersionPublished),
        typeof(ContractStarted), typeof(ContractAmended), typeof(ContractEnded)];

    public Customer? CustomerOf(string customerId) => _customers.GetValueOrDefault(customerId);

    public PriceBook? BookOf(string? priceBookId) => priceBookId is null ? null : _books.GetValueOrDefault(priceBookId);

    /// <summary>Whether any price book has a tiered rate (without one, rating keeps no running totals).</summary>
    public bool AnyTiers => _books.Values.Any(b => b.Versions.Any(v => v.Rules.Any(r => r.Tiers is { Count: > 0 })));

    /// <summary>
    /// Makes the terms those just before <paramref name="sequence"/>. A batch that continues the last
    /// one keeps them; the first batch, a retried batch or a rebuild replays the terms' events from the log.
    /// </summary>
    public async Task MoveBeforeAsync(long sequence, CancellationToken ct)
    {
        if (Position >= 0 && Position < sequence) return;
        _customers.Clear();
        _books.Clear();
        var names = EventTypes.Select(t => t.GetEventTypeName()).ToArray();
        await using var cmd = db.CreateCommand("select data, type from ledger.mt_events where type = any($1) and seq_id < $2 order by seq_id");
        cmd.Parameters.Add(new() { Value = names });
        cmd.Parameters.Add(new() { Value = sequence });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var type = EventTypes[Array.IndexOf(names, reader.GetString(1))];
            Apply(JsonSerializer.Deserialize(reader.GetString(0), type, RatingJson.Options)!);
        }
        Position = sequence - 1;
    }

    /// <summary>Applies one event of the terms, as the inline snapshots do.</summary>
    public void Apply(object data)
    {
        switch (data)
        {
            case CustomerTermsSet t when _customers.TryGetValue(t.CustomerId, out var customer): customer.Apply(t); break;
            case CustomerTermsSet t: _customers[t.CustomerId] = Customer.Create(t); break;
            case CustomerOverridesSet o: _customers.GetValueOrDefault(o.CustomerId)?.Apply(o); break;
            case ContractStarted c: _customers.GetValueOrDefault(c.CustomerId)?.Apply(c); break;
            case ContractAmended c: _customers.GetValueOrDefault(c.CustomerId)?.Apply(c); break;
            case ContractEnded c: _customers.GetValueOrDefault(c.CustomerId)?.Apply(c); break;
            case PriceBookVersionPublished p when _books.TryGetValue(p.PriceBookId, out var book): book.Apply(p); break;
            case PriceBookVersionPublished p: _books[p.PriceBookId] = PriceBook.Create(p); break;
        }
    }

    /// <summary>Records that the batch up to <paramref name="sequence"/> has been applied.</summary>
    public void MovedTo(long sequence) => Position = sequence;
}
