using System.Data;
using JasperFx.Events;
using Ledger.Customers;
using Ledger.Hosting;
using Ledger.Rating;
using Marten;
using Microsoft.Extensions.Options;
using NodaTime;
using Npgsql;

namespace Ledger.Invoices;

/// <summary>
/// Closes a customer's billing period by issuing its invoice, once: the invoice event, the issuer's next
/// number and the billing record of every usage event it bills commit in one repeatable-read transaction
/// that composes the invoice from one snapshot. Closes of one issuer take turns (an advisory lock taken
/// before the snapshot), so numbers are gapless and no event is billed twice (docs/invoicing.md#period-close).
/// </summary>
public sealed class InvoiceIssuer(IDocumentStore store, NpgsqlDataSource db, IClock clock, IOptions<InvoiceOptions> options)
{
    public abstract record Outcome;
    public sealed record Issued(InvoiceView Invoice, bool New) : Outcome;
    /// <summary>Closed with nothing to bill (automatic close only): no invoice, no number used.</summary>
    public sealed record NothingToBill : Outcome;
    public sealed record Refused(IResult Problem) : Outcome;
    /// <summary>An earlier period must be invoiced first (periods are invoiced in order).</summary>
    public sealed record EarlierFirst(CustomerPeriod Period, IResult Problem) : Outcome;

    private InvoiceOptions Options => options.Value;

    /// <summary>Issues the invoice of <paramref name="period"/>; <paramref name="skipEmpty"/>: issue nothing when it would have no line.</summary>
    public async Task<Outcome> CloseAsync(string customerId, CustomerPeriod period, bool skipEmpty, string issuedBy, CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        if (period.Span.End > now)
            return new Refused(Problems.Conflict("Period still open",
                $"Period {period.Name} of customer \"{customerId}\" runs until {period.Span.End}; it can be closed from then on " +
                $"(it closes on its own at {period.Span.End + Duration.FromTimeSpan(Options.GraceWindow)})."));
        for (var attempt = 1; ; attempt++)
        {
            if (await FindAsync(customerId, period.Span.Start, ct) is { } existing) return new Issued(existing, false);
            if (!await RatingReachesAsync(await HighWaterMarkAsync(ct), ct))
                return new Refused(Problems.Unavailable("Rating is catching up",
                    $"Usage recorded before this close is not rated yet, so period {period.Name} cannot be invoiced exactly now. Send the close again in a minute.", 60));
            try
            {
                return await IssueAsync(customerId, period, skipEmpty, issuedBy, ct);
            }
            catch (Exception ex) when (attempt < 5 && IsRace(ex))
            {
                // Another close took the number or issued this period first: start again from a fresh snapshot.
            }
        }
    }

    private async Task<Outcome> IssueAsync(string customerId, CustomerPeriod period, bool skipEmpty, string issuedBy, CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        // Issues one at a time per issuer: the lock is taken before the transaction's snapshot, so each close sees the ones before it.
        await using (var lockCmd = new NpgsqlCommand("select pg_advisory_lock(hashtextextended('ledger-invoice-issuer:' || $1, 0))", conn)
                         { CommandTimeout = BillingQuery.CloseTimeoutSeconds })
        {
            lockCmd.Parameters.Add(new NpgsqlParameter { Value = Options.Issuer });
            await lockCmd.ExecuteNonQueryAsync(ct);
        }
        try
        {
            return await IssueLockedAsync(conn, customerId, period, skipEmpty, issuedBy, ct);
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("select pg_advisory_unlock_all()", conn);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private async Task<Outcome> IssueLockedAsync(NpgsqlConnection conn, string customerId, CustomerPeriod period, bool skipEmpty, string issuedBy,
        CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using var session = store.LightweightSession(Marten.Services.SessionOptions.ForTransaction(tx));
        var customer = await session.LoadAsync<Customer>(Customer.StreamKey(customerId), ct);
        if (customer is null) return new Refused(Problems.NotFound($"No customer \"{customerId}\"."));
        if (await EarlierPeriodOpenAsync(conn, tx, customer, period, ct) is { } earlier)
            return new EarlierFirst(earlier, Problems.Conflict("Earlier period not invoiced",
                $"Period {earlier.Name} of customer \"{customerId}\" has no invoice yet; periods are invoiced in order. " +
                $"Close it first (POST /v1/customers/{customerId}/periods/{earlier.Name}/close)."));

        var counter = await session.Events.FetchForWriting<InvoiceCounter>(InvoiceNumberTaken.StreamKey(Options.Issuer), ct);
        var seq = (counter.Aggregate?.Last ?? 0) + 1;
        var number = Options.NumberOf(seq);
        var id = number.ToLowerInvariant();
        var heading = new InvoiceDraft.Heading(id, number, "issued", customerId, customer.Currency, period.Span, clock.GetCurrentInstant());
        var invoice = await InvoiceComposer.ComposeAsync(conn, tx, session, customer, period, heading, ct);
        if (skipEmpty && invoice.Lines.Count == 0) return new NothingToBill();

        await using (var insert = new NpgsqlCommand("""
            insert into ledger.invoices (invoice_id, number, seq, customer_id, period_from, period_to, issued_at, as_of)
            values ($1, $2, $3, $4, $5, $6, $7, $8)
            """, conn, tx))
        {
            foreach (var value in new object[] { id, number, seq, customerId, period.Span.Start.ToDateTimeOffset(), period.Span.End.ToDateTimeOffset(),
                         heading.IssuedAt!.Value.ToDateTimeOffset(), invoice.AsOf })
                insert.Parameters.Add(new NpgsqlParameter { Value = value });
            await insert.ExecuteNonQueryAsync(ct);
        }
        var billed = await BillingQuery.RecordBilledAsync(conn, tx, customerId, seq, ct);
        counter.AppendOne(new InvoiceNumberTaken(Options.Issuer, seq, id));
        session.Events.StartStream(InvoiceIssued.StreamKey(id), new InvoiceIssued(invoice, seq, billed, issuedBy));
        session.Store(new IssuedInvoice { Id = id, CustomerId = customerId, Seq = seq, Invoice = invoice });
        await session.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new Issued(invoice, true);
    }

    /// <summary>
    /// The earliest period before <paramref name="period"/> that must be invoiced first: one holding rated usage no invoice
    /// covers, or the contract period just before with a fee and no invoice. Null when none.
    /// </summary>
    private static async Task<CustomerPeriod?> EarlierPeriodOpenAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Customer customer,
        CustomerPeriod period, CancellationToken ct)
    {
        if (await BillingQuery.EarlierUnbilledAsync(conn, tx, customer.CustomerId, period.Span.Start, ct) is { } unbilled)
            return CustomerPeriods.Of(customer, unbilled);
        var previous = CustomerPeriods.Of(customer, period.Span.Start - Duration.Epsilon);
        if (previous.Contract is not { } contract || !contract.Segments(previous.Span).Any(s => s.Version.Terms.Fee is not null)) return null;
        await using var cmd = new NpgsqlCommand("select count(*) from ledger.invoices where customer_id = $1 and period_from = $2", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = customer.CustomerId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = previous.Span.Start.ToDateTimeOffset() });
        return (long)(await cmd.ExecuteScalarAsync(ct))! == 0 ? previous : null;
    }

    public async Task<InvoiceView?> FindAsync(string customerId, Instant periodFrom, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("select invoice_id from ledger.invoices where customer_id = $1 and period_from = $2");
        cmd.Parameters.Add(new NpgsqlParameter { Value = customerId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = periodFrom.ToDateTimeOffset() });
        if (await cmd.ExecuteScalarAsync(ct) is not string id) return null;
        await using var session = store.QuerySession();
        return (await session.LoadAsync<IssuedInvoice>(id, ct))?.Invoice;
    }

    private async Task<long> HighWaterMarkAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("select coalesce(max(seq_id), 0) from ledger.mt_events");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Waits until rating has reached <paramref name="position"/>, up to the configured wait.</summary>
    private async Task<bool> RatingReachesAsync(long position, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + Options.RatingWait;
        while (true)
        {
            await using var cmd = db.CreateCommand(RatingProjection.PositionSql);
            if ((long)(await cmd.ExecuteScalarAsync(ct))! >= position) return true;
            if (DateTime.UtcNow >= deadline) return false;
            await Task.Delay(25, ct);
        }
    }

    private static bool IsRace(Exception ex) => ex switch
    {
        PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected } => true,
        EventStreamUnexpectedMaxEventIdException or Marten.Exceptions.ExistingStreamIdCollisionException or JasperFx.ConcurrencyException => true,
        _ => ex.InnerException is { } inner && IsRace(inner)
    };
}
