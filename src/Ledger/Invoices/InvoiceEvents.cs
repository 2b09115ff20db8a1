using NodaTime;

namespace Ledger.Invoices;

/// <summary>
/// An invoice was issued: the whole invoice as it was issued, in its own stream (<c>invoice/{id}</c>), never
/// changed afterwards. <see cref="Seq"/> is the issuer's counter (its number without the prefix);
/// <see cref="BilledEvents"/> how many usage-event states it billed (ledger.billed_usage).
/// </summary>
public sealed record InvoiceIssued(InvoiceView Invoice, long Seq, int BilledEvents, string IssuedBy)
{
    public static string StreamKey(string invoiceId) => $"invoice/{invoiceId}";
}

/// <summary>The issuer's next invoice number was taken, by the invoice issued in the same transaction: numbers are gapless.</summary>
public sealed record InvoiceNumberTaken(string Issuer, long Seq, string InvoiceId)
{
    public static string StreamKey(string issuer) => $"invoice-numbers/{issuer}";
}

/// <summary>The issuer's counter, projected inline from its stream: the last number taken.</summary>
public sealed class InvoiceCounter
{
    public string Id { get; set; } = "";
    public long Last { get; set; }

    public void Apply(InvoiceNumberTaken taken) => Last = taken.Seq;
}

/// <summary>An issued invoice as stored for reading (a copy of its <see cref="InvoiceIssued"/> event).</summary>
public sealed class IssuedInvoice
{
    public string Id { get; set; } = "";
    public string CustomerId { get; set; } = "";
    public long Seq { get; set; }
    public InvoiceView Invoice { get; set; } = null!;
}

/// <summary>Invoice settings (<c>Ledger:Invoices</c>).</summary>
public sealed class InvoiceOptions
{
    /// <summary>The issuer's prefix of invoice numbers: <c>INV-000001</c>, <c>INV-000002</c>, ….</summary>
    public string Issuer { get; set; } = "INV";

    /// <summary>How long after a period's end it closes on its own, to take in late events.</summary>
    public TimeSpan GraceWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Whether periods close on their own (scheduled); when off, only POST …/periods/{period}/close closes them.</summary>
    public bool AutoClose { get; set; } = true;

    /// <summary>How long closing waits for rating to reach the events recorded before it.</summary>
    public TimeSpan RatingWait { get; set; } = TimeSpan.FromSeconds(30);

    public string NumberOf(long seq) => $"{Issuer}-{seq:D6}";
}
