namespace Ledger.Access;

/// <summary>The key behind the current request, after it was authenticated.</summary>
public sealed record Caller(string KeyId, IReadOnlySet<string> Granted, string? CustomerId, IReadOnlySet<string>? Sources, RateLimit? RateLimit)
{
    public static Caller For(ApiKey key) =>
        new(key.KeyId, key.Scopes.ToHashSet(), key.CustomerId, key.Sources?.ToHashSet(), key.RateLimit);

    public bool Has(string scope) => Granted.Contains(Scopes.Admin) || Granted.Contains(scope);

    /// <summary>A customer:read key reads only its own customer; finance, audit and admin keys read all.</summary>
    public bool MayRead(string customerId) =>
        Has(Scopes.FinanceRead) || Has(Scopes.AuditRead) || (Granted.Contains(Scopes.CustomerRead) && CustomerId == customerId);

    /// <summary>A key bound to a customer (customer:read) acts only on that customer; other keys on any.</summary>
    public bool MayTouch(string customerId) => CustomerId is null || CustomerId == customerId;

    public bool MayIngestFrom(string source) => Sources is null || Sources.Count == 0 || Sources.Contains(source);

    public static Caller Of(HttpContext http) =>
        http.Features.Get<Caller>() ?? throw new InvalidOperationException("No authenticated caller on this request");
}
