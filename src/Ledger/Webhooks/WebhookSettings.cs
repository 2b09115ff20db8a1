using System.Globalization;

namespace Ledger.Webhooks;

/// <summary>
/// The retry schedule and the answer timeout, from <c>Ledger:Webhooks:RetryDelays</c> (comma-separated
/// TimeSpans) and <c>Ledger:Webhooks:Timeout</c>. The default schedule spreads seven retries over about
/// 21 hours, so a receiver that is down for a deploy or a night still gets everything.
/// </summary>
public sealed record WebhookSettings(IReadOnlyList<TimeSpan> RetryDelays, TimeSpan Timeout)
{
    public static readonly IReadOnlyList<TimeSpan> DefaultRetryDelays =
    [
        TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(2), TimeSpan.FromHours(6), TimeSpan.FromHours(12)
    ];

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The wait after failed attempt <paramref name="attempt"/> (1-based), or null when it was the last.</summary>
    public TimeSpan? DelayAfter(int attempt) => attempt >= 1 && attempt <= RetryDelays.Count ? RetryDelays[attempt - 1] : null;

    public static WebhookSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Ledger:Webhooks");
        var delays = section["RetryDelays"] is { Length: > 0 } text
            ? text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(d => Parse(d, "RetryDelays")).ToList()
            : DefaultRetryDelays;
        var timeout = section["Timeout"] is { Length: > 0 } t ? Parse(t, "Timeout") : DefaultTimeout;
        return new WebhookSettings(delays, timeout);
    }

    private static TimeSpan Parse(string value, string key) =>
        TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero
            ? span
            : throw new InvalidOperationException(
                $"Ledger:Webhooks:{key} has \"{value}\", which is not a positive TimeSpan such as 00:00:10 or 02:00:00.");
}
