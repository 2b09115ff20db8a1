using System.Text.Json;
using Ledger.Kernel;
using Npgsql;

namespace Ledger.Rating;

/// <summary>One meter of a rated event: its quantity and, once rated, its amount (an exact decimal string, like all money).</summary>
public sealed record LineView(string Meter, decimal Quantity, string? Amount);

/// <summary>
/// What rating made of one event: the price and exactly which terms produced it (price book, overrides or contract), the amount per
/// meter, or why it waits. Status <c>pending</c> until the rating projection has reached the event.
/// </summary>
public sealed record RatingView(string Status, string? Amount, string? Currency, string? PriceBook, int? PriceVersion, string? Rule,
    int? OverrideVersion, string? Reason, IReadOnlyList<LineView>? Lines, string? Contract = null, int? ContractAmendment = null)
{
    public static readonly RatingView Pending = new("pending", null, null, null, null, null, null, "rating has not reached this event yet", null);

    public static async Task<RatingView> LoadAsync(NpgsqlDataSource db, long sequence, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            select status, amount, currency, price_book, price_version, rule_id, override_version,
                   coalesce(reason, case when status = 'unassigned' then 'the customer does not exist yet' end), lines::text,
                   contract_id, contract_amendment
            from ledger.rated_usage where seq = $1
            """);
        cmd.Parameters.Add(new() { Value = sequence });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return Pending;
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        int? Number(int i) => reader.IsDBNull(i) ? null : reader.GetInt32(i);
        var currency = Text(2);
        var rated = !reader.IsDBNull(1) && currency is not null;
        var lines = JsonSerializer.Deserialize<List<Pricing.RatedLine>>(reader.GetString(8), RatingJson.Options)!
            .Select(l => new LineView(l.Meter, l.Quantity, rated ? new Money(l.Amount, currency!).ToExactString() : null)).ToList();
        return new RatingView(reader.GetString(0), rated ? new Money(reader.GetDecimal(1), currency!).ToExactString() : null,
            currency, Text(3), Number(4), Text(5), Number(6), Text(7), lines, Text(9), Number(10));
    }
}
