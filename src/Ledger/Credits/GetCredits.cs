using System.Data;
using Ledger.Access;
using Ledger.Customers;
using Ledger.Hosting;
using Ledger.Kernel;
using Ledger.Rating;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Credits;

/// <summary>A customer's grants in drawdown order and what is left of them, as of the ledger position rating has reached.</summary>
public sealed record CreditsView(string Customer, string Currency, IReadOnlyList<GrantBalanceView> Grants, string Remaining, long AsOf);

/// <summary>amount = drawn + expired + voided + remaining, each an exact decimal string.</summary>
public sealed record GrantBalanceView(string Id, string Kind, int Priority, string Amount, string Drawn, string Expired, string Voided,
    string Remaining, string Status, Instant EffectiveAt, Instant? ExpiresAt, Instant GrantedAt);

public static class GetCredits
{
    [WolverineGet("/v1/customers/{customerId}/credits")]
    [Requires(Scopes.AuditRead, Scopes.FinanceRead, Scopes.BillingWrite, CustomerRoute = "customerId")]
    [Tags("Credits"), EndpointSummary("A customer's credit grants and balance")]
    [EndpointDescription("Grants in drawdown order (priority, then earliest expiry, none last, then oldest) with what each has paid " +
        "(drawn), lost at expiry (expired), had withdrawn (voided) and has left (remaining). as_of is the ledger position rating has " +
        "reached: usage after it is not drawn yet, and a grant recorded after it shows nothing drawn.")]
    [ProducesResponseType<CreditsView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string customerId, IDocumentStore store, NpgsqlDataSource db, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        await using var conn = await db.OpenConnectionAsync(ct);
        // One snapshot: the drawdown rows and the projection's position were committed together, so read them together.
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using var session = store.QuerySession(Marten.Services.SessionOptions.ForTransaction(tx));
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        if (customer is null) return Problems.NotFound($"No customer \"{customerId}\". Create it with PUT /v1/customers/{{id}}.");
        var grants = await session.Query<CreditGrant>().Where(g => g.CustomerId == customerId).ToListAsync(ct);
        var drawdown = await DrawdownAsync(conn, tx, customerId, ct);
        var recorded = await GrantSequencesAsync(conn, tx, grants.Select(g => g.Id).ToArray(), ct);
        long asOf;
        await using (var cmd = new NpgsqlCommand("select coalesce(max(last_seq_id), 0) from ledger.mt_event_progression where name = $1", conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = $"{RatingProjection.Name}:All" });
            asOf = (long)(await cmd.ExecuteScalarAsync(ct))!;
        }
        await tx.CommitAsync(ct);

        var currency = customer.Currency;
        string M(decimal amount) => new Money(amount, currency).ToExactString();
        var views = InDrawdownOrder(grants, g => recorded.GetValueOrDefault(g.Id, long.MaxValue)).Select(g =>
        {
            // Not reached by the projection yet: nothing drawn, all of it left. Amounts are as of as_of; the status is the
            // grant's own, current one (a void or expiry shows at once; its amounts follow when rating reaches it).
            var d = drawdown.GetValueOrDefault(g.GrantId);
            var remaining = d is null ? g.Amount.Amount : d.Granted - d.Drawn - d.Expired - d.Voided;
            return (Remaining: remaining, View: new GrantBalanceView(g.GrantId, CreditGrantView.Lower(g.Kind), g.Priority, g.Amount.ToExactString(),
                M(d?.Drawn ?? 0), M(d?.Expired ?? 0), M(d?.Voided ?? 0), M(remaining), CreditGrantView.Lower(g.Status),
                g.EffectiveAt, g.ExpiresAt, g.GrantedAt));
        }).ToList();
        return Results.Json(new CreditsView(customerId, currency, views.Select(v => v.View).ToList(), M(views.Sum(v => v.Remaining)), asOf));
    }

    /// <summary>
    /// docs/credits.md: lower priority first, then the earliest expiry (grants that never expire last), then the oldest grant:
    /// the one the ledger recorded first (<paramref name="sequence"/>, its position in the event log).
    /// </summary>
    public static IEnumerable<CreditGrant> InDrawdownOrder(IEnumerable<CreditGrant> grants, Func<CreditGrant, long> sequence) =>
        grants.OrderBy(g => g.Priority).ThenBy(g => g.ExpiresAt is null).ThenBy(g => g.ExpiresAt).ThenBy(sequence).ThenBy(g => g.GrantId, StringComparer.Ordinal);

    /// <summary>The ledger position of each grant's <see cref="CreditGranted"/> (the first event of its stream).</summary>
    private static async Task<Dictionary<string, long>> GrantSequencesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string[] streams, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select stream_id, seq_id from ledger.mt_events where stream_id = any($1) and version = 1", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = streams });
        var sequences = new Dictionary<string, long>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) sequences[reader.GetString(0)] = reader.GetInt64(1);
        return sequences;
    }

    private sealed record Drawdown(decimal Granted, decimal Drawn, decimal Expired, decimal Voided);

    private static async Task<Dictionary<string, Drawdown>> DrawdownAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string customerId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "select grant_id, granted, drawn, expired, voided from ledger.credit_grants where customer_id = $1", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = customerId });
        var rows = new Dictionary<string, Drawdown>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows[reader.GetString(0)] = new Drawdown(reader.GetDecimal(1), reader.GetDecimal(2), reader.GetDecimal(3), reader.GetDecimal(4));
        return rows;
    }
}
