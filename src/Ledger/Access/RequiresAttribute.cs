namespace Ledger.Access;

/// <summary>
/// The access decision of an endpoint under /v1: any of <see cref="Scopes"/> admits a key (admin
/// always does). Every /v1 endpoint must carry one; one without is refused to every key (fail closed).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresAttribute(params string[] scopes) : Attribute
{
    public IReadOnlyList<string> Scopes { get; } = scopes;

    /// <summary>
    /// Also admits customer:read keys when this route value names their own customer; another
    /// customer's id gets 403 whether or not that customer exists.
    /// </summary>
    public string? CustomerRoute { get; init; }

    /// <summary>Also admits customer:read keys; the endpoint itself answers 404 for another customer's data.</summary>
    public bool CustomerOwned { get; init; }
}
