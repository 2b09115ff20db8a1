using System.Text.Json.Nodes;
using Ledger.Access;
using Ledger.Hosting;
using Ledger.Rating;
using Microsoft.AspNetCore.Mvc;
using Marten;
using NodaTime;
using NodaTime.Text;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Usage;

/// <summary>Ledger metadata of a stored event: where it sits in the log and when the ledger learned it.</summary>
public sealed record StoredEventMetadata(long Sequence, Instant RecordedAt, string Stream, string ContentHash, string? RecordedBy);

/// <summary>A stored event: the CloudEvent as received, where the ledger keeps it, and what rating made of it.</summary>
public sealed record StoredEvent(JsonObject Event, StoredEventMetadata Ledger, RatingView Rating);

/// <summary>
/// <c>GET /v1/events/{source}/{id}</c>: a stored usage event as it was received (CloudEvents JSON) plus
/// its ledger metadata. The source is URL-encoded when it holds slashes.
/// </summary>
public static class GetEvent
{
    [WolverineGet("/v1/events/{source}/{id}")]
    [Requires(Scopes.AuditRead, Scopes.FinanceRead, CustomerOwned = true)]
    [Tags("Usage"), EndpointSummary("Look up a stored usage event by its (source, id)")]
    [EndpointDescription("The event as received (CloudEvents JSON, time in UTC), its ledger metadata, and its rating (amount, per-meter " +
        "lines, the price book version, rule and overrides that priced it, or why it waits). URL-encode a source that holds slashes.")]
    [ProducesResponseType<StoredEvent>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ResponseExample(StatusCodes.Status200OK, Examples.StoredEvent)]
    public static async Task<IResult> Get(string source, string id, HttpContext http, IQuerySession session, NpgsqlDataSource db, CancellationToken ct)
    {
        source = RouteValue.Decode(source);
        id = RouteValue.Decode(id);
        var stored = await session.Events.LoadAsync(EventKey.ToEventId(source, id), ct);
        // Another customer's event is answered exactly like a missing one.
        if (stored?.Data is not UsageRecorded usage || !Caller.Of(http).MayRead(usage.CustomerId))
            return Problems.NotFound($"No event with source \"{source}\" and id \"{id}\" is stored.");
        return Results.Json(new StoredEvent(ToCloudEvent(usage),
            new StoredEventMetadata(stored.Sequence, usage.RecordedAt, stored.StreamKey!, usage.ContentHash,
                stored.Headers?.GetValueOrDefault(BulkAppend.RecordedByKey)?.ToString()),
            await RatingView.LoadAsync(db, stored.Sequence, ct)));
    }

    /// <summary>The structured-mode CloudEvent; <c>time</c> is given back in UTC.</summary>
    public static JsonObject ToCloudEvent(UsageRecorded usage)
    {
        var data = new JsonObject();
        foreach (var (name, value) in usage.Dimensions) data[name] = value;
        foreach (var (name, value) in usage.Meters) data[name] = value;
        var ce = new JsonObject
        {
            ["specversion"] = "1.0",
            ["type"] = usage.Type,
            ["source"] = usage.Source,
            ["id"] = usage.EventId,
            ["subject"] = usage.CustomerId,
            ["time"] = InstantPattern.ExtendedIso.Format(usage.UsageAt),
            ["datacontenttype"] = "application/json",
        };
        foreach (var (name, json) in usage.Extensions ?? new Dictionary<string, string>()) ce[name] = JsonNode.Parse(json);
        ce["data"] = data;
        return ce;
    }
}
