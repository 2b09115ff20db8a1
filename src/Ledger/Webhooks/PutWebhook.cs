using System.Text.RegularExpressions;
using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using Wolverine.Http;

namespace Ledger.Webhooks;

/// <summary>Create or replace an endpoint. customer null: all customers; types null: all types; secret left out: kept (or generated).</summary>
public sealed record PutWebhookRequest(string? Url, string? Customer, List<string>? Types, string? Secret);

/// <summary>An endpoint as the API shows it. <c>secret</c> appears once: in the answer that generated it.</summary>
public sealed record WebhookView(string Id, string Url, string? Customer, IReadOnlyList<string>? Types, Instant CreatedAt,
    Instant UpdatedAt, string? Secret = null)
{
    public static WebhookView Of(WebhookEndpoint e, string? secret = null) =>
        new(e.EndpointId, e.Url, e.CustomerId, e.Types, e.CreatedAt, e.UpdatedAt, secret);
}

public static partial class PutWebhook
{
    [WolverinePut("/v1/webhooks/{id}")]
    [Requires(Scopes.BillingWrite)]
    [Tags("Webhooks"), EndpointSummary("Create or replace a webhook endpoint")]
    [EndpointDescription("url (absolute http/https), customer (null: every customer), types (null: every type, e.g. " +
        "[\"budget.threshold_crossed\"]), secret (optional; generated as whsec_… when an endpoint is created without one, " +
        "and then shown in this answer only). See docs/webhooks.md for what is sent and how to verify the signature.")]
    [ProducesResponseType<WebhookView>(StatusCodes.Status200OK)]
    [ProducesResponseType<WebhookView>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Put(string id, PutWebhookRequest request, HttpContext http, IDocumentStore store,
        IClock clock, CancellationToken ct)
    {
        id = RouteValue.Decode(id);
        var problem = Validate(id, request);
        if (problem is not null) return problem;

        await using var session = store.LightweightSession();
        var current = await session.LoadAsync<WebhookEndpoint>(WebhookEndpoint.StreamKey(id), ct);
        var creating = current is null || current.RemovedAt is not null;
        var generated = request.Secret is null && creating ? WebhookSignature.NewSecret() : null;
        var set = new WebhookEndpointSet(id, request.Url!, request.Customer, request.Types?.Distinct().ToList(),
            request.Secret ?? generated ?? current!.Secret, clock.GetCurrentInstant(), Caller.Of(http).KeyId);
        if (!creating && Unchanged(current!, set)) return Results.Json(WebhookView.Of(current!));

        if (current is null) session.Events.StartStream<WebhookEndpoint>(WebhookEndpoint.StreamKey(id), set);
        else session.Events.Append(WebhookEndpoint.StreamKey(id), set);
        await session.SaveChangesAsync(ct);

        var saved = current ?? WebhookEndpoint.Create(set);
        if (current is not null) saved.Apply(set);
        return Results.Json(WebhookView.Of(saved, generated), statusCode: creating ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    public static IResult? Validate(string id, PutWebhookRequest request)
    {
        if (!IdShape().IsMatch(id) || id == "deliveries")
            return Problems.BadRequest("Invalid webhook id",
                "The id must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (and not \"deliveries\").", "id");
        if (string.IsNullOrWhiteSpace(request.Url))
            return Problems.BadRequest("Missing url", "url is required: the absolute http or https address the ledger POSTs notices to.", "url");
        if (request.Url.Length > 2048 || !Uri.TryCreate(request.Url, UriKind.Absolute, out var url) ||
            url.Scheme is not ("http" or "https") || string.IsNullOrEmpty(url.Host))
            return Problems.BadRequest("Invalid url", $"url \"{Shorten(request.Url)}\" is not an absolute http or https URL (e.g. https://example.com/hooks/ledger).", "url");
        if (!string.IsNullOrEmpty(url.UserInfo))
            return Problems.BadRequest("Invalid url", "url must not carry credentials: the receiver authenticates requests by their Ledger-Signature.", "url");
        if (request.Customer is { } customer && (customer.Length is 0 or > 256 || string.IsNullOrWhiteSpace(customer)))
            return Problems.BadRequest("Invalid customer", "customer must be a customer id (1 to 256 characters), or null for every customer.", "customer");
        if (request.Types is { } types)
        {
            if (types.Count is 0 or > 50)
                return Problems.BadRequest("Invalid types", "types must list 1 to 50 notice types, or be null for every type.", "types");
            foreach (var type in types)
                if (type is null || type.Length > 100 || !TypeShape().IsMatch(type))
                    return Problems.BadRequest("Invalid types",
                        $"types has \"{Shorten(type ?? "null")}\", which is not a notice type: lowercase words joined by dots, e.g. \"budget.threshold_crossed\".", "types");
        }
        if (request.Secret is { } secret && (secret.Length is < 24 or > 256 || secret.Any(char.IsWhiteSpace)))
            return Problems.BadRequest("Invalid secret",
                "secret must be 24 to 256 characters without spaces; leave it out to have a strong one generated.", "secret");
        return null;
    }

    private static bool Unchanged(WebhookEndpoint e, WebhookEndpointSet s) =>
        e.Url == s.Url && e.CustomerId == s.CustomerId && e.Secret == s.Secret &&
        (e.Types is null ? s.Types is null : s.Types is not null && e.Types.SequenceEqual(s.Types));

    private static string Shorten(string text) => text.Length > 100 ? text[..100] + "…" : text;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex IdShape();

    [GeneratedRegex("^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$")]
    private static partial Regex TypeShape();
}
