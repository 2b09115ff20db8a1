using System.Text.Json;
using Ledger.Kernel;
using Ledger.Webhooks;
using Marten;
using NodaTime;
using NodaTime.Text;
using Npgsql;
using Wolverine;
using Wolverine.Runtime.Handlers;

namespace Ledger.Credits;

/// <summary>Expire a grant at its <c>expires_at</c>. Scheduled, durably, in the transaction that records the grant.</summary>
/// <param name="ExpiresAt">The expiry it was scheduled for: a message from a request that lost the race to record the
/// same reference with other terms, should one ever run, finds another expiry and does nothing.</param>
public sealed record ExpireCreditGrant(string CustomerId, string GrantId, Instant ExpiresAt);

/// <summary>Tell the customer's systems a grant expires in <paramref name="Before"/>. Scheduled with the grant, one per notice offset.</summary>
public sealed record SendCreditExpiryNotice(string CustomerId, string GrantId, Duration Before, Instant ExpiresAt);

/// <summary>
/// Expiry runs on Wolverine's durable scheduled messages: they are stored in PostgreSQL with the grant
/// (the Marten outbox), so a grant recorded is a grant that will expire, whether or not the ledger
/// restarts in between. Both handlers may run twice (a crash after the work, before the ack) and
/// change nothing the second time.
/// </summary>
public static class CreditExpiry
{
    public const string WebhookType = "credits.expiring";

    /// <summary>Schedules the expiry and each notice still ahead of <paramref name="now"/> on <paramref name="bus"/> (enlisted in the grant's session).</summary>
    public static async Task ScheduleAsync(IMessageBus bus, CreditGranted grant, Instant now)
    {
        if (grant.ExpiresAt is not { } expiresAt) return;
        await bus.ScheduleAsync(new ExpireCreditGrant(grant.CustomerId, grant.GrantId, expiresAt), expiresAt.ToDateTimeOffset());
        foreach (var before in grant.ExpiryNotices.Where(b => expiresAt - b > now))
            await bus.ScheduleAsync(new SendCreditExpiryNotice(grant.CustomerId, grant.GrantId, before, expiresAt), (expiresAt - before).ToDateTimeOffset());
    }

    /// <summary>The unused amount of a grant as the rating projection has it; null before the projection reached the grant.</summary>
    public static async Task<decimal?> RemainingAsync(NpgsqlDataSource db, string customerId, string grantId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(
            "select granted - drawn - expired - voided from ledger.credit_grants where customer_id = $1 and grant_id = $2");
        cmd.Parameters.Add(new NpgsqlParameter { Value = customerId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = grantId });
        return await cmd.ExecuteScalarAsync(ct) is decimal remaining ? remaining : null;
    }
}

public static class ExpireCreditGrantHandler
{
    /// <summary>A void at the same moment makes the append lose its race: the retry then finds the grant voided.</summary>
    public static void Configure(HandlerChain chain) => WebhookConfiguration.RetryTransientFailures(chain);

    public static async Task Handle(ExpireCreditGrant message, IDocumentSession session, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<CreditGrant>(CreditGranted.StreamKey(message.CustomerId, message.GrantId), ct);
        // Voided or expired already (or a message for a grant that does not exist, or for another expiry): nothing to expire.
        if (stream.Aggregate is not { Status: CreditGrantStatus.Active, ExpiresAt: { } expiresAt } grant || expiresAt != message.ExpiresAt) return;
        // Expired at expires_at (business time), however late the message ran.
        stream.AppendOne(new CreditGrantExpired(grant.CustomerId, grant.GrantId, expiresAt));
    }
}

public static class SendCreditExpiryNoticeHandler
{
    /// <summary>The same notice handled twice at once: one StartStream wins, the retry of the other finds the stream and sends nothing.</summary>
    public static void Configure(HandlerChain chain) => WebhookConfiguration.RetryTransientFailures(chain);

    public static async Task<OutgoingMessages> Handle(SendCreditExpiryNotice message, IDocumentSession session, NpgsqlDataSource db,
        IClock clock, CancellationToken ct)
    {
        var grant = await session.LoadAsync<CreditGrant>(CreditGranted.StreamKey(message.CustomerId, message.GrantId), ct);
        if (grant is not { Status: CreditGrantStatus.Active, ExpiresAt: { } expiresAt } || expiresAt != message.ExpiresAt) return [];
        var key = CreditExpiryNoticeSent.StreamKey(grant.CustomerId, grant.GrantId, message.Before);
        if (await session.Events.FetchStreamStateAsync(key, ct) is not null) return [];

        var remaining = new Money(await CreditExpiry.RemainingAsync(db, grant.CustomerId, grant.GrantId, ct) ?? grant.Amount.Amount, grant.Amount.Currency);
        // The stream of its own makes the notice once: its webhook leaves in the same transaction, or neither does.
        session.Events.StartStream(key, new CreditExpiryNoticeSent(grant.CustomerId, grant.GrantId, message.Before, expiresAt, clock.GetCurrentInstant()));
        var data = JsonSerializer.SerializeToElement(new
        {
            customer = grant.CustomerId,
            grant = grant.GrantId,
            expires_at = InstantPattern.ExtendedIso.Format(expiresAt),
            before = CreditGrantView.Iso(message.Before),
            remaining = remaining.ToExactString(),
            currency = remaining.Currency
        });
        return [new WebhookNotice(CreditExpiry.WebhookType, grant.CustomerId, key, data, expiresAt - message.Before)];
    }
}
