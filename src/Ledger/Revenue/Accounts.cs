namespace Ledger.Revenue;

/// <summary>The journal's accounts (docs/revenue.md#accounts).</summary>
public static class Accounts
{
    /// <summary>Cash or receivable: what the customer owes or paid (purchased credit, issued invoices).</summary>
    public const string Receivable = "receivable";
    /// <summary>Revenue earned but not invoiced yet (overage, subscription days), until the invoice moves it to receivable.</summary>
    public const string UnbilledReceivable = "unbilled_receivable";
    /// <summary>Deferred revenue: purchased credit not used, expired or voided yet, and fees invoiced for days not served yet.</summary>
    public const string ContractLiability = "contract_liability";
    public const string UsageRevenue = "usage_revenue";
    public const string SubscriptionRevenue = "subscription_revenue";
    public const string BreakageRevenue = "breakage_revenue";
    /// <summary>Contra-revenue: usage paid with promotional (free) credit.</summary>
    public const string PromotionalCredits = "promotional_credits";
    /// <summary>Refunds and adjustments: the unused rest of voided purchased credit.</summary>
    public const string CreditNotes = "credit_notes";

    /// <summary>The revenue accounts and the contra-revenue one: what the revenue reports sum as recognised.</summary>
    public static readonly string[] Revenue = [UsageRevenue, SubscriptionRevenue, BreakageRevenue, PromotionalCredits];

    public static readonly IReadOnlyList<string> All =
        [Receivable, UnbilledReceivable, ContractLiability, UsageRevenue, SubscriptionRevenue, BreakageRevenue, PromotionalCredits, CreditNotes];
}

/// <summary>
/// The kinds of journal entry. A two-line kind debits <see cref="Debit"/> and credits <see cref="Credit"/> by its amount; a
/// negative amount (a later correction) swaps the sides. <c>invoice</c> entries have several lines (<see cref="InvoiceEntries"/>).
/// </summary>
public sealed record EntryKind(string Name, string Debit, string Credit)
{
    public static readonly EntryKind CreditPurchase = new("credit_purchase", Accounts.Receivable, Accounts.ContractLiability);
    public static readonly EntryKind UsageCredits = new("usage_credits", Accounts.ContractLiability, Accounts.UsageRevenue);
    public static readonly EntryKind UsagePromotional = new("usage_promotional", Accounts.PromotionalCredits, Accounts.UsageRevenue);
    public static readonly EntryKind UsageUncovered = new("usage_uncovered", Accounts.UnbilledReceivable, Accounts.UsageRevenue);
    public static readonly EntryKind SubscriptionFee = new("subscription_fee", Accounts.UnbilledReceivable, Accounts.SubscriptionRevenue);
    /// <summary>A day of a fee billed in advance: the invoice made it a contract liability, the day of service earns it.</summary>
    public static readonly EntryKind SubscriptionFeeAdvance = new("subscription_fee_advance", Accounts.ContractLiability, Accounts.SubscriptionRevenue);
    public static readonly EntryKind Breakage = new("breakage", Accounts.ContractLiability, Accounts.BreakageRevenue);
    public static readonly EntryKind CreditVoid = new("credit_void", Accounts.ContractLiability, Accounts.CreditNotes);
    public static readonly EntryKind CommitmentTrueUp = new("commitment_true_up", Accounts.Receivable, Accounts.UsageRevenue);
    public const string Invoice = "invoice";

    public static readonly IReadOnlyList<EntryKind> TwoLine = [CreditPurchase, UsageCredits, UsagePromotional, UsageUncovered, SubscriptionFee, SubscriptionFeeAdvance, Breakage, CreditVoid, CommitmentTrueUp];

    /// <summary>The kinds and their accounts as a SQL <c>values</c> list: (kind, debit, credit).</summary>
    public static string SqlValues => string.Join(", ", TwoLine.Select(k => $"('{k.Name}', '{k.Debit}', '{k.Credit}')"));
}
