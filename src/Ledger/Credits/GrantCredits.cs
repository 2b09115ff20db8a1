using System.Text.Json;
using System.Text.RegularExpressions;
using Ledger.Access;
using Ledger.Customers;
using Ledger.Hosting;
using Ledger.Kernel;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using NodaTime.Text;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten.Publishing;

namespace Ledger.Credits;

/// <summary>A grant as sent: amount as a decimal string, instants as RFC 3339, notice offsets as ISO-8601 durations ("P7D").</summary>
public sealed record GrantCreditsRequest(JsonElement? Amount, string? Kind, JsonElement? Priority, string? EffectiveAt, string? ExpiresAt,
    string? Reference, List<string>? ExpiryNotices);

public static partial class GrantCredits
{
    public const int DefaultPriority = 100;
    public static readonly IReadOnlyList<Duration> DefaultExpiryNotices = [Duration.FromDays(30), Duration.FromDays(7), Duration.FromDays(1)];

    [WolverinePost("/v1/customers/{customerId}/credits")]
    [Requires(Scopes.BillingWrite)]
    [Tags("Credits"), EndpointSummary("Grant prepaid or promotional credit to a customer")]
    [EndpointDescription("amount (decimal string in the customer's currency, at most its minor units), kind (purchased|promotional), " +
        "priority (integer ≥ 0, default 100; lower drains first), effective_at (RFC 3339, default now), expires_at (optional, after effective_at), " +
        "reference (required, 1–128 characters without '/'; becomes the grant id), expiry_notices (ISO-8601 durations before expires_at, " +
        "default [\"P30D\",\"P7D\",\"P1D\"]). Idempotent by reference: the same grant again answers 200 and records nothing; the same " +
        "reference with other terms is a 409 naming what differs (docs/credits.md).")]
    [ProducesResponseType<CreditGrantView>(StatusCodes.Status201Created)]
    [ProducesResponseType<CreditGrantView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public static async Task<IResult> Post(string customerId, GrantCreditsRequest request, HttpContext http,
        OutboxedSessionFactory sessions, IMessageBus bus, IClock clock, CancellationToken ct)
    {
        customerId = RouteValue.Decode(customerId);
        var now = clock.GetCurrentInstant();
        // A session enlisted in Wolverine's outbox: the scheduled expiry commits with the grant, or neither does.
        await using var session = sessions.OpenSession(bus);
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        if (customer is null) return Problems.NotFound($"No customer \"{customerId}\". Create it with PUT /v1/customers/{{id}} first.");
        var (granted, problem) = Read(request, customer, now, Caller.Of(http).KeyId);
        if (problem is not null) return problem;

        // FetchForWriting: two requests with a new reference at the same moment cannot both record it.
        var stream = await session.Events.FetchForWriting<CreditGrant>(CreditGranted.StreamKey(customerId, granted!.GrantId), ct);
        if (stream.Aggregate is { } existing)
        {
            var differs = Differences(existing, granted, effectiveAtGiven: request.EffectiveAt is not null);
            return differs.Count == 0
                ? Results.Json(CreditGrantView.Of(existing))
                : Problems.Conflict("Reference already used",
                    $"Grant \"{granted.GrantId}\" of customer \"{customerId}\" was recorded with other terms ({string.Join(", ", differs)} differ). " +
                    "A reference names one grant for ever: send the same terms to repeat it, or use a new reference for a new grant.");
        }

        stream.AppendOne(granted);
        await CreditExpiry.ScheduleAsync(bus, granted, now);
        if (await StreamWrites.SaveOrConflictAsync(session, "Granted concurrently",
                $"Grant \"{granted.GrantId}\" was recorded by another request at the same moment, so this one recorded nothing. Send it again to see the recorded grant.", ct) is { } conflict)
            return conflict;
        return Results.Json(CreditGrantView.Of(CreditGrant.Create(granted)), statusCode: StatusCodes.Status201Created);
    }

    private static (CreditGranted?, IResult?) Read(GrantCreditsRequest request, Customer customer, Instant now, string grantedBy)
    {
        var currency = customer.Currency;
        var minor = Currency.MinorUnits(currency);
        if (request.Amount is not { } a || !RequestValues.TryDecimalString(a, out var amount) || amount <= 0 || CreditTermsRequest.Decimals(amount) > minor)
            return Bad("Invalid amount", $"amount must be a decimal string greater than zero in {currency} with at most {minor} decimals, e.g. \"100.00\".", "amount");
        CreditKind? kind = request.Kind switch { "purchased" => CreditKind.Purchased, "promotional" => CreditKind.Promotional, _ => null };
        if (kind is null)
            return Bad("Invalid kind", "kind must be \"purchased\" (paid for: deferred revenue) or \"promotional\" (given away).", "kind");
        var priority = DefaultPriority;
        if (request.Priority is { ValueKind: not JsonValueKind.Null } p && !(p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out priority) && priority >= 0))
            return Bad("Invalid priority", "priority must be a whole number of at least 0 (default 100); grants with a lower priority are drawn first.", "priority");
        if (request.Reference is not { } reference || !Reference().IsMatch(reference))
            return Bad("Invalid reference",
                "reference is required: 1 to 128 characters without '/' or control characters, such as the invoice or order number. It becomes the grant id.", "reference");
        if (Contracts.ContractAllowances.IsAllowance(reference))
            return Bad("Invalid reference", $"reference must not start with \"{Contracts.ContractAllowances.Prefix}\": drawdowns of contract allowances are named so.", "reference");
        var effectiveAt = now;
        if (request.EffectiveAt is not null && !RequestValues.TryInstant(request.EffectiveAt, out effectiveAt))
            return Bad("Invalid effective_at", "effective_at must be an RFC 3339 instant, e.g. 2026-12-01T00:00:00Z (or left out for now).", "effective_at");
        Instant? expiresAt = null;
        if (request.ExpiresAt is not null)
        {
            if (!RequestValues.TryInstant(request.ExpiresAt, out var e))
                return Bad("Invalid expires_at", "expires_at must be an RFC 3339 instant, e.g. 2027-12-01T00:00:00Z (or left out: the credit does not expire).", "expires_at");
            if (e <= effectiveAt)
                return Bad("Invalid expires_at", $"expires_at must be later than effective_at ({effectiveAt}).", "expires_at");
            expiresAt = e;
        }
        var (notices, noticeProblem) = ReadNotices(request.ExpiryNotices, expiresAt is not null);
        if (noticeProblem is not null) return (null, noticeProblem);
        return (new CreditGranted(customer.CustomerId, reference, new Money(amount, currency), kind.Value, priority, effectiveAt, expiresAt,
            notices!, now, grantedBy), null);
    }

    private static (IReadOnlyList<Duration>?, IResult?) ReadNotices(List<string>? given, bool expires)
    {
        if (given is null) return (expires ? DefaultExpiryNotices : [], null);
        if (given.Count > 0 && !expires)
            return (null, Problems.BadRequest("Invalid expiry_notices", "expiry_notices needs expires_at: a grant that does not expire has no expiry to announce.", "expiry_notices"));
        var notices = new List<Duration>();
        for (var i = 0; i < given.Count; i++)
        {
            var field = $"expiry_notices[{i}]";
            if (given[i] is not { } text || PeriodPattern.NormalizingIso.Parse(text) is not { Success: true } parsed)
                return (null, Problems.BadRequest("Invalid expiry notice", $"{field} must be an ISO-8601 duration such as \"P30D\", \"P1W\" or \"PT12H\".", field));
            var period = parsed.Value;
            if (period.Years != 0 || period.Months != 0)
                return (null, Problems.BadRequest("Invalid expiry notice", $"{field}: months and years have no fixed length; give days or weeks instead (e.g. \"P30D\").", field));
            var before = period.ToDuration();
            if (before <= Duration.Zero)
                return (null, Problems.BadRequest("Invalid expiry notice", $"{field} must be longer than zero.", field));
            if (notices.Contains(before))
                return (null, Problems.BadRequest("Duplicate expiry notice", $"{field} repeats an earlier notice; each goes out once, so list it once.", field));
            notices.Add(before);
        }
        return (notices.OrderDescending().ToList(), null);
    }

    /// <summary>The request's fields whose value differs from the recorded grant. effective_at left out means "whatever was recorded".</summary>
    private static List<string> Differences(CreditGrant existing, CreditGranted asked, bool effectiveAtGiven)
    {
        var differs = new List<string>();
        if (existing.Amount != asked.Amount) differs.Add($"amount: recorded {existing.Amount.ToExactString()}, sent {asked.Amount.ToExactString()}");
        if (existing.Kind != asked.Kind) differs.Add($"kind: recorded {CreditGrantView.Lower(existing.Kind)}, sent {CreditGrantView.Lower(asked.Kind)}");
        if (existing.Priority != asked.Priority) differs.Add($"priority: recorded {existing.Priority}, sent {asked.Priority}");
        if (effectiveAtGiven && existing.EffectiveAt != asked.EffectiveAt) differs.Add($"effective_at: recorded {existing.EffectiveAt}, sent {asked.EffectiveAt}");
        if (existing.ExpiresAt != asked.ExpiresAt)
            differs.Add($"expires_at: recorded {existing.ExpiresAt?.ToString() ?? "none"}, sent {asked.ExpiresAt?.ToString() ?? "none"}");
        if (!existing.ExpiryNotices.SequenceEqual(asked.ExpiryNotices))
            differs.Add($"expiry_notices: recorded [{string.Join(", ", existing.ExpiryNotices.Select(CreditGrantView.Iso))}], " +
                        $"sent [{string.Join(", ", asked.ExpiryNotices.Select(CreditGrantView.Iso))}]");
        return differs;
    }

    private static (CreditGranted?, IResult?) Bad(string title, string detail, string field) => (null, Problems.BadRequest(title, detail, field));

    [GeneratedRegex(@"^[^/\p{C}]{1,128}$")]
    private static partial Regex Reference();
}
