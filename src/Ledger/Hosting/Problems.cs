using Ledger.Usage;

namespace Ledger.Hosting;

/// <summary>RFC 7807 problem details that say what is wrong and how to fix it.</summary>
public static class Problems
{
    private const string TypeBase = "https://ledger.dev/problems/";

    public static IResult BadRequest(string title, string detail, string field) =>
        Problem(StatusCodes.Status400BadRequest, "bad-request", title, detail, new() { ["field"] = field });

    public static IResult UnknownCurrency(string code) =>
        BadRequest("Unknown currency",
            $"\"{code}\" is not an ISO 4217 code the ledger bills in; use one of {string.Join(", ", Kernel.Currency.Codes)}.", "currency");

    public static IResult UnsupportedMediaType(string detail) =>
        Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported content type", detail,
            new() { ["field"] = "Content-Type" });

    public static IResult TooLarge(string detail) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "too-large", "Request too large", detail, new() { ["field"] = "body" });

    public static IResult Unauthorized(string detail) =>
        Problem(StatusCodes.Status401Unauthorized, "unauthorized", "Authentication required", detail,
            new() { ["field"] = "Authorization" });

    public static IResult Forbidden(string detail, IReadOnlyList<string> scopes) =>
        Problem(StatusCodes.Status403Forbidden, "forbidden", "Not allowed with this key", detail,
            new() { ["required_scopes"] = scopes.Append("admin").Distinct().ToList() });

    public static IResult TooManyRequests(string detail, int retryAfterSeconds) =>
        Problem(StatusCodes.Status429TooManyRequests, "rate-limited", "Too many requests", detail,
            new() { ["retry_after_seconds"] = retryAfterSeconds });

    public static IResult NotFound(string detail) =>
        Problem(StatusCodes.Status404NotFound, "not-found", "Not found", detail, []);

    public static IResult InvalidEvent(EventError error, IngestReport report) =>
        Problem(StatusCodes.Status400BadRequest, "invalid-event", "The event was rejected", error.Reason + " Nothing was stored.",
            new() { ["errors"] = report.Errors, ["report"] = report });

    /// <summary>402: the customer's credits do not cover what was asked (block policy); <paramref name="figures"/> say by how much.</summary>
    public static IResult PaymentRequired(string title, string detail, Dictionary<string, object?> figures) =>
        Problem(StatusCodes.Status402PaymentRequired, "insufficient-credits", title, detail, figures);

    public static IResult Unavailable(string title, string detail, int retryAfterSeconds) =>
        Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", title, detail, new() { ["retry_after_seconds"] = retryAfterSeconds });

    public static IResult Conflict(string title, string detail) =>
        Problem(StatusCodes.Status409Conflict, "conflict", title, detail, []);

    public static IResult Conflict(EventError error, IngestReport report) =>
        Problem(StatusCodes.Status409Conflict, "conflict", "The event conflicts with a stored event", error.Reason,
            new() { ["errors"] = report.Errors, ["report"] = report });

    public static IResult BatchRefused(IReadOnlyList<EventError> errors, string what, int status = StatusCodes.Status400BadRequest) =>
        Problem(status, "atomic-batch-refused", "The atomic batch was refused",
            $"{errors.Count} {what}, so nothing in the batch was stored (atomic=true). Fix the events listed in errors and send the batch again.",
            new() { ["errors"] = errors });

    private static IResult Problem(int status, string type, string title, string detail, Dictionary<string, object?> extensions) =>
        Results.Problem(detail: detail, statusCode: status, title: title, type: TypeBase + type, extensions: extensions);
}
