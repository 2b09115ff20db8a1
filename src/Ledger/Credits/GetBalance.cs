using Ledger.Access;
using Ledger.Contracts;
using Ledger.Customers;
using Ledger.Hosting;
using Ledger.Kernel;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Credits;

public sealed record BalanceGrantView(string Id, string Kind, int Priority, string Remaining, string Granted, Instant EffectiveAt, Instant? ExpiresAt, bool InForce);

public sealed record PeriodView(Instant From, Instant To);

public sealed record BalanceBudgetView(string Amount, string Period, PeriodView Window, string Spend, string Remaining);

/// <summary>
/// A customer's balance; money as exact decimal strings, all figures as of ledger position <see cref="AsOf"/>.
/// <see cref="AllowanceRemaining"/> is not credit: it is shown beside <see cref="CreditsRemaining"/> and counted in <see cref="Available"/>.
/// </summary>
public sealed record BalanceView(string Customer, string Currency, string Policy, string CreditsRemaining, IReadOnlyList<BalanceGrantView> Grants,
    string OverageAccrued, string AllowanceRemaining, string Held, string Available, PeriodView Period, string PeriodSpend, BalanceBudgetView? Budget, string? BudgetRemaining, long AsOf);

public static class GetBalance
{
    [WolverineGet("/v1/customers/{customerId}/balance")]
    [Requires(Scopes.AuditRead, Scopes.FinanceRead, Scopes.BillingWrite, CustomerRoute = "customerId")]
    [Tags("Credits"), EndpointSummary("A customer's credits, overage, holds, spend and budget, now")]
    [EndpointDescription("credits_remaining: unused credit of grants in force now (under the block policy minus usage credits did not cover " +
        "in the open billing period: a negative balance); overage_accrued: usage credits did not cover in the open billing period (overage " +
        "policy); allowance_remaining: what is left of the contract allowance that usage recorded now draws before any credit (0 without one); " +
        "held: reserved by open holds; available: allowance_remaining + credits_remaining − held, what spend checks allow; period_spend: rated spend in " +
        "the open billing period; budget and budget_remaining for the budget's current period. All read in one snapshot at ledger position as_of.")]
    [ProducesResponseType<BalanceView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public static async Task<IResult> Get(string customerId, IQuerySession session, NpgsqlDataSource db, IClock clock, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        if (customer is null) return Problems.NotFound($"No customer \"{customerId}\". Create it with PUT /v1/customers/{{id}}.");
        var now = clock.GetCurrentInstant();
        var zone = BillingPeriods.Zone(customer.TimeZone);
        var period = BillingPeriods.MonthOf(now, zone);
        var budget = customer.Budget;
        var budgetPeriod = budget is null ? (Interval?)null : BillingPeriods.Of(budget.Period, now, zone);
        var figures = await BalanceQuery.RunAsync(db, customerId, period, budgetPeriod, AllowanceUse.Current(customer, now), ct);
        return Results.Json(View(customer, figures, now, period, budgetPeriod));
    }

    public static BalanceView View(Customer customer, BalanceQuery.Figures f, Instant now, Interval period, Interval? budgetPeriod)
    {
        var currency = customer.Currency;
        string M(decimal amount) => new Money(amount, currency).ToExactString();
        var block = customer.Credits.Policy == CreditPolicy.Block;
        bool InForce(BalanceQuery.Grant g) => g.EffectiveAt <= now && (g.ExpiresAt is not { } end || now < end);
        var remaining = f.Grants.Where(InForce).Sum(g => g.Remaining) - (block ? f.Uncovered : 0m);
        var budget = customer.Budget;
        var budgetView = budget is null ? null : new BalanceBudgetView(M(budget.Amount.Amount), budget.Period.ToString().ToLowerInvariant(),
            new PeriodView(budgetPeriod!.Value.Start, budgetPeriod.Value.End), M(f.BudgetSpend ?? 0m), M(budget.Amount.Amount - (f.BudgetSpend ?? 0m)));
        return new BalanceView(customer.CustomerId, currency, customer.Credits.Policy.ToString().ToLowerInvariant(), M(remaining),
            f.Grants.Select(g => new BalanceGrantView(g.Id, g.Kind.ToString().ToLowerInvariant(), g.Priority, M(g.Remaining), M(g.Granted),
                g.EffectiveAt, g.ExpiresAt, InForce(g))).ToList(),
            M(block ? 0m : f.Uncovered), M(f.AllowanceRemaining), M(f.Held), M(f.AllowanceRemaining + remaining - f.Held), new PeriodView(period.Start, period.End), M(f.PeriodSpend),
            budgetView, budgetView?.Remaining, f.AsOf);
    }
}
