using Ledger.Hosting;

namespace Ledger.Access;

/// <summary>
/// Every endpoint under /v1 needs a valid key (401 otherwise) with a scope its
/// <see cref="RequiresAttribute"/> admits (403 otherwise). Health and the OpenAPI document are public.
/// </summary>
public sealed class AccessMiddleware(RequestDelegate next, ApiKeyRing keys)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (!http.Request.Path.StartsWithSegments("/v1"))
        {
            await next(http);
            return;
        }
        var caller = keys.Authenticate(http.Request.Headers.Authorization, out var problem);
        if (caller is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await Problems.Unauthorized(problem!).ExecuteAsync(http);
            return;
        }
        var refusal = Decide(http, caller);
        if (refusal is not null)
        {
            await refusal.ExecuteAsync(http);
            return;
        }
        http.Features.Set(caller);
        await next(http);
    }

    private static IResult? Decide(HttpContext http, Caller caller) =>
        Refusal(http, caller) is { } refused ? Problems.Forbidden(refused.Detail, refused.Scopes) : null;

    /// <summary>
    /// Why the endpoint's <see cref="RequiresAttribute"/> refuses this caller, or null when it admits it. The pages under /ui
    /// decide with this too, so a key opens a page exactly when it may call the API the page shows.
    /// </summary>
    public static (string Detail, IReadOnlyList<string> Scopes)? Refusal(HttpContext http, Caller caller)
    {
        var rule = http.GetEndpoint()?.Metadata.GetMetadata<RequiresAttribute>();
        if (rule is null)
            return http.GetEndpoint() is not RouteEndpoint
                ? null // no such route, or not with this method: let routing answer 404/405
                : ("This endpoint has no access rule yet, so no key may call it.", []);
        if (caller.Has(Scopes.Admin) || rule.Scopes.Any(caller.Has)) return null;
        if (caller.Granted.Contains(Scopes.CustomerRead))
        {
            if (rule.CustomerOwned) return null;
            if (rule.CustomerRoute is not null &&
                RouteValue.Decode(http.GetRouteValue(rule.CustomerRoute)?.ToString() ?? "") == caller.CustomerId)
                return null;
            if (rule.CustomerRoute is not null)
                return ($"This key reads only customer \"{caller.CustomerId}\".", rule.Scopes);
        }
        return ($"This key lacks the scope this endpoint needs: one of {string.Join(", ", rule.Scopes.Append(Scopes.Admin).Distinct())}.", rule.Scopes);
    }
}
