using System.Text.Json;
using System.Text.RegularExpressions;
using JasperFx.Events;
using Ledger.Access;
using Ledger.Customers;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using NodaTime.Text;
using Wolverine.Http;

namespace Ledger.Contracts;

/// <summary>The billing period as sent: kind month (anchor_day), year (anchor_month, anchor_day) or custom (length, ISO-8601 like "P14D").</summary>
public sealed record PeriodRequest(string? Kind, int? AnchorDay, int? AnchorMonth, string? Length);

public sealed record StartContractRequest(string? Id, string? StartsAt, PeriodRequest? Period,
    JsonElement Fee, JsonElement Included, JsonElement Overage, JsonElement MinimumCommitment);

public static partial class StartContract
{
    [WolverinePost("/v1/customers/{customerId}/contracts")]
    [Requires(Scopes.BillingWrite)]
    [Tags("Contracts"), EndpointSummary("Start a contract: billing period, fee, included allowance, overage terms, minimum commitment")]
    [EndpointDescription("id (optional, 1–64 of A-Z a-z 0-9 _ . -; the same id with the same terms again answers 200), starts_at (RFC 3339, default now), " +
        "period {kind: month (anchor_day, default the start's day) | year (anchor_month, anchor_day) | custom (length, e.g. \"P14D\")}, " +
        "fee {amount, timing: advance|arrears}, included {amount} or {quantities: [{meter, model, quantity}]}, " +
        "overage {discount_percent, rules: {rule: {rate: value}}}, minimum_commitment {amount}; money in the customer's currency. " +
        "A customer has one contract at a time: a new one starts at or after the end of the previous (docs/invoicing.md).")]
    [ProducesResponseType<ContractView>(StatusCodes.Status201Created)]
    [ProducesResponseType<ContractView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static async Task<IResult> Post(string customerId, StartContractRequest request, HttpContext http, IDocumentStore store, IClock clock, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        var now = clock.GetCurrentInstant();
        var contractId = request.Id ?? $"ctr_{Guid.NewGuid():N}";
        if (!Id().IsMatch(contractId))
            return Problems.BadRequest("Invalid contract id", "id must be 1 to 64 characters of A-Z, a-z, 0-9, _, . and -.", "id");
        var startsAt = now;
        if (request.StartsAt is not null && !RequestValues.TryInstant(request.StartsAt, out startsAt))
            return Problems.BadRequest("Invalid starts_at", "starts_at must be an RFC 3339 instant, e.g. 2026-12-01T00:00:00Z (or left out: now).", "starts_at");

        await using var session = store.LightweightSession();
        var stream = await session.Events.FetchForWriting<Customer>(Customer.StreamKey(customerId), ct);
        if (stream.Aggregate is not { } customer)
            return Problems.NotFound($"No customer \"{customerId}\". Create it with PUT /v1/customers/{{id}} first.");
        var existing = await session.LoadAsync<ContractRef>(contractId, ct);
        var recorded = existing?.CustomerId == customerId ? customer.ContractOf(contractId) : null;
        // A retry that left starts_at out means the start recorded, not a new "now".
        if (request.StartsAt is null && recorded is not null) startsAt = recorded.StartsAt;
        var (cycle, periodProblem) = ReadCycle(request.Period, startsAt, BillingPeriods.Zone(customer.TimeZone));
        if (periodProblem is not null) return periodProblem;
        var (terms, termsProblem) = new ContractTermsReader(customer.Currency)
            .Read(new ContractTerms(null, null, null, null), request.Fee, request.Included, request.Overage, request.MinimumCommitment);
        if (termsProblem is not null) return termsProblem;
        if (terms!.Overage is { Rates.Count: > 0 } overage &&
            PutOverrides.UnknownRates(overage.Rates.ToDictionary(r => r.Key, r => r.Value),
                customer.PriceBook is null ? null : await session.LoadAsync<Pricing.PriceBook>(Pricing.PriceBook.StreamKey(customer.PriceBook), ct)) is { } unknown)
            return Problems.BadRequest("Unknown rate", unknown.Problem, "overage." + unknown.Field);

        var started = new ContractStarted(contractId, customerId, startsAt, cycle!, customer.TimeZone, terms, now, Caller.Of(http).KeyId);
        if (existing is not null)
            return recorded is not null && Same(recorded, started)
                ? Results.Json(ContractView.Of(customer, recorded, now))
                : Problems.Conflict("Contract id in use", $"Contract \"{contractId}\" exists with other terms or for another customer. Use another id.");
        if (customer.Contracts.FirstOrDefault(c => c.EndsAt is not { } end || end > startsAt) is { } running)
            return Problems.Conflict("Contract overlaps",
                $"Customer \"{customerId}\" has contract \"{running.ContractId}\" " + (running.EndsAt is { } e ? $"until {e}" : "without an end") +
                $"; a customer has one contract at a time. End it at or before {startsAt} (POST /v1/contracts/{running.ContractId}/end), or amend it instead.");

        stream.AppendOne(started);
        session.Store(new ContractRef { Id = contractId, CustomerId = customerId });
        if (await StreamWrites.SaveOrConflictAsync(session, "Changed concurrently",
                $"Customer \"{customerId}\" was changed at the same moment, so the contract was not recorded. Send it again.", ct) is { } conflict) return conflict;
        var saved = await session.Events.AggregateStreamAsync<Customer>(Customer.StreamKey(customerId), token: ct);
        return Results.Json(ContractView.Of(saved!, saved!.ContractOf(contractId)!, now), statusCode: StatusCodes.Status201Created);
    }

    private static (BillingCycle?, IResult?) ReadCycle(PeriodRequest? request, Instant startsAt, DateTimeZone zone)
    {
        var local = startsAt.InZone(zone).Date;
        var kind = request?.Kind ?? "month";
        var day = request?.AnchorDay ?? local.Day;
        if (day is < 1 or > 31)
            return (null, Problems.BadRequest("Invalid anchor day", "period.anchor_day must be a day of month from 1 to 31 (past a month's end, its last day).", "period.anchor_day"));
        switch (kind)
        {
            case "month":
                return (new BillingCycle(CycleKind.Month, day), null);
            case "year":
                var month = request?.AnchorMonth ?? local.Month;
                if (month is < 1 or > 12)
                    return (null, Problems.BadRequest("Invalid anchor month", "period.anchor_month must be a month from 1 to 12.", "period.anchor_month"));
                var yearly = new BillingCycle(CycleKind.Year, day, month);
                return yearly.Problem() is { } problem
                    ? (null, Problems.BadRequest("Invalid anchor day", $"period.anchor_day: {problem}.", "period.anchor_day"))
                    : (yearly, null);
            case "custom":
                if (request?.Length is not { } text || PeriodPattern.NormalizingIso.Parse(text) is not { Success: true } parsed
                    || parsed.Value.HasTimeComponent || parsed.Value.Normalize() is var p && (p.Years < 0 || p.Months < 0 || p.Weeks < 0 || p.Days < 0)
                    || parsed.Value.Normalize().Equals(Period.Zero))
                    return (null, Problems.BadRequest("Invalid period length",
                        "period.length must be an ISO-8601 period of whole days, weeks, months or years above zero, e.g. \"P14D\", \"P3M\".", "period.length"));
                return (new BillingCycle(CycleKind.Custom, Length: parsed.Value), null);
            default:
                return (null, Problems.BadRequest("Invalid period kind", "period.kind must be \"month\", \"year\" or \"custom\".", "period.kind"));
        }
    }

    /// <summary>A retry of the same start: same start, cycle and terms (compared as the API shows them).</summary>
    private static bool Same(Contract c, ContractStarted s) =>
        c.StartsAt == s.StartsAt && CycleView.Of(c.Cycle) == CycleView.Of(s.Cycle) &&
        JsonSerializer.Serialize(TermsView.Of(c.Versions[0].Terms)) == JsonSerializer.Serialize(TermsView.Of(s.Terms));

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex Id();
}
