using System.Text.RegularExpressions;
using Ledger.Access;
using Ledger.Customers;
using Ledger.Hosting;
using Ledger.Kernel;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Rating;

/// <summary>A customer's rated usage in a window: money totals and the quantities behind them.</summary>
public sealed record UsageView(string Customer, string Currency, Instant From, Instant To, string Total,
    IReadOnlyList<Dictionary<string, object?>> Groups, WaitingView Waiting, long AsOf);

/// <summary>Usage in the window that has no amount yet (no customer terms or no price covering it): counted, never dropped.</summary>
public sealed record WaitingView(long Unpriced, long Unassigned);

public static partial class GetUsage
{
    private const int MaxGroupBy = 5;

    [WolverineGet("/v1/customers/{customerId}/usage")]
    [Requires(Scopes.AuditRead, Scopes.FinanceRead, Scopes.BillingWrite, CustomerRoute = "customerId")]
    [Tags("Usage"), EndpointSummary("A customer's usage in money, for a window")]
    [EndpointDescription("from/to (RFC 3339, half-open [from, to) in business time; default: the current billing period in the customer's " +
        "time zone), group_by: comma-separated dimensions and/or `meter` (e.g. model,mode,meter). Amounts are exact (never rounded here). " +
        "as_of is the ledger position rating has reached; usage after it is not in the totals yet.")]
    [ProducesResponseType<UsageView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string customerId, string? from, string? to, string? group_by,
        IQuerySession session, NpgsqlDataSource db, IClock clock, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        if (customer is null) return Problems.NotFound($"No customer \"{customerId}\". Create it with PUT /v1/customers/{{id}}.");
        var period = CustomerPeriods.Of(customer, clock.GetCurrentInstant()).Span;
        if (!TryInstant(from, period.Start, out var start)) return BadInstant("from");
        if (!TryInstant(to, period.End, out var end)) return BadInstant("to");
        if (start >= end) return Problems.BadRequest("Invalid window", "from must be earlier than to.", "from");
        var groupBy = (group_by ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        if (groupBy.Count > MaxGroupBy || groupBy.Any(g => !Identifier().IsMatch(g)))
            return Problems.BadRequest("Invalid group_by",
                $"group_by is up to {MaxGroupBy} comma-separated dimension names (model, mode, region, ...) and/or meter.", "group_by");
        if (groupBy.FirstOrDefault(g => g is "amount" or "quantity" or "events") is { } clash)
            return Problems.BadRequest("Invalid group_by",
                $"group_by cannot name \"{clash}\": it is a figure of each group, so it cannot also be a dimension; rename the dimension in the events.", "group_by");

        var report = await UsageQuery.RunAsync(db, customerId, new Interval(start, end), groupBy, ct);
        var currency = customer.Currency;
        var groups = report.Groups.Select(g =>
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < groupBy.Count; i++) row[groupBy[i]] = g.Keys[i];
            if (groupBy.Contains(UsageQuery.Meter)) row["quantity"] = g.Quantity;
            else row["events"] = g.Events;
            row["amount"] = new Money(g.Amount, currency).ToExactString();
            return row;
        }).ToList();
        return Results.Json(new UsageView(customerId, currency, start, end, new Money(report.Total, currency).ToExactString(), groups,
            new WaitingView(report.Unpriced, report.Unassigned), report.AsOf));
    }

    /// <summary>Left out: the fallback; given: it must be an instant.</summary>
    private static bool TryInstant(string? text, Instant fallback, out Instant value)
    {
        value = fallback;
        return text is null || RequestValues.TryInstant(text, out value);
    }

    private static IResult BadInstant(string field) =>
        Problems.BadRequest($"Invalid {field}", $"{field} must be an RFC 3339 instant, e.g. 2026-11-01T00:00:00Z (or left out for the current billing period).", field);

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex Identifier();
}
