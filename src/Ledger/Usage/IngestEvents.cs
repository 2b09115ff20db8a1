using System.Buffers;
using System.Text.Json;
using Ledger.Access;
using Ledger.Hosting;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using NodaTime;
using Npgsql;
using Wolverine.Http;

namespace Ledger.Usage;

/// <summary>The fate of every event of one request.</summary>
public sealed record IngestReport(int Accepted, int Duplicates, int Conflicts, int Rejected, IReadOnlyList<EventError> Errors);

/// <summary>
/// <c>POST /v1/events</c>: CloudEvents in structured JSON mode, one or a batch. Valid events are stored
/// once and for ever; invalid ones are reported by index and change nothing. <c>?atomic=true</c>
/// stores all or nothing. See docs/ingestion.md.
/// </summary>
public static partial class IngestEvents
{
    public const string BatchContentType = "application/cloudevents-batch+json";
    public const string SingleContentType = "application/cloudevents+json";
    private const int LoggedRejectionsPerRequest = 20;

    [WolverinePost("/v1/events")]
    [Requires(Scopes.Ingest)]
    [Tags("Usage"), EndpointSummary("Send usage events (CloudEvents 1.0, structured JSON mode)")]
    [EndpointDescription("One event (application/cloudevents+json or application/json) or a batch " +
        "(application/cloudevents-batch+json) of up to 10,000 events / 10 MB. (source, id) is the idempotency key " +
        "for ever: a re-send is a duplicate, the same key with other content a conflict. Invalid events are reported " +
        "by index and the valid ones stored; ?atomic=true stores all or nothing.")]
    [ProducesResponseType<IngestReport>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status403Forbidden, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status429TooManyRequests, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status415UnsupportedMediaType, "application/problem+json")]
    [RequestExample(SingleContentType, "one event", Examples.OneEvent)]
    [RequestExample("application/json", "one event", Examples.OneEvent)]
    [RequestExample(BatchContentType, "a batch", Examples.Batch)]
    [ResponseExample(StatusCodes.Status200OK, Examples.Report)]
    [ResponseExample(StatusCodes.Status400BadRequest, Examples.InvalidEventProblem)]
    public static async Task<IResult> Post(HttpContext http, IDocumentStore store, NpgsqlDataSource db,
        IClock clock, IOptions<IngestOptions> settings, RateLimits limits, ILogger<IngestReport> logger)
    {
        var caller = Caller.Of(http);
        var options = settings.Value;
        var request = http.Request;
        var ct = http.RequestAborted;
        var atomic = false;
        if (request.Query.TryGetValue("atomic", out var flag) && !TryParseFlag(flag.ToString(), out atomic))
            return Problems.BadRequest("Invalid query parameter", $"atomic must be true or false (got \"{flag}\").", "atomic");

        if (request.Headers.ContainsKey("ce-specversion"))
            return Problems.UnsupportedMediaType(
                "CloudEvents binary content mode is not supported: send the event in structured mode, " +
                $"as one JSON object ({SingleContentType}) or a JSON array ({BatchContentType}).");
        var expectBatch = IsBatch(request.ContentType);
        if (expectBatch is null)
            return Problems.UnsupportedMediaType(
                $"Content-Type \"{request.ContentType}\" is not accepted. Send {SingleContentType} or application/json " +
                $"for one event, {BatchContentType} for a JSON array of events.");
        if (request.ContentLength > options.MaxBodyBytes)
            return Problems.TooLarge($"The body is {request.ContentLength} bytes; at most {options.MaxBodyBytes} bytes are accepted per request. Split the batch.");

        var body = await RequestBody.ReadAsync(request, options.MaxBodyBytes, ct);
        if (body is null)
            return Problems.TooLarge($"The body is larger than {options.MaxBodyBytes} bytes. Split the batch.");
        try
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(body.Value.Memory, new JsonDocumentOptions { MaxDepth = 16 });
            }
            catch (JsonException ex)
            {
                return Problems.BadRequest("The body is not valid JSON", $"{ex.Message} Nothing was stored.", "body");
            }
            using (document)
            {
                var root = document.RootElement;
                if (expectBatch == true && root.ValueKind != JsonValueKind.Array)
                    return Problems.BadRequest("A batch must be a JSON array",
                        $"Content-Type {BatchContentType} needs a JSON array of CloudEvents. Send a single event as {SingleContentType}.", "body");
                if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > options.MaxBatchEvents)
                    return Problems.TooLarge($"The batch has {root.GetArrayLength()} events; at most {options.MaxBatchEvents} are accepted per request. Split the batch.");
                if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() == 0)
                    return Problems.BadRequest("The batch is empty", "Send at least one event.", "body");

                var (events, rejected) = new CloudEventReader(options).Read(root, clock.GetCurrentInstant());
                var foreign = events.FirstOrDefault(e => !caller.MayIngestFrom(e.Usage.Source));
                if (foreign is not null)
                    return Problems.Forbidden($"This key may send usage only from the sources {string.Join(", ", caller.Sources!)}; " +
                        $"event {foreign.Index} has source \"{foreign.Usage.Source}\". Nothing was stored.", [Scopes.Ingest]);
                var wait = limits.TryTakeEvents(caller, events.Count, options.MaxBatchEvents);
                if (wait is not null)
                {
                    http.Response.Headers.RetryAfter = wait.Value.ToString();
                    return Problems.TooManyRequests($"This key is over its usage-event rate limit; nothing was stored. Retry after {wait} s.", wait.Value);
                }
                LogRejections(logger, rejected);
                if (atomic && rejected.Count > 0)
                    return Problems.BatchRefused(rejected, "events are invalid");

                var outcome = events.Count == 0
                    ? new IngestOutcome(0, 0, [])
                    : await UsageLog.AppendAsync(store, db, events, atomic, caller.KeyId, ct);
                if (atomic && outcome.Conflicts.Count > 0)
                    return Problems.BatchRefused(outcome.Conflicts, "events conflict with stored events", StatusCodes.Status409Conflict);

                var errors = rejected.Concat(outcome.Conflicts).OrderBy(e => e.Index).ToList();
                var report = new IngestReport(outcome.Accepted, outcome.Duplicates, outcome.Conflicts.Count, rejected.Count, errors);
                if (root.ValueKind != JsonValueKind.Array && errors.Count == 1)
                    return rejected.Count == 1
                        ? Problems.InvalidEvent(errors[0], report)
                        : Problems.Conflict(errors[0], report);
                return Results.Json(report);
            }
        }
        finally
        {
            body.Value.Dispose();
        }
    }

    private static bool TryParseFlag(string text, out bool value)
    {
        value = text is "1" || text.Equals("true", StringComparison.OrdinalIgnoreCase);
        return value || text is "0" || text.Equals("false", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>true for a batch, false for one event, null for a content type we do not take.</summary>
    private static bool? IsBatch(string? contentType)
    {
        var mediaType = (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        return mediaType switch
        {
            BatchContentType => true,
            SingleContentType or "application/json" => false,
            _ => null
        };
    }

    private static void LogRejections(ILogger logger, List<EventError> rejected)
    {
        foreach (var error in rejected.Take(LoggedRejectionsPerRequest))
            LogRejected(logger, error.Index, error.Id, error.Reason);
        if (rejected.Count > LoggedRejectionsPerRequest)
            LogMoreRejected(logger, rejected.Count - LoggedRejectionsPerRequest);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected usage event at index {Index} (id {EventId}): {Reason}")]
    private static partial void LogRejected(ILogger logger, int index, string? eventId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "... and {Count} more usage events rejected in the same request")]
    private static partial void LogMoreRejected(ILogger logger, int count);
}
