namespace Ledger.Access;

/// <summary>What a key may do. A key holds one or more; <see cref="Admin"/> may do everything.</summary>
public static class Scopes
{
    /// <summary>Send usage (optionally only from given CloudEvents sources).</summary>
    public const string Ingest = "ingest";
    /// <summary>Price books, customers, credits, contracts, period close.</summary>
    public const string BillingWrite = "billing:write";
    /// <summary>One customer's own usage, balance and invoices: the key for that customer's dashboard.</summary>
    public const string CustomerRead = "customer:read";
    /// <summary>Reports and the journal.</summary>
    public const string FinanceRead = "finance:read";
    /// <summary>
    /// Trace, verify and events; read-only everywhere, except that it may take a signed audit checkpoint,
    /// which changes no fact (docs/audit.md).
    /// </summary>
    public const string AuditRead = "audit:read";
    /// <summary>Everything, including managing keys.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Ingest, BillingWrite, CustomerRead, FinanceRead, AuditRead, Admin];
}
